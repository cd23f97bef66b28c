//! `monitoring`: Prometheus and Grafana for the Flink stack.
//!
//! Generates (in `render` and `argocd-cmp` modes), unless the stream already has them:
//! - the headless metrics `Service` (port 9249 named `metrics`) selecting every Flink pod
//!   (`type: flink-native-kubernetes`), JobManagers and TaskManagers alike, in every namespace
//!   Flink pods run in (each FlinkEnvironment's `kubernetesNamespace`): a Service selects pods
//!   only in its own namespace;
//! - the `ServiceMonitor` that scrapes them all with `job="flink"` and the pod labels `app`,
//!   `component`, `type` and `platform.confluent.io/origin` on every series, labelled for a
//!   kube-prometheus-stack release when configured (a warning says so when it is not: a
//!   default kube-prometheus-stack selects only monitors with its `release` label);
//! - the operator `PodMonitor` (port `metrics` of `app.kubernetes.io/name:
//!   flink-kubernetes-operator`);
//! - the Grafana dashboard `ConfigMap` (`grafana_dashboard: "1"`).
//!
//! Without `monitoring.coreos.com/v1` on the cluster the monitors are skipped with a warning.
//! In every mode it turns Flink's Prometheus reporter on in each FlinkEnvironment's defaults:
//! without it nothing listens on 9249 and the Service scrapes nothing.

mod config;
mod objects;
mod reporter;

use config::Config;
use flinkwasm_sdk::prelude::*;

/// The plugin type exported to the host.
pub struct Monitoring;

/// The API of the Prometheus Operator's monitors.
pub const MONITORING_API: &str = "monitoring.coreos.com/v1";

impl Plugin for Monitoring {
    fn info() -> Info {
        Info::new(
            "monitoring",
            env!("CARGO_PKG_VERSION"),
            "Flink metrics Service, ServiceMonitor, operator PodMonitor, Grafana dashboard, Prometheus reporter",
            Role::Both,
        )
        .schema_for::<Config>()
        // The Flink resources it turns the reporter on in, and the kinds it generates (to keep
        // the stream's own instead).
        .select(
            &["platform.confluent.io", "", "monitoring.coreos.com"],
            &["FlinkEnvironment", "FlinkApplication", "Service", "ServiceMonitor", "PodMonitor", "ConfigMap"],
        )
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let namespace = cfg
            .namespace
            .clone()
            .unwrap_or_else(|| ctx.namespace.clone());
        let mut diagnostics = Vec::new();
        reporter::enable(&cfg, &mut manifests, &mut diagnostics)?;
        if ctx.generate {
            let monitors = ctx.has_api(MONITORING_API);
            if !monitors {
                diagnostics.push(Diagnostic::warning(format!(
                    "{MONITORING_API} is not among the cluster's API versions: the ServiceMonitor \
                     and PodMonitor are skipped; install the Prometheus Operator (for example \
                     kube-prometheus-stack) to scrape Flink"
                )));
            } else if cfg.prometheus_release.is_none() {
                diagnostics.push(
                    Diagnostic::warning(
                        "the ServiceMonitor and PodMonitor carry no release label: a \
                         kube-prometheus-stack with its default settings selects only monitors \
                         labelled release: <its release name>, so it would scrape nothing; set \
                         prometheusRelease to that name (or configure its Prometheus to select \
                         every monitor)",
                    )
                    .at("prometheusRelease"),
                );
            }
            let mut flink_namespaces: Vec<String> = manifests
                .iter()
                .filter(|m| m.is("platform.confluent.io", "FlinkEnvironment"))
                .filter_map(|m| {
                    m.get(&["spec", "kubernetesNamespace"])
                        .and_then(Value::as_str)
                        .or(m.namespace())
                        .map(str::to_string)
                })
                .collect();
            flink_namespaces.sort();
            flink_namespaces.dedup();
            if flink_namespaces.is_empty() {
                // No environment to read: the configured namespace is where Flink pods run.
                flink_namespaces.push(namespace.clone());
            }
            for object in objects::generate(&cfg, &namespace, &flink_namespaces, monitors)? {
                let present = manifests.iter().any(|m| {
                    m.kind() == object.kind()
                        && m.name() == object.name()
                        && m.namespace() == object.namespace()
                });
                if present {
                    diagnostics.push(
                        Diagnostic::info("kept the stream's own object instead of generating it")
                            .on(object.reference()),
                    );
                } else {
                    manifests.push(object);
                }
            }
        }
        Ok(Output {
            manifests,
            diagnostics,
        })
    }
}

flinkwasm_sdk::export_plugin!(Monitoring);
