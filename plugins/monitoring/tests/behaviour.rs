//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it emits for a
//! representative config, and what it refuses.

use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;
use monitoring::Monitoring;

/// A FlinkEnvironment whose Flink pods run in `flink`.
const ENVIRONMENT: &str = "apiVersion: platform.confluent.io/v1beta1\nkind: FlinkEnvironment\nmetadata: {name: env, namespace: confluent}\nspec: {kubernetesNamespace: flink}\n";

#[test]
fn renders_the_monitors_where_flink_runs() {
    let ctx = testing::context()
        .with_api("monitoring.coreos.com/v1")
        .with_config(json!({"prometheusRelease": "kube-prometheus-stack", "interval": "15s"}));
    let run = testing::run::<Monitoring>(&ctx, ENVIRONMENT).unwrap();
    assert!(
        run.errors().is_empty() && run.warnings().is_empty(),
        "{:#?}",
        run.diagnostics
    );
    // The Service goes where the pods are; the monitors and dashboard to the run's namespace.
    let service = run
        .get("Service", "flink-metrics")
        .expect("the metrics Service");
    assert_eq!(service.namespace(), Some("flink"));
    let monitor = run
        .get("ServiceMonitor", "flink")
        .expect("the ServiceMonitor");
    assert_eq!(monitor.namespace(), Some("confluent"));
    assert_eq!(monitor.label("release"), Some("kube-prometheus-stack"));
    let pod_monitor = run
        .get("PodMonitor", "flink-kubernetes-operator")
        .expect("the operator PodMonitor");
    assert_eq!(pod_monitor.label("release"), Some("kube-prometheus-stack"));
    assert!(run.get("ConfigMap", "flink-dashboard").is_some());
    assert!(run.yaml().contains("interval: 15s"), "{}", run.yaml());
}

#[test]
fn without_the_prometheus_operator_the_monitors_are_skipped_with_a_warning() {
    let ctx = testing::context().with_config(json!({"dashboard": {"enabled": false}}));
    let run = testing::run::<Monitoring>(&ctx, ENVIRONMENT).unwrap();
    assert!(run.all("ServiceMonitor").is_empty() && run.all("PodMonitor").is_empty());
    assert!(run.get("ConfigMap", "flink-dashboard").is_none());
    assert!(run.get("Service", "flink-metrics").is_some());
    let warnings = run.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("monitoring.coreos.com/v1")),
        "{warnings:#?}"
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_field() {
    let ctx = testing::context().with_config(json!({"port": 70000}));
    let refused = testing::run::<Monitoring>(&ctx, ENVIRONMENT).unwrap_err();
    assert!(
        refused.starts_with("plugin monitoring: invalid config: config.port: "),
        "{refused}"
    );
    let ctx = testing::context().with_config(json!({"port": 9249, "prot": 1}));
    let refused = testing::run::<Monitoring>(&ctx, ENVIRONMENT).unwrap_err();
    assert_eq!(
        refused,
        "plugin monitoring: invalid config: config.prot: unknown key"
    );
}
