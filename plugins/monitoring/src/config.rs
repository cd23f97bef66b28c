//! The plugin's configuration; its JSON Schema is derived from [`Config`].

use flinkwasm_sdk::JsonSchema;
use serde::Deserialize;

/// Flink's Prometheus reporter port.
pub const FLINK_METRICS_PORT: u16 = 9249;

/// The configuration of `monitoring`: Flink's metrics Service, ServiceMonitor, operator
/// PodMonitor and Grafana dashboard.
// `Info::schema_for` derives the plugin's JSON Schema from this type, doc comments included.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Namespace of the ServiceMonitor, PodMonitor and dashboard (default: the run's). The
    /// metrics Services go where Flink's pods run: each FlinkEnvironment's
    /// `kubernetesNamespace` (this namespace when the stream has none).
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// Flink's Prometheus reporter port (default 9249).
    #[schemars(range(min = 1))]
    pub port: Option<u16>,
    /// Scrape interval (default `30s`).
    #[schemars(pattern("^[0-9]+(ms|s|m|h)$"))]
    pub interval: Option<String>,
    /// The kube-prometheus-stack release whose Prometheus should select the monitors
    /// (adds the `release` label); none adds no label.
    #[schemars(length(min = 1))]
    pub prometheus_release: Option<String>,
    /// The Grafana dashboard.
    #[serde(default)]
    pub dashboard: Dashboard,
    /// The operator PodMonitor.
    #[serde(default)]
    pub operator: Operator,
    /// Flink's metrics Services and their ServiceMonitor.
    #[serde(default)]
    pub flink: Flink,
}

/// Flink metrics settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Flink {
    /// Emit the metrics Services and the ServiceMonitor (default true; false in the operator's
    /// component, which renders only the operator PodMonitor).
    pub enabled: Option<bool>,
}

/// Dashboard settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dashboard {
    /// Emit the Grafana dashboard ConfigMap (default true).
    pub enabled: Option<bool>,
    /// Grafana folder, as the sidecar's `grafana_folder` annotation.
    #[schemars(length(min = 1))]
    pub folder: Option<String>,
}

/// Operator PodMonitor settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Operator {
    /// Emit the operator PodMonitor (default true).
    pub enabled: Option<bool>,
    /// Namespace of the operator (default: the monitoring namespace).
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
}

impl Config {
    /// The metrics port.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(FLINK_METRICS_PORT)
    }
    /// The scrape interval.
    pub fn interval(&self) -> &str {
        self.interval.as_deref().unwrap_or("30s")
    }
}
