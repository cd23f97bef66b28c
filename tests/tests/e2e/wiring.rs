//! The wiring check through the binary: both clusters wire together with no finding, and a
//! user's overlay that breaks any one wire of flink-demo fails the render with an error naming
//! both ends. A user's own object that selects nothing the stack runs is only a warning.

use flinkwasm_tests::harness::{Scratch, parse_stream, repo};
use serde_json::{Value, json};

use crate::BIN;

#[test]
fn both_clusters_and_the_workloads_tree_wire_together() {
    let s = Scratch::new(BIN);
    let tree = repo("workloads");
    let resources = repo("workloads/flink-resources");
    for args in [
        vec!["render", "--cluster", "homelab"],
        vec!["render", "--cluster", "flink-demo"],
        vec!["render", tree.to_str().unwrap(), "--cluster", "flink-demo"],
        vec![
            "render",
            resources.to_str().unwrap(),
            "--cluster",
            "flink-demo",
        ],
    ] {
        let r = s.run(&args, None).ok();
        assert!(
            !r.stderr.contains("wiring:"),
            "{args:?} has wiring findings:\n{}",
            r.stderr
        );
    }
}

#[test]
fn flink_demo_creates_every_namespace_it_uses_before_it_is_used() {
    let s = Scratch::new(BIN);
    let o = parse_stream(
        &s.run(&["render", "--cluster", "flink-demo"], None)
            .ok()
            .stdout,
    );
    let ns = o
        .iter()
        .position(|x| x["kind"] == "Namespace" && x["metadata"]["name"] == "flink")
        .expect("flink-demo creates namespace flink");
    let first_use = o
        .iter()
        .position(|x| x["metadata"]["namespace"] == "flink")
        .expect("flink-demo puts objects in flink");
    assert!(
        ns < first_use,
        "the Namespace comes before what lands in it"
    );
    let namespace = &o[ns];
    assert_eq!(
        namespace["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
        "Prune=false"
    );
    assert!(
        namespace["metadata"]["annotations"]
            .get("argocd.argoproj.io/sync-wave")
            .is_none(),
        "wave 0: before every wave of the stack"
    );
    // The operator chart puts its job ServiceAccount and RBAC in flink: the Application says so.
    let operator = o
        .iter()
        .find(|x| {
            x["kind"] == "Application" && x["metadata"]["name"] == "flink-kubernetes-operator"
        })
        .unwrap();
    let declared: Value = serde_json::from_str(
        operator["metadata"]["annotations"]["flinkwasm.io/workloads"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(declared["namespaces"], json!(["confluent", "flink"]));
    // Every object's namespace is created by the stream or is the run's own.
    for x in &o {
        if let Some(n) = x["metadata"]["namespace"].as_str() {
            assert!(
                ["confluent", "flink", "argocd"].contains(&n),
                "{n} is created by nothing"
            );
        }
    }
}

/// The built-in pipeline with a cluster `broken`: flink-demo's config with `patch` added to its
/// overlay's patches, and `extra` merged over the plugins' config.
fn broken(s: &Scratch, patch: Value, extra: Value) {
    let mut pipeline: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo("host/src/pipeline/default.yaml")).unwrap(),
    )
    .unwrap();
    let mut config = pipeline["spec"]["clusters"]["flink-demo"]["config"].clone();
    if !patch.is_null() {
        config["cluster-overlay"]["kustomization"]["patches"]
            .as_array_mut()
            .unwrap()
            .push(patch);
    }
    if let Value::Object(extra) = extra {
        for (plugin, values) in extra {
            if let Value::Object(values) = values {
                for (k, v) in values {
                    config[&plugin][&k] = v;
                }
            }
        }
    }
    pipeline["spec"]["clusters"]["broken"] = json!({ "config": config });
    s.write("flinkwasm.yaml", serde_yaml::to_string(&pipeline).unwrap());
}

fn smp(doc: &str) -> Value {
    json!({ "patch": doc })
}

#[test]
fn breaking_any_one_wire_of_flink_demo_is_an_error_naming_both_ends() {
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        (
            "the metrics Service selects no Flink pod",
            smp(
                "apiVersion: v1\nkind: Service\nmetadata: {name: flink-metrics, namespace: flink}\nspec:\n  selector: {type: flink-native}\n",
            ),
            Value::Null,
            vec![
                "wiring: Service/flink/flink-metrics spec.selector",
                "no pod the stack runs there carries them",
                "the Flink jobmanagers of FlinkEnvironment confluent/default-flink-env",
            ],
        ),
        (
            "the ServiceMonitor scrapes a port the Service lacks",
            smp(
                "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: flink, namespace: confluent}\nspec:\n  endpoints:\n    - {port: web, path: /metrics}\n",
            ),
            Value::Null,
            vec![
                "wiring: ServiceMonitor/confluent/flink spec.endpoints[0].port",
                "scrapes port web of Service flink/flink-metrics",
            ],
        ),
        (
            "the ServiceMonitor looks in a namespace without the Service",
            json!({"target": {"kind": "ServiceMonitor", "name": "flink"}, "patch": "[{\"op\": \"replace\", \"path\": \"/spec/namespaceSelector/matchNames\", \"value\": [\"confluent\"]}]"}),
            Value::Null,
            vec![
                "wiring: ServiceMonitor/confluent/flink spec.selector",
                "the stream has none there",
            ],
        ),
        (
            "the PodMonitor selects no operator pod",
            smp(
                "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: flink-kubernetes-operator, namespace: confluent}\nspec:\n  selector:\n    matchLabels: {app.kubernetes.io/name: flink-operator}\n",
            ),
            Value::Null,
            vec![
                "wiring: PodMonitor/confluent/flink-kubernetes-operator spec.selector",
                "no pod the stack runs there carries them",
            ],
        ),
        (
            "the operator exposes no metrics port for the PodMonitor",
            Value::Null,
            json!({"flink-operator": {"metrics": {"enabled": false}}}),
            vec![
                "wiring: PodMonitor/confluent/flink-kubernetes-operator spec.podMetricsEndpoints[0].port",
                "the pods the chart of Application argocd/flink-kubernetes-operator runs, which declare no port of that name",
            ],
        ),
        (
            "the Flink pods' NetworkPolicy applies to no pod",
            smp(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: flink-pods, namespace: flink}\nspec:\n  podSelector:\n    matchLabels: {type: flink}\n",
            ),
            Value::Null,
            vec![
                "wiring: NetworkPolicy/flink/flink-pods spec.podSelector",
                "it protects nothing",
            ],
        ),
        (
            "the CMFRestClass endpoint leaves out CMF's port",
            smp(
                "apiVersion: platform.confluent.io/v1beta1\nkind: CMFRestClass\nmetadata: {name: default, namespace: confluent}\nspec:\n  cmfRest:\n    endpoint: https://cmf-service.confluent.svc.cluster.local\n",
            ),
            Value::Null,
            vec![
                "wiring: CMFRestClass/confluent/default spec.cmfRest.endpoint",
                "which means port 443 (the scheme's default), but Service confluent/cmf-service (from the chart of Application argocd/cmf-operator) serves port 80",
            ],
        ),
        (
            "the CMFRestClass speaks plain HTTP to a CMF that serves TLS",
            smp(
                "apiVersion: platform.confluent.io/v1beta1\nkind: CMFRestClass\nmetadata: {name: default, namespace: confluent}\nspec:\n  cmfRest:\n    endpoint: http://cmf-service.confluent.svc.cluster.local:80\n",
            ),
            Value::Null,
            vec![
                "wiring: CMFRestClass/confluent/default spec.cmfRest.endpoint",
                "over plain HTTP",
                "serves TLS only",
            ],
        ),
        (
            "CFK presents no client certificate to a CMF that requires one",
            smp(
                "apiVersion: platform.confluent.io/v1beta1\nkind: CMFRestClass\nmetadata: {name: default, namespace: confluent}\nspec:\n  cmfRest:\n    authentication: {sslClientAuthentication: false}\n",
            ),
            Value::Null,
            vec![
                "wiring: CMFRestClass/confluent/default spec.cmfRest.authentication.sslClientAuthentication",
                "CFK presents no client certificate",
            ],
        ),
        (
            "an object lands in a namespace nothing creates",
            json!({"target": {"kind": "NetworkPolicy", "name": "default-deny"}, "patch": "[{\"op\": \"replace\", \"path\": \"/metadata/namespace\", \"value\": \"flink-jobs\"}]"}),
            Value::Null,
            vec![
                "wiring: NetworkPolicy/flink-jobs/default-deny metadata.namespace",
                "namespace flink-jobs, which nothing creates",
            ],
        ),
        (
            "an object syncs before its Namespace",
            smp(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: flink-metrics\n  namespace: flink\n  annotations: {argocd.argoproj.io/sync-wave: \"-1\"}\n",
            ),
            Value::Null,
            vec![
                "wiring: Service/flink/flink-metrics metadata.namespace",
                "in sync wave -1, but Namespace flink creates it only in wave 0",
            ],
        ),
        (
            "the CMF UI Ingress routes to a port CMF's Service lacks",
            json!({"target": {"kind": "Ingress", "name": "cmf-ingress"}, "patch": "[{\"op\": \"replace\", \"path\": \"/spec/rules/0/http/paths/0/backend/service/port/number\", \"value\": 8080}]"}),
            Value::Null,
            vec![
                "wiring: Ingress/confluent/cmf-ingress spec.rules[0].http.paths[0].backend.service.port",
                "routes to port 8080 of Service confluent/cmf-service (from the chart of Application argocd/cmf-operator), which serves port 80",
            ],
        ),
    ];
    for (what, patch, extra, needles) in cases {
        let s = Scratch::new(BIN);
        broken(&s, patch, extra);
        let r = s.run(&["render", "--cluster", "broken"], None);
        assert_eq!(r.code, 3, "{what}: expected exit 3\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{what}: stdout must stay empty");
        for needle in needles {
            assert!(
                r.stderr.contains(needle),
                "{what}: stderr lacks {needle:?}:\n{}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_users_own_object_that_selects_nothing_the_stack_runs_is_a_warning() {
    let s = Scratch::new(BIN);
    broken(&s, Value::Null, Value::Null);
    let mut pipeline: Value =
        serde_yaml::from_str(&std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap())
            .unwrap();
    pipeline["spec"]["resources"] = json!(["kafka-policy.yaml"]);
    s.write("flinkwasm.yaml", serde_yaml::to_string(&pipeline).unwrap());
    s.write(
        "kafka-policy.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: kafka, namespace: confluent}\nspec:\n  podSelector:\n    matchLabels: {app: kafka}\n  policyTypes: [Ingress]\n",
    );
    let r = s.run(&["render", "--cluster", "broken"], None).ok();
    assert!(
        r.stderr
            .contains("wiring: NetworkPolicy/confluent/kafka spec.podSelector")
            && r.stderr.contains("WARN"),
        "{}",
        r.stderr
    );
    assert!(
        parse_stream(&r.stdout)
            .iter()
            .any(|o| o["metadata"]["name"] == "kafka")
    );
}
