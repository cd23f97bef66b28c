//! Compiling a component to machine code: a built-in in this process, anything else in an
//! isolated copy of this binary under the plugin's compile limits ([`crate::isolate`]).
//!
//! Cranelift's time and memory grow with what a component holds (one huge function is enough
//! for seconds and gigabytes), and a compile runs in the host, outside every limit the sandbox
//! sets on running code. An external component is the pipeline author's choice, not ours, so
//! it is compiled in a child process that cannot outgrow its bounds; nothing is cached from a
//! compile that failed.

use super::engine;
use super::{Cause, PluginError};
use crate::isolate::{self, Bounds, Failure};
use anyhow::Result;
use std::time::Duration;
use wasmtime::Engine;

/// How a component that is not in the cache is compiled.
#[derive(Debug, Clone, Copy)]
pub enum Compile {
    /// In this process: for the built-ins, whose bytes are this binary's own.
    Trusted,
    /// In an isolated child process bounded to `memory` bytes and `timeout`.
    Isolated {
        /// The child's memory bound.
        memory: usize,
        /// The child's wall-time bound.
        timeout: Duration,
    },
}

/// The isolated job's name (`flinkwasm __isolate compile`).
pub const JOB: &str = "compile";

impl Compile {
    /// The machine code of the component `bytes` (what `Engine::precompile_component` makes),
    /// or an error naming plugin `name` and the bound it hit.
    pub fn run(self, engine: &Engine, name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
        match self {
            Compile::Trusted => engine
                .precompile_component(bytes)
                .map_err(anyhow::Error::from)
                .map_err(|e| PluginError::new(name, Cause::Invalid(format!("{e:#}"))).into()),
            Compile::Isolated { memory, timeout } => {
                let bounds = Bounds {
                    memory,
                    timeout,
                    // The machine code cannot be larger than the memory that made it.
                    output: memory,
                };
                isolate::run(JOB, bytes, bounds).map_err(|f| failed(name, f, memory, timeout))
            }
        }
    }
}

/// A failed isolated compile as an error naming the plugin and the bound.
fn failed(name: &str, failure: Failure, memory: usize, timeout: Duration) -> anyhow::Error {
    let cause = match failure {
        Failure::Time => Cause::CompileTime(timeout),
        Failure::Memory | Failure::TooLarge => Cause::CompileMemory(memory),
        Failure::Refused(why) => Cause::Invalid(crate::text::safe(&why).into_owned()),
        Failure::Broken(why) => Cause::CompileBroken(crate::text::safe(&why).into_owned()),
    };
    PluginError::new(name, cause).into()
}

/// The child's side of [`Compile::Isolated`]: compiles the component on stdin with the
/// runtime's engine settings and writes the machine code on stdout.
pub fn compile_in_child(input: &[u8]) -> Result<Vec<u8>, String> {
    let engine = Engine::new(&engine::config()).map_err(|e| format!("creating the engine: {e}"))?;
    engine
        .precompile_component(input)
        .map_err(|e| format!("{:#}", anyhow::Error::from(e)))
}
