//! What a plugin instance runs inside: a store whose WASI context denies everything, with fixed
//! clocks and randomness, bounded memory and logs, and the `log` import.

use super::Limits;
use crate::runtime::wit_host::Level;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use std::time::Duration;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// The seed of every plugin's "random" numbers: the same every run, so output is reproducible.
const RANDOM_SEED: u64 = 0x666c_696e_6b77_6173; // "flinkwas"

/// The most bytes one WASI random call may ask the host for.
const MAX_RANDOM_BYTES: u64 = 64 << 10;

/// Per-store data: the WASI context, resource table, limiter and log sink.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Enforces the memory limit and records that it fired.
    pub limiter: Limiter,
    /// Where the plugin's log goes.
    pub log: LogSink,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl State {
    /// A sandbox for `plugin` under `limits`: no filesystem, environment, arguments, network or
    /// stdin; stdout and stderr captured (bounded) for the log; clocks frozen at the Unix epoch;
    /// randomness from a fixed seed.
    pub fn new(plugin: &str, limits: &Limits) -> State {
        let stdout = MemoryOutputPipe::new(limits.log_bytes);
        let stderr = MemoryOutputPipe::new(limits.log_bytes);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(StdRng::seed_from_u64(RANDOM_SEED))
            .insecure_random(StdRng::seed_from_u64(RANDOM_SEED ^ 1))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            // What one `get-random-bytes` call may make the host allocate (64 MiB by default);
            // a plugin needs a few bytes to seed a hash map.
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter::new(limits.memory_bytes),
            log: LogSink {
                plugin: plugin.to_string(),
                used: 0,
                cap: limits.log_bytes,
                dropped: 0,
            },
            stdout,
            stderr,
        }
    }

    /// Moves what the plugin wrote to stdout/stderr into the log; returns stderr's last
    /// meaningful line (where a Rust panic message lands, before the backtrace `note:`).
    pub fn drain_stdio(&mut self) -> Option<String> {
        let out = self.stdout.contents();
        let err = self.stderr.contents();
        for line in String::from_utf8_lossy(&out).lines() {
            self.log.emit(Level::Info, &format!("stdout: {line}"));
        }
        let err = String::from_utf8_lossy(&err);
        for line in err.lines() {
            self.log.emit(Level::Warn, &format!("stderr: {line}"));
        }
        let line = exception_line(&err).or_else(|| {
            err.lines()
                .rev()
                .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        });
        line.map(|l| crate::text::safe(l).into_owned())
    }

    /// True when stdout or stderr filled its bound (further writes trap).
    pub fn stdio_full(&self) -> bool {
        self.stdout.contents().len() >= self.log.cap || self.stderr.contents().len() >= self.log.cap
    }
}

/// The line that names an interpreter's uncaught exception, which it prints before its
/// runtime's own, less useful, abort message: the exception line after the last Python
/// traceback (`RuntimeError: why`), or the message before the last JavaScript `Stack:`
/// (componentize-js's engine prints the message, then `Stack:` and the frames).
fn exception_line(stderr: &str) -> Option<&str> {
    if let Some((_, after)) = stderr.rsplit_once("Traceback (most recent call last):") {
        return after
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with(char::is_whitespace));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    let stack = lines.iter().rposition(|l| l.trim_end() == "Stack:")?;
    lines[..stack]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .copied()
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The most linear memories, tables and core instances one plugin's store may create. A Rust
/// or Python component needs a handful of each; these caps only keep a hostile component from
/// spending host memory on thousands of small ones (each costs host bookkeeping the byte
/// budget does not see).
pub const MAX_MEMORIES: usize = 8;
/// See [`MAX_MEMORIES`].
pub const MAX_TABLES: usize = 64;
/// See [`MAX_MEMORIES`].
pub const MAX_INSTANCES: usize = 64;

/// What one table element costs the host: wasmtime stores a pointer per element (its
/// `ResourceLimiter::table_growing` documentation).
const TABLE_ELEMENT_BYTES: usize = std::mem::size_of::<usize>();

/// Enforces one memory budget over everything the plugin's instance allocates: every linear
/// memory and every table (elements at their host size), counted at creation and at each
/// growth. A budget per memory would let a component with several memories (or many large
/// tables) use several times its limit.
pub struct Limiter {
    memory_bytes: usize,
    /// Bytes granted so far, over all memories and tables.
    used: usize,
    /// Set when a growth or a creation was refused; says what was asked for.
    pub memory_hit: Option<String>,
    /// The most bytes granted at once (logged at debug level after each call).
    pub memory_peak: usize,
}

impl Limiter {
    /// A limiter granting at most `memory_bytes` in total.
    pub fn new(memory_bytes: usize) -> Limiter {
        Limiter {
            memory_bytes,
            used: 0,
            memory_hit: None,
            memory_peak: 0,
        }
    }

    /// Grants `extra` more bytes, or refuses (and remembers why) when the total would pass the
    /// limit.
    fn grant(&mut self, extra: usize, what: &str) -> wasmtime::Result<bool> {
        let total = self.used.saturating_add(extra);
        if total > self.memory_bytes {
            let why = format!(
                "{what} would bring its memories and tables to {total} bytes, over its limit of {} bytes",
                self.memory_bytes
            );
            self.memory_hit = Some(why.clone());
            wasmtime::bail!("{why}");
        }
        self.used = total;
        self.memory_peak = self.memory_peak.max(total);
        Ok(true)
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let what = if current == 0 {
            "creating a linear memory"
        } else {
            "growing a linear memory"
        };
        self.grant(desired.saturating_sub(current), what)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let what = if current == 0 {
            "creating a table"
        } else {
            "growing a table"
        };
        let extra = desired
            .saturating_sub(current)
            .saturating_mul(TABLE_ELEMENT_BYTES);
        self.grant(extra, what)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

/// Forwards a plugin's log to the host's, attributed to the plugin, up to a byte budget.
pub struct LogSink {
    plugin: String,
    used: usize,
    cap: usize,
    /// Bytes dropped because the budget ran out.
    pub dropped: usize,
}

impl LogSink {
    /// Logs one message, or counts it as dropped when over budget.
    pub fn emit(&mut self, level: Level, message: &str) {
        if self.used + message.len() > self.cap {
            self.dropped += message.len();
            return;
        }
        self.used += message.len();
        // One line, no control characters: a plugin cannot forge the host's lines.
        let message = crate::text::safe(message);
        // The plugin's name comes first: a plugin's text cannot pass for another plugin's line
        // by pushing the name off the screen, nor start like one of the host's own messages.
        let plugin = self.plugin.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, "[plugin {plugin} log] {message}"),
            Level::Debug => tracing::debug!(plugin, "[plugin {plugin} log] {message}"),
            Level::Info => tracing::info!(plugin, "[plugin {plugin} log] {message}"),
            Level::Warn => tracing::warn!(plugin, "[plugin {plugin} log] {message}"),
            Level::Error => tracing::error!(plugin, "[plugin {plugin} log] {message}"),
        }
    }

    /// Reports dropped log bytes, once, at the end of a call.
    pub fn finish(&mut self) {
        if self.dropped > 0 {
            tracing::warn!(
                plugin = self.plugin.as_str(),
                "{} bytes of plugin log dropped (limit {} bytes per call)",
                self.dropped,
                self.cap
            );
            self.dropped = 0;
        }
    }
}

/// A clock that never moves: wall time is the Unix epoch, monotonic time is zero.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::exception_line;

    #[test]
    fn an_interpreters_exception_gives_its_own_line() {
        let stderr = "Traceback (most recent call last):\n  File \"/1/app.py\", line 3, in run\n    raise RuntimeError(\"why\")\nRuntimeError: why\n\nthread '<unnamed>' panicked at runtime/src/lib.rs:1:1:\nPython function threw an unexpected exception\n";
        assert_eq!(exception_line(stderr), Some("RuntimeError: why"));
        let js = "can't access property \"boom\", x is undefined\nStack:\n  run@app.js:6:59\n  run@flinkwasm.js:258:22\n\nRedirecting call to abort() to mozalloc_abort\n";
        assert_eq!(
            exception_line(js),
            Some("can't access property \"boom\", x is undefined")
        );
        // Neither: the caller falls back to the last meaningful line (a Rust panic's message).
        assert_eq!(exception_line("thread 'main' panicked: boom\n"), None);
    }
}
