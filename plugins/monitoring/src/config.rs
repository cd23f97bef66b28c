//! The plugin's configuration and its JSON Schema.

use flinkwasm_sdk::{Value, json};
use serde::Deserialize;

/// Flink's Prometheus reporter port.
pub const FLINK_METRICS_PORT: u16 = 9249;

/// The plugin configuration (see [`schema`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Namespace of the ServiceMonitor, PodMonitor and dashboard (default: the run's). The
    /// metrics Services go where Flink's pods run: each FlinkEnvironment's namespace.
    pub namespace: Option<String>,
    /// Flink's metrics port (default 9249).
    pub port: Option<u16>,
    /// Scrape interval (default `30s`).
    pub interval: Option<String>,
    /// The kube-prometheus-stack release whose Prometheus should select the monitors
    /// (adds the `release` label); none adds no label.
    pub prometheus_release: Option<String>,
    /// The Grafana dashboard.
    #[serde(default)]
    pub dashboard: Dashboard,
    /// The operator PodMonitor.
    #[serde(default)]
    pub operator: Operator,
}

/// Dashboard settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dashboard {
    /// Emit the dashboard ConfigMap (default true).
    pub enabled: Option<bool>,
    /// Grafana folder, as the sidecar's `grafana_folder` annotation.
    pub folder: Option<String>,
}

/// Operator PodMonitor settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Operator {
    /// Emit the operator PodMonitor (default true).
    pub enabled: Option<bool>,
    /// Namespace of the operator (default: the monitoring namespace).
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

/// JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "monitoring",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "namespace": {"type": "string", "minLength": 1, "description": "Namespace of the ServiceMonitor, PodMonitor and dashboard (default: the run's); the metrics Services go to each FlinkEnvironment's kubernetesNamespace (this namespace when the stream has none)"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "Flink's Prometheus reporter port (default 9249)"},
            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$", "description": "Scrape interval (default 30s)"},
            "prometheusRelease": {"type": "string", "minLength": 1, "description": "kube-prometheus-stack release that selects the monitors (adds label release)"},
            "dashboard": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "enabled": {"type": "boolean", "description": "Emit the Grafana dashboard ConfigMap (default true)"},
                    "folder": {"type": "string", "minLength": 1, "description": "Grafana folder (grafana_folder annotation)"}
                }
            },
            "operator": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "enabled": {"type": "boolean", "description": "Emit the operator PodMonitor (default true)"},
                    "namespace": {"type": "string", "minLength": 1, "description": "Namespace of the operator (default: the monitoring namespace)"}
                }
            }
        }
    })
}
