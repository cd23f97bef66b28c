//! What the stack's built-in plugins share, so that every component is shaped the same way:
//!
//! - [`argocd`]: the Argo CD `Application` each component is deployed by (sync wave, sync
//!   options, destination) and the config block that tunes it;
//! - [`labels`]: the labels every object of the stack carries;
//! - [`namespaces`]: the Namespaces the components need beyond their Applications' own;
//! - [`netpol`]: NetworkPolicies: the pods each component runs as, their peers, the builder;
//! - [`resources`]: CPU/memory settings in Kubernetes quantities, config and schema;
//! - [`workload`]: enforcing those settings on a chart's own Deployment when post-rendering;
//! - [`workloads`]: what a chart runs, declared on its Application for the wiring check.
//! - [`versions`]: the stack's version pairings (seed, current) and what each can do.
//!
//! Plugins written by teams do not need this crate; it is the stack's house style, not SDK.

#![warn(missing_docs)]

pub mod argocd;
pub mod labels;
pub mod namespaces;
pub mod netpol;
pub mod resources;
#[cfg(feature = "testing")]
pub mod testing;
pub mod versions;
pub mod workload;
pub mod workloads;

/// The stack's name, used as `app.kubernetes.io/part-of`.
pub const PART_OF: &str = "confluent-platform-flink";
/// The Helm repository of Confluent's charts.
pub const CONFLUENT_HELM_REPO: &str = "https://packages.confluent.io/helm";
/// The namespace of kube-prometheus-stack's Prometheus unless configured otherwise.
pub const DEFAULT_PROMETHEUS_NAMESPACE: &str = "monitoring";
/// Argo CD's sync-wave annotation.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
