//! What can go wrong loading, compiling or calling a plugin: the runtime's one error type.
//! The plugin's name is added here and nowhere else ([`PluginError`]'s `Display`). Which exit
//! code each cause means is decided by `error::exit_code`: the runtime knows nothing of exit
//! codes.

use super::Limits;
use super::mib;
use std::fmt;
use std::time::Duration;

/// A plugin's failure in the runtime, naming the plugin.
#[derive(Debug)]
pub struct PluginError {
    /// The plugin's name in the pipeline.
    pub plugin: String,
    /// What went wrong.
    pub cause: Cause,
}

impl PluginError {
    /// `plugin` failed with `cause`.
    pub fn new(plugin: &str, cause: Cause) -> PluginError {
        PluginError {
            plugin: plugin.to_string(),
            cause,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin {}: {}", self.plugin, self.cause)
    }
}

impl std::error::Error for PluginError {}

/// Why a plugin failed.
#[derive(Debug)]
pub enum Cause {
    /// The bytes are not a component wasmtime accepts (exit 5).
    Invalid(String),
    /// It imports something the host does not link (exit 5).
    Import(String),
    /// Its exports match no version of the contract the host links (exit 5).
    World(String),
    /// Compiling it hit its compile time limit (exit 4).
    CompileTime(Duration),
    /// Compiling it hit its compile memory limit, in bytes (exit 4).
    CompileMemory(usize),
    /// The isolated compile broke for a reason of the host's (exit 1).
    CompileBroken(String),
    /// A call into it failed (exit 4).
    Call {
        /// What the host was doing: `starting`, `describing itself`, `running`.
        during: String,
        /// How it failed.
        fault: Fault,
    },
    /// An earlier failure left its instance unusable (exit 4).
    Unusable,
    /// It returned more diagnostics than a run may report (exit 4).
    Diagnostics(usize),
    /// What it returned is larger than its output limit: size and limit in bytes (exit 4).
    Output(usize, usize),
    /// Its description is larger than any plugin needs (exit 4).
    Description(String),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Invalid(why) => write!(f, "not a valid WebAssembly component: {why}"),
            Cause::Import(why) => write!(
                f,
                "needs an import flinkwasm does not provide (plugins may import only \
                 flinkwasm:plugin/host and WASI 0.2 without wasi:http; build a JavaScript \
                 component with http disabled, as plugins/sdk-js/build.mjs does): {why}"
            ),
            Cause::World(why) => write!(
                f,
                "does not implement the {} world (nor 0.2.0's): {why}",
                super::CONTRACT
            ),
            Cause::CompileTime(limit) => write!(
                f,
                "compiling it took longer than its compile time limit of {limit:?} \
                 (limits.compileTimeout); nothing was cached. A Python or JavaScript component \
                 (an interpreter, tens of MB) needs about 120s once; a pipeline may grant up \
                 to {:?}",
                Limits::MAX_COMPILE_TIMEOUT
            ),
            Cause::CompileMemory(limit) => write!(
                f,
                "compiling it needed more than its compile memory limit of {} MiB \
                 (limits.compileMemory); nothing was cached. A Python or JavaScript component \
                 needs about 1Gi; a pipeline may grant up to {} MiB",
                limit >> 20,
                Limits::MAX_COMPILE_MEMORY >> 20
            ),
            Cause::CompileBroken(why) => write!(f, "the isolated compile failed: {why}"),
            Cause::Call { during, fault } => fault.fmt_during(f, during),
            Cause::Unusable => f.write_str("instance is unusable after an earlier failure"),
            Cause::Diagnostics(n) => write!(
                f,
                "returned {n} diagnostics, more than the {} a run may report",
                super::MAX_DIAGNOSTICS
            ),
            Cause::Output(size, limit) => write!(
                f,
                "returned {} of output, above its output limit of {}",
                mib(*size),
                mib(*limit)
            ),
            Cause::Description(what) => write!(f, "describes itself with {what}"),
        }
    }
}

/// How a call into a plugin failed.
#[derive(Debug)]
pub enum Fault {
    /// Past its memory limit (bytes), and what asked for more.
    Memory(usize, String),
    /// Returned more than its output limit (bytes): wasmtime's copy allowance ran out.
    OutputLimit(usize),
    /// More memories, tables or core instances (named) than a plugin may have.
    Counts(&'static str),
    /// Past its time limit.
    Timeout(Duration),
    /// Overflowed its stack.
    StackOverflow,
    /// Wrote more than this many bytes to stdout/stderr.
    Stdio(usize),
    /// Panicked or aborted, with the last line it wrote to stderr.
    Panic(Option<String>),
    /// Another trap.
    Trap(wasmtime::Trap),
    /// Anything else wasmtime reported, made safe to show.
    Failed(String),
}

impl Fault {
    fn fmt_during(&self, f: &mut fmt::Formatter<'_>, during: &str) -> fmt::Result {
        match self {
            Fault::Memory(limit, why) => write!(
                f,
                "exceeded its memory limit of {} while {during}: {why}",
                mib(*limit)
            ),
            Fault::OutputLimit(limit) => write!(
                f,
                "returned more than its output limit of {} while {during}",
                mib(*limit)
            ),
            Fault::Counts(what) => write!(
                f,
                "needs more {what} than a plugin may have ({} memories, {} tables, {} core \
                 instances) while {during}",
                super::sandbox::MAX_MEMORIES,
                super::sandbox::MAX_TABLES,
                super::sandbox::MAX_INSTANCES
            ),
            Fault::Timeout(limit) => {
                write!(
                    f,
                    "timed out after {limit:?} (its time limit) while {during}"
                )
            }
            Fault::StackOverflow => write!(
                f,
                "overflowed its stack (unbounded recursion?) while {during}"
            ),
            Fault::Stdio(limit) => write!(
                f,
                "wrote more than {} to stdout/stderr (use the log import) while {during}",
                mib(*limit)
            ),
            Fault::Panic(Some(line)) => write!(f, "panicked or aborted: {line} while {during}"),
            Fault::Panic(None) => {
                write!(f, "panicked or aborted (wasm `unreachable`) while {during}")
            }
            Fault::Trap(t) => write!(f, "trapped: {t} while {during}"),
            Fault::Failed(why) => write!(f, "failed: {why} while {during}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_is_named_once() {
        let e = PluginError::new(
            "p",
            Cause::Call {
                during: "running".into(),
                fault: Fault::Timeout(Duration::from_secs(2)),
            },
        );
        assert_eq!(
            e.to_string(),
            "plugin p: timed out after 2s (its time limit) while running"
        );
        let any: anyhow::Error = e.into();
        assert!(
            any.chain()
                .any(|c| c.downcast_ref::<PluginError>().is_some())
        );
    }
}
