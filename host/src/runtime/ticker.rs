//! The background thread that drives epoch interruption and guards against stuck host calls.
//!
//! Every [`TICK`] it increments the engine's epoch, so a plugin call whose deadline (in ticks)
//! passes traps with `Trap::Interrupt`. Epochs cannot interrupt a call blocked inside the host
//! (for example a WASI sleep); for that the watchdog, when enabled, ends the process with exit
//! code 4 once a call is [`GRACE`] past its limit, before anything was written to stdout.
//! Plugins start in parallel, so several calls may be armed at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use wasmtime::Engine;

/// How often the epoch advances.
pub const TICK: Duration = Duration::from_millis(5);
/// How long past its limit a call may stay blocked in the host before the watchdog fires.
pub const GRACE: Duration = Duration::from_secs(2);

/// A call the watchdog guards: its deadline, plugin and limit.
type Armed = (Instant, String, Duration);

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    next: AtomicU64,
    armed: Mutex<HashMap<u64, Armed>>,
}

/// An armed call; give it back to [`Ticker::disarm`] when the call returns.
#[must_use]
pub struct Token(u64);

/// Owns the ticker thread; stops it on drop.
pub struct Ticker {
    shared: Arc<Shared>,
}

impl Ticker {
    /// Starts ticking `engine`. With `exit_on_stuck`, the watchdog may end the process with
    /// that exit code.
    pub fn start(engine: Engine, exit_on_stuck: Option<i32>) -> std::io::Result<Ticker> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::Builder::new().name("flinkwasm-epoch".into()).spawn(move || {
            while !theirs.stop.load(Ordering::Relaxed) {
                thread::sleep(TICK);
                engine.increment_epoch();
                if let Some(code) = exit_on_stuck {
                    let now = Instant::now();
                    let late = theirs.armed.lock().ok().and_then(|armed| {
                        armed
                            .values()
                            .filter(|(deadline, _, _)| now > *deadline)
                            .min_by_key(|(deadline, _, _)| *deadline)
                            .cloned()
                    });
                    if let Some((_, plugin, limit)) = late {
                        eprintln!(
                            "error: plugin {plugin}: timed out after {limit:?} (blocked in a host call past its limit; stopped by the watchdog)"
                        );
                        std::process::exit(code);
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
    pub fn arm(&self, plugin: &str, limit: Duration) -> Token {
        let token = self.shared.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut a) = self.shared.armed.lock() {
            a.insert(
                token,
                (Instant::now() + limit + GRACE, plugin.to_string(), limit),
            );
        }
        Token(token)
    }

    /// Disarms the watchdog for a call that returned.
    pub fn disarm(&self, token: Token) {
        if let Ok(mut a) = self.shared.armed.lock() {
            a.remove(&token.0);
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}
