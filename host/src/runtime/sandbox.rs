//! What a plugin instance runs inside: a store whose WASI context denies everything, with fixed
//! clocks and randomness, bounded memory and logs, and the `log` import.

use crate::pipeline::Limits;
use crate::runtime::bindings::flinkwasm::plugin::host::{Host, Level};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use std::time::Duration;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// The seed of every plugin's "random" numbers: the same every run, so output is reproducible.
const RANDOM_SEED: u64 = 0x666c_696e_6b77_6173; // "flinkwas"

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
            .build();
        State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                memory_hit: false,
                memory_peak: 0,
            },
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
        err.lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .map(str::to_string)
    }

    /// True when stdout or stderr filled its bound (further writes trap).
    pub fn stdio_full(&self) -> bool {
        self.stdout.contents().len() >= self.log.cap || self.stderr.contents().len() >= self.log.cap
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The `types` interface has no functions; its (empty) host trait still needs an impl.
impl crate::runtime::bindings::flinkwasm::plugin::types::Host for State {}

impl Host for State {
    fn log(&mut self, level: Level, message: String) {
        self.log.emit(level, &message);
    }
}

/// Enforces the memory limit and remembers when it fired, so the error can say so.
pub struct Limiter {
    memory_bytes: usize,
    /// Set when a memory growth was refused.
    pub memory_hit: bool,
    /// The largest linear memory granted, in bytes (logged at debug level after each call).
    pub memory_peak: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.memory_hit = true;
            wasmtime::bail!(
                "memory limit of {} bytes reached (asked for {desired})",
                self.memory_bytes
            );
        }
        self.memory_peak = self.memory_peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
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
        let plugin = self.plugin.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
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
