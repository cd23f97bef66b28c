//! Whether this process may open network connections to fetch what a pipeline names: `oci:`
//! plugins from registries ([`crate::oci`]) and repository charts ([`crate::chart`]).
//!
//! The Argo CD `init` step fetches (`flinkwasm plugins pull`) and `generate` runs offline, so
//! an app renders only what `init` fetched and checked; `FLINKWASM_OFFLINE=1` does the same for
//! any command. An offline run takes what it needs from the cache or fails; it never connects.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`set_offline`] was called.
static OFFLINE: AtomicBool = AtomicBool::new(false);

/// Forbids this process to fetch: plugins and charts must then come from the cache.
pub fn set_offline() {
    OFFLINE.store(true, Ordering::Relaxed);
}

/// Whether this process may not fetch: [`set_offline`], or `FLINKWASM_OFFLINE` set to anything
/// but empty or `0`.
pub fn offline() -> bool {
    OFFLINE.load(Ordering::Relaxed)
        || std::env::var("FLINKWASM_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0")
}
