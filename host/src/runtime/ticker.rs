//! The background thread that drives epoch interruption and guards against stuck host calls.
//!
//! Every [`TICK`] it advances the engine's epoch to the ticks of wall time elapsed since it
//! started (catching up after the thread slept long, as on a loaded machine), so a plugin call
//! whose deadline (in ticks) passes traps with `Trap::Interrupt` when its time is up in wall
//! time, not when this thread has run often enough. Epochs cannot interrupt a call blocked
//! inside the host (for example a WASI sleep); for that the watchdog, when enabled, ends the
//! process with exit code 4 once a call has had [`GRACE`] to notice the epoch that ended it,
//! before anything was written to stdout. Plugins start in parallel, so several calls may be
//! armed at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use wasmtime::Engine;

/// How often the epoch advances.
pub const TICK: Duration = Duration::from_millis(5);
/// How long a call may run on after the epoch passed its deadline before the watchdog fires.
pub const GRACE: Duration = Duration::from_secs(2);

/// A call the watchdog guards.
struct Armed {
    /// When its limit is up.
    deadline: Instant,
    plugin: String,
    limit: Duration,
    /// When this thread advanced the epoch past the deadline: the call's own interruption was
    /// due then.
    interrupted: Option<Instant>,
}

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
            let started = Instant::now();
            let mut issued: u128 = 0;
            while !theirs.stop.load(Ordering::Relaxed) {
                thread::sleep(TICK);
                let due = started.elapsed().as_micros() / TICK.as_micros();
                while issued < due {
                    engine.increment_epoch();
                    issued += 1;
                }
                if let Some(code) = exit_on_stuck
                    && let Some((plugin, limit)) = stuck(&theirs.armed, Instant::now())
                {
                    eprintln!(
                        "error: plugin {plugin}: timed out after {limit:?} (it did not stop within {GRACE:?} of its limit, blocked in a host call; stopped by the watchdog)"
                    );
                    std::process::exit(code);
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
                Armed {
                    deadline: Instant::now() + limit,
                    plugin: plugin.to_string(),
                    limit,
                    interrupted: None,
                },
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

/// Marks the calls whose deadline has passed as interrupted now (the epoch was just advanced
/// past it) and returns one interrupted more than [`GRACE`] ago, which its interruption did not
/// stop.
fn stuck(armed: &Mutex<HashMap<u64, Armed>>, now: Instant) -> Option<(String, Duration)> {
    let mut armed = armed.lock().ok()?;
    let mut late: Option<&Armed> = None;
    for call in armed.values_mut() {
        if now > call.deadline && call.interrupted.is_none() {
            call.interrupted = Some(now);
        }
    }
    for call in armed.values() {
        if call.interrupted.is_some_and(|at| now > at + GRACE)
            && late.is_none_or(|l| call.deadline < l.deadline)
        {
            late = Some(call);
        }
    }
    late.map(|c| (c.plugin.clone(), c.limit))
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_fires_only_a_grace_after_the_interruption_was_due() {
        let armed = Mutex::new(HashMap::new());
        let t0 = Instant::now();
        armed.lock().unwrap().insert(
            1,
            Armed {
                deadline: t0,
                plugin: "p".into(),
                limit: Duration::from_secs(1),
                interrupted: None,
            },
        );
        // The ticker thread ran late, long after the deadline: the call gets its grace now.
        let late = t0 + Duration::from_secs(10);
        assert_eq!(stuck(&armed, late), None);
        assert_eq!(stuck(&armed, late + GRACE / 2), None);
        assert_eq!(
            stuck(&armed, late + GRACE + Duration::from_millis(1)),
            Some(("p".to_string(), Duration::from_secs(1)))
        );
    }
}
