//! The end-to-end suites: what only the real binary can show, one module per area, in one
//! test binary (one link, shared helpers in `flinkwasm_tests::harness`).
//!
//! Run one area with `cargo test -p flinkwasm-tests --test e2e hostile::`.

/// The binary under test: flinkwasm's CLI, built for the tests (`src/bin/flinkwasm-cli.rs`).
pub const BIN: &str = env!("CARGO_BIN_EXE_flinkwasm-cli");

mod argocd;
mod cache;
mod charts;
mod cluster;
mod contract;
mod custom;
mod dashboard;
mod errors;
mod flink_sql;
mod gitops;
mod goyaml;
mod health;
mod helm;
mod hostile;
mod krm;
mod large;
mod oci;
mod oci_charts;
mod overlay;
mod polyglot;
mod sandbox;
mod schemas;
mod security;
mod stack;
mod wiring;
