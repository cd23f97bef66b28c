//! The whole stack as a cluster gets it: the render, plus the two charts rendered by the real
//! Helm 4 engine (PyPI `helm-python-sdk`) from the values the generated Applications carry, into
//! the namespaces Argo CD would install them in. For both clusters, every object fits the real
//! schema of its kind, the wiring check finds nothing, and what each Application declares its
//! chart runs is what the chart emits.

use flinkwasm::wiring::{self, View};
use flinkwasm_tests::harness::{Scratch, parse_stream};
use flinkwasm_tests::schemas;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

use crate::BIN;

/// `helm template`-like output of a test chart, from the real Helm engine.
fn helm_render(chart: &str, release: &str, namespace: &str, values: &Value) -> Vec<Value> {
    parse_stream(&flinkwasm_tests::harness::helm_template(
        chart, release, namespace, values,
    ))
}

/// The objects each chart-installing Application of `render` brings, rendered as Argo CD would.
fn charts(render: &[Value]) -> BTreeMap<String, Vec<Value>> {
    render
        .iter()
        .filter(|o| o["kind"] == "Application" && o["spec"]["source"]["chart"].is_string())
        .map(|app| {
            let source = &app["spec"]["source"];
            let chart = source["chart"].as_str().unwrap();
            let objects = helm_render(
                chart,
                source["helm"]["releaseName"].as_str().unwrap(),
                app["spec"]["destination"]["namespace"].as_str().unwrap(),
                &source["helm"]["valuesObject"],
            );
            (
                app["metadata"]["name"].as_str().unwrap().to_string(),
                objects,
            )
        })
        .collect()
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// Holds the declaration on `app` to what its chart rendered.
fn declaration_is_the_charts_truth(app: &Value, objects: &[Value]) {
    let name = app["metadata"]["name"].as_str().unwrap();
    let declared: Value = serde_json::from_str(
        app["metadata"]["annotations"]["flinkwasm.io/workloads"]
            .as_str()
            .unwrap_or_else(|| panic!("Application {name} declares nothing")),
    )
    .unwrap();
    // Every namespace the chart's objects land in is declared, and no other.
    let landed: BTreeSet<&str> = objects
        .iter()
        .filter_map(|o| o["metadata"]["namespace"].as_str())
        .collect();
    let said: BTreeSet<&str> = declared["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(said, landed, "{name}: declared namespaces");
    // Every declared pod set is a Deployment's pods, with the declared named ports.
    for pods in declared["pods"].as_array().unwrap() {
        let want = labels(&pods["labels"]);
        let found = objects.iter().find(|o| {
            o["kind"] == "Deployment"
                && o["metadata"]["namespace"] == pods["namespace"]
                && labels(&o["spec"]["template"]["metadata"]["labels"]) == want
        });
        let Some(dep) = found else {
            panic!("{name}: no Deployment in the chart runs pods labelled exactly {want:?}");
        };
        if let Some(Value::Object(ports)) = pods.get("ports") {
            let mut named = BTreeMap::new();
            for c in dep["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
            {
                for p in c["ports"].as_array().into_iter().flatten() {
                    named.insert(
                        p["name"].as_str().unwrap().to_string(),
                        p["containerPort"].clone(),
                    );
                }
            }
            let ports: BTreeMap<String, Value> =
                ports.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            assert_eq!(ports, named, "{name}: declared container ports");
        }
    }
    // Every declared Service is the chart's, with its ports, selecting the declared pods.
    for svc in declared["services"].as_array().into_iter().flatten() {
        let found = objects
            .iter()
            .find(|o| {
                o["kind"] == "Service"
                    && o["metadata"]["namespace"] == svc["namespace"]
                    && o["metadata"]["name"] == svc["name"]
            })
            .unwrap_or_else(|| panic!("{name}: the chart has no Service {}", svc["name"]));
        let ports: Vec<Value> = found["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"port": p["port"], "targetPort": p["targetPort"]}))
            .collect();
        assert_eq!(&Value::Array(ports), &svc["ports"], "{name}: Service ports");
        let selector = labels(&found["spec"]["selector"]);
        assert!(
            declared["pods"].as_array().unwrap().iter().any(|p| {
                let l = labels(&p["labels"]);
                selector.iter().all(|(k, v)| l.get(k) == Some(v))
            }),
            "{name}: the Service selects the declared pods"
        );
    }
}

#[test]
fn the_stack_with_its_charts_fits_the_schemas_and_wires_together_on_both_clusters() {
    let s = Scratch::new(BIN);
    for cluster in ["homelab", "flink-demo"] {
        let render = parse_stream(&s.run(&["render", "--cluster", cluster], None).ok().stdout);
        let charts = charts(&render);
        assert_eq!(
            charts.keys().collect::<Vec<_>>(),
            ["cmf-operator", "flink-kubernetes-operator"],
            "{cluster}"
        );
        let mut all = render.clone();
        for (app, objects) in &charts {
            let application = render
                .iter()
                .find(|o| o["kind"] == "Application" && o["metadata"]["name"] == app.as_str())
                .unwrap();
            declaration_is_the_charts_truth(application, objects);
            all.extend(objects.iter().cloned());
        }
        schemas::check_all(&all, cluster);

        let objects: Vec<flinkwasm::stream::Object> =
            all.iter().map(|v| v.as_object().unwrap().clone()).collect();
        let view = View {
            complete: true,
            namespace: "confluent".into(),
            existing: Vec::new(),
        };
        let findings = wiring::check(&objects, &view);
        assert!(
            findings.is_empty(),
            "{cluster}: the stack with its charts has wiring findings:\n{}",
            findings
                .iter()
                .map(wiring::Finding::line)
                .collect::<Vec<_>>()
                .join("\n")
        );

        // The operator keeps its chart's own flink-conf.yaml overrides and adds the stack's.
        let conf = all
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "flink-operator-config")
            .unwrap()["data"]["flink-conf.yaml"]
            .as_str()
            .unwrap()
            .to_string();
        for line in [
            "kubernetes.operator.metrics.reporter.slf4j.factory.class: org.apache.flink.metrics.slf4j.Slf4jReporterFactory",
            "kubernetes.operator.reconcile.interval: 15 s",
            "kubernetes.operator.observer.progress-check.interval: 5 s",
            "kubernetes.operator.metrics.reporter.prom.port: 9999",
            "taskmanager.numberOfTaskSlots: 1",
        ] {
            assert!(
                conf.contains(line),
                "{cluster}: flink-conf.yaml lacks {line}:\n{conf}"
            );
        }
    }
}

#[test]
fn on_flink_demo_every_object_in_flink_has_its_namespace_and_the_metrics_service_its_pods() {
    let s = Scratch::new(BIN);
    let render = parse_stream(
        &s.run(&["render", "--cluster", "flink-demo"], None)
            .ok()
            .stdout,
    );
    let mut all = render.clone();
    for objects in charts(&render).into_values() {
        all.extend(objects);
    }
    let in_flink: Vec<String> = all
        .iter()
        .filter(|o| o["metadata"]["namespace"] == "flink")
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    // The chart's job ServiceAccount and RBAC, the stack's policies and the metrics Service.
    for expected in [
        "ServiceAccount/flink",
        "Role/flink",
        "RoleBinding/flink-role-binding",
        "Role/flink-operator",
        "NetworkPolicy/flink-pods",
        "NetworkPolicy/default-deny",
        "Service/flink-metrics",
    ] {
        assert!(
            in_flink.iter().any(|x| x == expected),
            "{expected} in flink: {in_flink:?}"
        );
    }
    assert!(
        render
            .iter()
            .any(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == "flink")
    );
    let sm = render
        .iter()
        .find(|o| o["kind"] == "ServiceMonitor")
        .unwrap();
    assert_eq!(
        sm["spec"]["namespaceSelector"]["matchNames"],
        json!(["flink"])
    );
    // Without the stack's Namespace, the same objects would have nowhere to land.
    let without: Vec<flinkwasm::stream::Object> = all
        .iter()
        .filter(|o| !(o["kind"] == "Namespace" && o["metadata"]["name"] == "flink"))
        .map(|v| v.as_object().unwrap().clone())
        .collect();
    let findings = wiring::check(
        &without,
        &View {
            complete: true,
            namespace: "confluent".into(),
            existing: Vec::new(),
        },
    );
    assert!(
        findings.iter().any(|f| f.kind == "ServiceAccount"
            && f.message.contains("namespace flink, which nothing creates")),
        "{findings:#?}"
    );
}
