//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it emits for a
//! representative config, and what it refuses.

use flink_operator::FlinkOperator;
use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Manifest, Value, json};

fn values(app: &Manifest) -> Value {
    app.peek(&["spec", "source", "helm", "valuesObject"])
        .unwrap_or_default()
}

#[test]
fn renders_the_operator_application_from_its_config() {
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_api("cert-manager.io/v1")
        .with_config(json!({
            "watchNamespaces": ["flink"],
            "argocd": {"syncWave": 5},
            "resources": {"limits": {"memory": "4Gi"}},
            "metrics": {"port": 9998}
        }));
    let run = testing::run::<FlinkOperator>(&ctx, "").unwrap();
    assert!(
        run.errors().is_empty() && run.warnings().is_empty(),
        "{:#?}",
        run.diagnostics
    );
    let app = run
        .get("Application", "flink-kubernetes-operator")
        .expect("the operator's Application");
    assert_eq!(app.namespace(), Some("argocd"));
    assert_eq!(app.annotation("argocd.argoproj.io/sync-wave"), Some("5"));
    assert_eq!(
        app.peek(&["spec", "destination", "namespace"]),
        Some(json!("confluent"))
    );
    let values = values(app);
    assert_eq!(values["watchNamespaces"], json!(["flink"]));
    // cert-manager is served, so the webhook is on without being asked for.
    assert_eq!(values["webhook"]["create"], json!(true));
    // Unset amounts keep the defaults (2 CPU / 3Gi).
    assert_eq!(
        values["operatorPod"]["resources"],
        json!({"requests": {"cpu": "2", "memory": "3Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}})
    );
    assert_eq!(values["metrics"]["port"], json!(9998));
}

#[test]
fn post_render_emits_nothing_and_refuses_cert_manager_objects_it_cannot_install() {
    let ctx = testing::context().post_rendering();
    let issuer = "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: webhook-issuer}\n";
    let run = testing::run::<FlinkOperator>(&ctx, issuer).unwrap();
    assert!(run.manifests.is_empty());
    let error = run.error();
    assert!(error.message.contains("cert-manager"), "{error:?}");

    let run = testing::run::<FlinkOperator>(&ctx, "").unwrap();
    assert!(run.manifests.is_empty() && run.errors().is_empty());
}

#[test]
fn a_bad_config_is_refused_naming_the_field() {
    let ctx = testing::context().with_config(json!({"metrics": {"port": 0}}));
    let refused = testing::run::<FlinkOperator>(&ctx, "").unwrap_err();
    assert!(
        refused.starts_with("plugin flink-operator: invalid config: config.metrics.port: "),
        "{refused}"
    );
    let ctx = testing::context().with_config(json!({"webhook": {"port": 9443}}));
    let refused = testing::run::<FlinkOperator>(&ctx, "").unwrap_err();
    assert!(
        refused.ends_with("config.webhook.port: unknown key"),
        "{refused}"
    );
}

#[test]
fn with_the_charts_objects_in_the_render_whole_emits_no_helm_native_application() {
    // The chart's Deployment in the stream: a pipeline's `spec.chart` rendered it here.
    let chart = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: flink-kubernetes-operator, namespace: confluent}\nspec:\n  template:\n    spec:\n      containers: [{name: flink-kubernetes-operator, image: op}]\n";
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_config(json!({"watchNamespaces": ["flink"]}));
    let run = testing::run::<FlinkOperator>(&ctx, chart).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(run.all("Application").is_empty(), "{}", run.yaml());
    // The chart still gets the stack's settings, and its watched namespace still exists.
    let dep = run
        .get("Deployment", "flink-kubernetes-operator")
        .expect("the chart's Deployment");
    assert_eq!(
        dep.label("app.kubernetes.io/part-of"),
        Some("confluent-platform-flink")
    );
    assert!(run.get("Namespace", "flink").is_some(), "{}", run.yaml());
    assert!(
        run.diagnostics
            .iter()
            .any(|d| d.message.contains("no Helm-native Application is emitted")),
        "{:#?}",
        run.diagnostics
    );
    // Without it, the Application installs the chart.
    let run = testing::run::<FlinkOperator>(&ctx, "").unwrap();
    assert!(
        run.get("Application", "flink-kubernetes-operator")
            .is_some()
    );
}
