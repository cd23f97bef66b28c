//! The limits a plugin instance runs under, and their defaults. The runtime enforces them; a
//! pipeline's `limits:` resolves into them (`pipeline/limits.rs`).

use std::time::Duration;

/// The limits a plugin runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum linear memory in bytes, over all of the plugin's memories.
    pub memory_bytes: usize,
    /// Maximum wall time of one call into the plugin.
    pub timeout: Duration,
    /// Maximum total bytes of returned manifests.
    pub output_bytes: usize,
    /// Maximum bytes of log (the `log` import plus stdout and stderr) kept per call.
    pub log_bytes: usize,
    /// Maximum memory of the process that compiles the component.
    pub compile_memory_bytes: usize,
    /// Maximum wall time of compiling the component.
    pub compile_timeout: Duration,
}

impl Limits {
    /// The most memory a pipeline may grant a compile (a large Python or JavaScript component
    /// needs more than the default).
    pub const MAX_COMPILE_MEMORY: usize = 4 << 30;
    /// The most time a pipeline may grant a compile.
    pub const MAX_COMPILE_TIMEOUT: Duration = Duration::from_secs(600);
}

impl Default for Limits {
    /// The host's defaults. They are also the maximums a pipeline may ask for, except the
    /// compile limits, which may be raised up to [`Limits::MAX_COMPILE_MEMORY`] and
    /// [`Limits::MAX_COMPILE_TIMEOUT`].
    fn default() -> Self {
        Limits {
            memory_bytes: 512 << 20,
            timeout: Duration::from_secs(30),
            output_bytes: 256 << 20,
            log_bytes: 1 << 20,
            compile_memory_bytes: 512 << 20,
            compile_timeout: Duration::from_secs(10),
        }
    }
}
