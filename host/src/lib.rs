//! flinkwasm: assembles and post-renders Kubernetes manifests for Confluent Platform for Apache
//! Flink through a pipeline of sandboxed WebAssembly plugins.
//!
//! The binary is a thin shell over [`cli::main`]. The work is done by:
//! - [`stream`]: YAML/JSON manifest streams in, canonical YAML out;
//! - [`pipeline`]: the `flinkwasm.yaml` model, limits and the built-in default pipeline;
//! - [`source`] and [`builtin`]: where a plugin's component bytes come from, and their pins;
//! - [`runtime`]: wasmtime engine, compile cache and the per-instance sandbox;
//! - [`schema`]: plugin configuration validation;
//! - [`secrets`]: keeping secret values out of pipeline files and rendered output;
//! - [`render`]: running a pipeline over a stream;
//! - [`held`]: the stream as a run holds it, objects as JSON or final YAML text;
//! - [`text`]: plugin text made safe to print;
//! - [`wiring`]: after the plugins, how the stream's objects connect (namespaces, selectors,
//!   ports, CFK to CMF), as a cluster would run them;
//! - [`error`]: failure classes and exit codes.
//!
//! See `ARCHITECTURE.md` at the repository root for the bird's-eye view and invariants.

#![warn(missing_docs)]

pub mod annotations;
pub mod argocd;
pub mod builtin;
pub mod cli;
pub mod emit;
pub mod error;
pub mod files;
pub mod held;
pub mod isolate;
pub mod krm;
pub mod pipeline;
pub mod policy;
pub mod render;
pub mod returned;
pub mod runtime;
pub mod scaffold;
pub mod schema;
pub mod scope;
pub mod secrets;
pub mod source;
pub mod start;
pub mod stream;
pub mod text;
pub mod wiring;
