//! The operator and CMF plugins against chart output rendered by the real Helm 4 engine (PyPI
//! `helm-python-sdk`, through `tests/helm/render_chart.py`): the values the generated
//! Applications carry do what they promise in the chart, and post-rendering the chart's own
//! output enforces resources, namespace, labels and the data volume's protection.

use flinkwasm_tests::harness::{Scratch, parse_stream};
use serde_json::{Value, json};

use crate::BIN;
use flinkwasm_tests::harness::find;

/// `helm template`-like output of a test chart, from the real Helm engine.
fn helm_render(chart: &str, namespace: &str, values: &Value) -> String {
    flinkwasm_tests::harness::helm_template(chart, chart, namespace, values)
}

/// The `valuesObject` of a generated Application.
fn generated_values(app: &str) -> Value {
    let s = Scratch::new(BIN);
    let r = s.run(&["render"], None).ok();
    find(&parse_stream(&r.stdout), "Application", app)["spec"]["source"]["helm"]["valuesObject"]
        .clone()
}

#[test]
fn the_operator_applications_values_give_a_metrics_port_and_no_webhook_in_the_chart() {
    let values = generated_values("flink-kubernetes-operator");
    let objects = parse_stream(&helm_render(
        "flink-kubernetes-operator",
        "confluent",
        &values,
    ));
    assert!(
        objects
            .iter()
            .all(|o| o["apiVersion"] != "cert-manager.io/v1"),
        "webhook off: no cert-manager objects"
    );
    let dep = find(&objects, "Deployment", "flink-kubernetes-operator");
    let container = &dep["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        container["ports"][0],
        json!({"name": "metrics", "containerPort": 9999, "protocol": "TCP"}),
        "the PodMonitor's port exists"
    );
    assert_eq!(
        container["resources"]["limits"],
        json!({"cpu": "2", "memory": "3Gi"})
    );
    let pod_labels = &dep["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        pod_labels["app.kubernetes.io/name"], "flink-kubernetes-operator",
        "what the PodMonitor selects"
    );
    assert_eq!(
        find(&objects, "ServiceAccount", "flink")["metadata"]["namespace"],
        "confluent"
    );
    let conf = find(&objects, "ConfigMap", "flink-operator-config")["data"]["flink-conf.yaml"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        conf.contains("kubernetes.operator.metrics.reporter.prom.port: 9999"),
        "{conf}"
    );
}

#[test]
fn post_rendering_the_operator_chart_enforces_resources_namespace_and_labels() {
    let s = Scratch::new(BIN);
    // Installed into another namespace than the stack's: only the Deployment could move, its
    // ServiceAccount and ConfigMap could not, so the release is refused with how to install it.
    let elsewhere = helm_render("flink-kubernetes-operator", "flink-operator", &json!({}));
    s.run(
        &["post-render", "--plugin", "flink-operator", "--api-versions", "v1,apps/v1,cert-manager.io/v1"],
        Some(&elsewhere),
    )
    .fails(
        4,
        "plugin flink-operator: Deployment/flink-operator/flink-kubernetes-operator metadata.namespace: the release is installed into namespace flink-operator, but the stack runs flink-kubernetes-operator in confluent",
    );
    let kept = s
        .run(
            &[
                "post-render",
                "--plugin",
                "flink-operator",
                "--namespace",
                "flink-operator",
                "--api-versions",
                "v1,apps/v1,cert-manager.io/v1",
            ],
            Some(&elsewhere),
        )
        .ok();
    assert!(
        parse_stream(&kept.stdout)
            .iter()
            .all(|o| o["metadata"]["namespace"] == "flink-operator")
    );
    // The chart's defaults: webhook on, no resources.
    let raw = helm_render("flink-kubernetes-operator", "confluent", &json!({}));
    s.run(&["post-render", "--plugin", "flink-operator"], Some(&raw)).fails(
        4,
        "plugin flink-operator: Issuer/confluent/flink-operator-selfsigned-issuer apiVersion: the chart's admission webhook needs cert-manager",
    );
    let r = s
        .run(
            &[
                "post-render",
                "--plugin",
                "flink-operator",
                "--api-versions",
                "v1,apps/v1,cert-manager.io/v1",
            ],
            Some(&raw),
        )
        .ok();
    let objects = parse_stream(&r.stdout);
    let dep = find(&objects, "Deployment", "flink-kubernetes-operator");
    assert_eq!(dep["metadata"]["namespace"], "confluent");
    for labels in [
        &dep["metadata"]["labels"],
        &dep["spec"]["template"]["metadata"]["labels"],
    ] {
        assert_eq!(
            labels["app.kubernetes.io/part-of"],
            "confluent-platform-flink"
        );
        assert_eq!(
            labels["app.kubernetes.io/component"],
            "flink-kubernetes-operator"
        );
    }
    assert_eq!(
        dep["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "flink-kubernetes-operator"}),
        "selectors are immutable and left alone"
    );
    let containers = dep["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(
        containers[0]["resources"],
        json!({"limits": {"cpu": "2", "memory": "3Gi"}, "requests": {"cpu": "2", "memory": "3Gi"}})
    );
    assert!(
        containers[1].get("resources").is_none(),
        "only the operator container is sized"
    );
    assert_eq!(
        objects.len(),
        parse_stream(&raw).len(),
        "nothing added or lost"
    );
    assert!(
        objects.iter().all(|o| o["kind"] != "Application"),
        "post-render generates nothing"
    );
}

#[test]
fn post_rendering_the_cmf_chart_protects_the_database_volume() {
    let s = Scratch::new(BIN);
    let values = generated_values("cmf-operator");
    let raw = helm_render("confluent-manager-for-apache-flink", "confluent", &values);
    let rendered = parse_stream(&raw);
    assert_eq!(
        find(&rendered, "PersistentVolumeClaim", "cmf-data")["spec"]["resources"]["requests"]["storage"],
        "10Gi"
    );
    let r = s
        .run(
            &["post-render", "--plugin", "cmf"],
            Some(&helm_render(
                "confluent-manager-for-apache-flink",
                "confluent",
                &json!({"resources": {"limits": {"cpu": 4}}}),
            )),
        )
        .ok();
    let objects = parse_stream(&r.stdout);
    let pvc = find(&objects, "PersistentVolumeClaim", "cmf-data");
    assert_eq!(
        pvc["metadata"]["annotations"]["helm.sh/resource-policy"],
        "keep"
    );
    assert_eq!(
        pvc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
        "Prune=false"
    );
    let dep = find(&objects, "Deployment", "confluent-manager-for-apache-flink");
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["resources"],
        json!({"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}})
    );
    assert_eq!(
        dep["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "confluent-manager-for-apache-flink"
    );
    assert_eq!(
        dep["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "confluent-platform-flink"
    );
    let svc = find(&objects, "Service", "cmf-service");
    assert_eq!(
        svc,
        find(&parse_stream(&raw_cmf()), "Service", "cmf-service"),
        "other objects pass through unchanged"
    );
}

fn raw_cmf() -> String {
    helm_render(
        "confluent-manager-for-apache-flink",
        "confluent",
        &json!({"resources": {"limits": {"cpu": 4}}}),
    )
}
