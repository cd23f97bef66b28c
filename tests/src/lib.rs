//! Shared helpers of the flinkwasm end-to-end tests: running the binary, building pipelines
//! around the probe plugin, and typed models of the CRDs flinkwasm emits.

#![warn(missing_docs)]

pub mod components;
pub mod crds;
pub mod grafana;
pub mod harness;
pub mod typed;
