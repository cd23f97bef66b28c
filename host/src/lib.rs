//! flinkwasm: assembles and post-renders Kubernetes manifests for Confluent Platform for Apache
//! Flink through a pipeline of sandboxed WebAssembly plugins.
//!
//! The binary is a thin shell over [`cli::main`]. `ARCHITECTURE.md` at the repository root is
//! the map: the bird's-eye view, what each module holds, and the rules between them.

#![warn(missing_docs)]

pub mod annotations;
pub mod builtin;
pub mod chart;
pub mod cli;
pub mod emit;
pub mod error;
pub mod files;
pub mod held;
pub mod helm;
pub mod integration;
pub mod isolate;
pub mod network;
pub mod oci;
pub mod pipeline;
pub mod plan;
pub mod plugins;
pub mod policy;
pub mod report;
pub mod returned;
pub mod run;
pub mod runtime;
pub mod scaffold;
pub mod schema;
pub mod scope;
pub mod secrets;
pub mod signature;
pub mod source;
pub mod start;
pub mod stream;
pub mod text;
pub mod wiring;
