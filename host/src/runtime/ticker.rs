//! The background thread that drives epoch interruption and guards against stuck host calls.
//!
//! Every [`TICK`] it increments the engine's epoch, so a plugin call whose deadline (in ticks)
//! passes traps with `Trap::Interrupt`. Epochs cannot interrupt a call blocked inside the host
//! (for example a WASI sleep); for that the watchdog, when enabled, ends the process with exit
//! code 4 once a call is [`GRACE`] past its limit, before anything was written to stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use wasmtime::Engine;

/// How often the epoch advances.
pub const TICK: Duration = Duration::from_millis(5);
/// How long past its limit a call may stay blocked in the host before the watchdog fires.
pub const GRACE: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    armed: Mutex<Option<(Instant, String, Duration)>>,
}

/// Owns the ticker thread; stops it on drop.
pub struct Ticker {
    shared: Arc<Shared>,
}

impl Ticker {
    /// Starts ticking `engine`. With `exit_on_stuck`, the watchdog may end the process.
    pub fn start(engine: Engine, exit_on_stuck: bool) -> std::io::Result<Ticker> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::Builder::new().name("flinkwasm-epoch".into()).spawn(move || {
            while !theirs.stop.load(Ordering::Relaxed) {
                thread::sleep(TICK);
                engine.increment_epoch();
                if exit_on_stuck {
                    let armed = theirs.armed.lock().map(|a| a.clone()).unwrap_or(None);
                    if let Some((deadline, plugin, limit)) = armed
                        && Instant::now() > deadline
                    {
                        eprintln!(
                            "error: plugin {plugin}: timed out after {limit:?} (blocked in a host call past its limit; stopped by the watchdog)"
                        );
                        std::process::exit(i32::from(crate::error::ExitKind::Plugin.code()));
                    }
                }
            }
        })?;
        Ok(Ticker { shared })
    }

    /// Epoch ticks that cover `limit`.
    pub fn ticks(limit: Duration) -> u64 {
        (limit.as_micros() / TICK.as_micros()).max(1) as u64 + 1
    }

    /// Arms the watchdog for a call into `plugin` limited to `limit`.
    pub fn arm(&self, plugin: &str, limit: Duration) {
        if let Ok(mut a) = self.shared.armed.lock() {
            *a = Some((Instant::now() + limit + GRACE, plugin.to_string(), limit));
        }
    }

    /// Disarms the watchdog after a call returns.
    pub fn disarm(&self) {
        if let Ok(mut a) = self.shared.armed.lock() {
            *a = None;
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}
