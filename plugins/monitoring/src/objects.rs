//! The monitoring objects: metrics Service, ServiceMonitor, operator PodMonitor and the
//! Grafana dashboard ConfigMap.

use crate::MONITORING_API;
use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::labels;

/// The dashboard model, kept as a file so it can be edited in (and exported from) Grafana.
pub const DASHBOARD_JSON: &str = include_str!("../dashboards/flink.json");
/// The metrics Service's name.
const SERVICE: &str = "flink-metrics";
/// The label the ServiceMonitor selects the Service by.
const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The label every Flink pod under CMF carries.
const FLINK_POD_TYPE: (&str, &str) = ("type", "flink-native-kubernetes");
/// Pod labels copied onto every series.
const POD_TARGET_LABELS: &[&str] = &["app", "component", "type", "platform.confluent.io/origin"];
/// This plugin's `app.kubernetes.io/component`.
const COMPONENT: &str = "monitoring";

/// Every object the configuration asks for; the monitors only when the cluster serves them.
///
/// A Service selects pods only in its own namespace, so the metrics Service is emitted in every
/// namespace Flink pods run in (`flink_namespaces`, one per FlinkEnvironment's
/// `kubernetesNamespace`); the one ServiceMonitor in `namespace` selects them all.
pub fn generate(
    cfg: &Config,
    namespace: &str,
    flink_namespaces: &[String],
    monitors: bool,
) -> Result<Vec<Manifest>, Error> {
    let flink = cfg.flink.enabled.unwrap_or(true);
    let mut out: Vec<Manifest> = if flink {
        flink_namespaces.iter().map(|ns| service(cfg, ns)).collect()
    } else {
        Vec::new()
    };
    if monitors {
        if flink {
            out.push(service_monitor(cfg, namespace, flink_namespaces));
        }
        if cfg.operator.enabled.unwrap_or(true) {
            out.push(pod_monitor(cfg, namespace));
        }
    }
    if cfg.dashboard.enabled.unwrap_or(true) {
        out.push(dashboard(cfg, namespace)?);
    }
    Ok(out)
}

fn base(api: &str, kind: &str, name: &str, namespace: &str) -> Manifest {
    let mut m = Manifest::build(api, kind, name, Some(namespace));
    labels::generated(&mut m, COMPONENT);
    m
}

fn service(cfg: &Config, namespace: &str) -> Manifest {
    let mut m = base("v1", "Service", SERVICE, namespace);
    m.set_label(NAME_LABEL, SERVICE);
    let port = cfg.port();
    m.set(
        &["spec"],
        json!({
            "clusterIP": "None",
            "selector": {FLINK_POD_TYPE.0: FLINK_POD_TYPE.1},
            "ports": [{"name": "metrics", "port": port, "targetPort": port, "protocol": "TCP"}]
        }),
    );
    m
}

fn release_label(cfg: &Config, m: &mut Manifest) {
    if let Some(release) = &cfg.prometheus_release {
        m.set_label("release", release);
    }
}

fn service_monitor(cfg: &Config, namespace: &str, flink_namespaces: &[String]) -> Manifest {
    let mut m = base(MONITORING_API, "ServiceMonitor", "flink", namespace);
    release_label(cfg, &mut m);
    m.set(
        &["spec"],
        json!({
            "selector": {"matchLabels": {NAME_LABEL: SERVICE}},
            "namespaceSelector": {"matchNames": flink_namespaces},
            "podTargetLabels": POD_TARGET_LABELS,
            "endpoints": [{
                "port": "metrics",
                "path": "/metrics",
                "interval": cfg.interval(),
                "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": "flink"}]
            }]
        }),
    );
    m
}

fn pod_monitor(cfg: &Config, namespace: &str) -> Manifest {
    let operator_ns = cfg.operator.namespace.as_deref().unwrap_or(namespace);
    let mut m = base(
        MONITORING_API,
        "PodMonitor",
        "flink-kubernetes-operator",
        operator_ns,
    );
    release_label(cfg, &mut m);
    m.set(
        &["spec"],
        json!({
            "selector": {"matchLabels": {NAME_LABEL: "flink-kubernetes-operator"}},
            "namespaceSelector": {"matchNames": [operator_ns]},
            "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics", "interval": cfg.interval()}]
        }),
    );
    m
}

fn dashboard(cfg: &Config, namespace: &str) -> Result<Manifest, Error> {
    // The embedded model is checked by the unit test below (and by tests/tests/dashboard.rs
    // against Grafana's schema and promtool), not on every run.
    let mut m = base("v1", "ConfigMap", "flink-dashboard", namespace);
    m.set_label("grafana_dashboard", "1");
    if let Some(folder) = &cfg.dashboard.folder {
        m.set_annotation("grafana_folder", folder);
    }
    m.set(&["data"], json!({"flink.json": DASHBOARD_JSON}));
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::DASHBOARD_JSON;

    #[test]
    fn the_embedded_dashboard_is_a_json_object() {
        let model: serde_json::Value =
            serde_json::from_str(DASHBOARD_JSON).expect("dashboards/flink.json is not JSON");
        assert!(model.is_object(), "a dashboard model is an object");
        assert!(model["panels"].is_array(), "the model has panels");
    }
}
