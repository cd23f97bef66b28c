//! Shared helpers of the flinkwasm end-to-end tests: running the binary, building pipelines
//! around the probe plugin, the real schemas every emitted object is checked against, and the
//! Grafana dashboard model.

#![warn(missing_docs)]

pub mod components;
pub mod grafana;
pub mod harness;
pub mod helm;
pub mod oci_chart;
pub mod polyglot;
pub mod registry;
pub mod schemas;
