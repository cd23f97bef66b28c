//! The plugin's configuration (its JSON Schema is derived from [`Config`]) and the chart
//! values it turns into.

use flinkwasm_sdk::{JsonSchema, Map, Value, json, merge_patch};
use flinkwasm_stack::argocd::{self, Chart};
use flinkwasm_stack::resources::Requirements;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The operator's Prometheus port (chart value `metrics.port`).
pub const METRICS_PORT: u16 = 9999;

/// The chart's own `defaultConfiguration."flink-conf.yaml"` value (Apache's chart, which
/// Confluent's forks): a value set by a user replaces the whole string, since Helm does not
/// merge strings, so these lines are kept and the stack's are added after them.
pub const CHART_FLINK_CONF: &str = "# Flink Config Overrides
kubernetes.operator.metrics.reporter.slf4j.factory.class: org.apache.flink.metrics.slf4j.Slf4jReporterFactory
kubernetes.operator.metrics.reporter.slf4j.interval: 5 MINUTE

kubernetes.operator.reconcile.interval: 15 s
kubernetes.operator.observer.progress-check.interval: 5 s
";

/// The configuration of `flink-operator`: the operator chart's Argo CD Application and the
/// settings enforced on the chart's output.
// `Info::schema_for` derives the plugin's JSON Schema from this type, doc comments included.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Namespace of the operator (default: the run's namespace).
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// The stack's version pairing (`seed`, the default, or `current`): the default
    /// operator chart version comes from it (`chart.version` overrides).
    #[serde(default)]
    pub stack: flinkwasm_stack::versions::Stack,
    /// The chart.
    #[serde(default)]
    pub chart: Chart,
    /// The Argo CD Application.
    #[serde(default)]
    pub argocd: argocd::Settings,
    /// Where Argo CD reads this component from (layout `root`: the Application renders it
    /// through the flinkwasm Config Management Plugin).
    #[serde(default)]
    pub source: argocd::GitSource,
    /// The operator pod's resources (default 2 CPU / 3Gi, requests = limits).
    #[serde(default)]
    pub resources: Requirements,
    /// Namespaces the operator watches (default: its own).
    #[schemars(inner(length(min = 1)))]
    pub watch_namespaces: Option<Vec<String>>,
    /// Operator metrics.
    #[serde(default)]
    pub metrics: Metrics,
    /// The admission webhook.
    #[serde(default)]
    pub webhook: Webhook,
    /// NetworkPolicy for the operator pods: the Kubernetes API, Flink JobManagers in the
    /// watched namespaces, DNS; metrics from Prometheus and the webhook from the API server.
    #[serde(default)]
    pub network_policy: NetworkPolicy,
    /// Extra labels on the operator's pods.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations on the operator's pods.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Further chart values, merged last (JSON merge patch).
    // An object, not any JSON value: a merge patch that is not an object would replace the
    // chart's values whole.
    #[schemars(with = "Option<Map<String, Value>>")]
    pub values: Option<Value>,
}

/// The operator's NetworkPolicy (opt-in).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Emit the NetworkPolicies (default false).
    pub enabled: Option<bool>,
    /// Namespace of the Prometheus that scrapes the operator (default `monitoring`).
    #[schemars(length(min = 1))]
    pub prometheus_namespace: Option<String>,
}

/// Operator metrics settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metrics {
    /// Expose Prometheus metrics (default true).
    pub enabled: Option<bool>,
    /// The port (default 9999).
    #[schemars(range(min = 1))]
    pub port: Option<u16>,
}

/// Admission webhook settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhook {
    /// Create it; default: only when the cluster serves `cert-manager.io/v1`.
    pub create: Option<bool>,
}

/// The chart this plugin installs unless configured otherwise: its version is the stack
/// pairing's (`flinkwasm_stack::versions`).
pub fn default_chart(stack: flinkwasm_stack::versions::Stack) -> Chart {
    Chart {
        repo_url: Some(flinkwasm_stack::CONFLUENT_HELM_REPO.to_string()),
        name: Some("flink-kubernetes-operator".to_string()),
        version: Some(stack.pairing().operator_chart.to_string()),
        release_name: Some("flink-kubernetes-operator".to_string()),
    }
}

impl Config {
    /// The operator pod's resources with the seed's defaults filled in.
    pub fn resources(&self) -> Requirements {
        self.resources.or(&Requirements::guaranteed("2", "3Gi"))
    }

    /// The namespaces the operator watches (default: its own).
    pub fn watched(&self, namespace: &str) -> Vec<String> {
        self.watch_namespaces
            .clone()
            .unwrap_or_else(|| vec![namespace.to_string()])
    }

    /// The operator port Prometheus scrapes, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics
            .enabled
            .unwrap_or(true)
            .then(|| self.metrics.port.unwrap_or(METRICS_PORT))
    }

    /// `operatorPod.labels`: the stack's labels and the configured ones.
    fn operator_pod_labels(&self) -> BTreeMap<String, String> {
        let mut pod_labels = BTreeMap::from([
            (
                flinkwasm_stack::labels::PART_OF_LABEL.to_string(),
                flinkwasm_stack::PART_OF.to_string(),
            ),
            (
                flinkwasm_stack::labels::COMPONENT_LABEL.to_string(),
                "flink-kubernetes-operator".to_string(),
            ),
        ]);
        pod_labels.extend(self.labels.clone());
        pod_labels
    }

    /// The chart values (`valuesObject`).
    pub fn values(&self, namespace: &str, webhook: bool) -> Value {
        let mut values = json!({
            "watchNamespaces": self.watched(namespace),
            "operatorPod": {
                "resources": self.resources().to_json(),
                "labels": self.operator_pod_labels(),
            },
            "webhook": {"create": webhook},
        });
        if !self.annotations.is_empty() {
            values["operatorPod"]["annotations"] = json!(self.annotations);
        }
        if let Some(port) = self.metrics_port() {
            values["metrics"] = json!({"port": port});
            values["defaultConfiguration"] = json!({
                "create": true,
                "append": true,
                "flink-conf.yaml": format!(
                    "{CHART_FLINK_CONF}\n\
                     # flinkwasm: the operator's Prometheus reporter (the PodMonitor's target)\n\
                     kubernetes.operator.metrics.reporter.prom.factory.class: \
                     org.apache.flink.metrics.prometheus.PrometheusReporterFactory\n\
                     kubernetes.operator.metrics.reporter.prom.port: {port}\n"
                ),
            });
        }
        if let Some(extra) = &self.values {
            merge_patch(&mut values, extra);
        }
        values
    }
}
