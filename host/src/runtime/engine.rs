//! The wasmtime engine settings. One source for two users: the runtime, and `host/build.rs`,
//! which precompiles the built-in plugins with exactly these settings so the embedded machine
//! code matches the engine that loads it (wasmtime checks, and refuses a mismatch).
//!
//! This file must only use `wasmtime`: the build script includes it with `#[path]`.

use wasmtime::Config;

/// The settings every plugin is compiled and run with: the component model, epoch interruption
/// (the time limit), parallel compilation and a 1 MiB wasm stack.
pub fn config() -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .parallel_compilation(true)
        .max_wasm_stack(1 << 20);
    config
}
