//! `monitoring`: Prometheus and Grafana for the Flink stack.
//!
//! Generates (in `render` and `argocd-cmp` modes), unless the stream already has them:
//! - the headless metrics `Service` (port 9249 named `metrics`) selecting every Flink pod
//!   (`type: flink-native-kubernetes`), JobManagers and TaskManagers alike;
//! - the `ServiceMonitor` that scrapes it with `job="flink"` and the pod labels `app`,
//!   `component`, `type` and `platform.confluent.io/origin` on every series, optionally labelled
//!   for a kube-prometheus-stack release;
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
        .schema(config::schema())
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
        if ctx.mode.generates() {
            let monitors = ctx.has_api(MONITORING_API);
            if !monitors {
                diagnostics.push(Diagnostic::warning(format!(
                    "{MONITORING_API} is not among the cluster's API versions: the ServiceMonitor \
                     and PodMonitor are skipped; install the Prometheus Operator (for example \
                     kube-prometheus-stack) to scrape Flink"
                )));
            }
            for object in objects::generate(&cfg, &namespace, monitors)? {
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
