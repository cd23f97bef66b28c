//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it emits for a
//! representative config, and what it refuses.

use cmf::Cmf;
use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;

#[test]
fn renders_the_cmf_application_from_its_config() {
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_config(json!({
            "namespace": "cmf",
            "persistence": {"size": "20Gi", "storageClassName": "fast"},
            "license": {"secretRef": "cmf-license"}
        }));
    let run = testing::run::<Cmf>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let app = run
        .get("Application", "cmf-operator")
        .expect("CMF's Application");
    assert_eq!(app.namespace(), Some("argocd"));
    assert_eq!(app.annotation("argocd.argoproj.io/sync-wave"), Some("118"));
    assert_eq!(
        app.peek(&["spec", "destination", "namespace"]),
        Some(json!("cmf"))
    );
    let values = app
        .peek(&["spec", "source", "helm", "valuesObject"])
        .unwrap_or_default();
    assert_eq!(
        values["persistence"],
        json!({"create": true, "dataVolumeCapacity": "20Gi", "storageClassName": "fast"})
    );
    assert_eq!(values["license"], json!({"secretRef": "cmf-license"}));
    // A named license: no note about the trial one.
    assert!(run.diagnostics.iter().all(|d| !d.message.contains("trial")));
}

#[test]
fn tls_without_passwordless_stores_is_refused_with_why() {
    let ctx = testing::context().with_config(json!({"tls": {"secretRef": "cmf-tls"}}));
    let run = testing::run::<Cmf>(&ctx, "").unwrap();
    assert!(run.manifests.is_empty());
    assert!(
        run.error().message.contains("passwordless"),
        "{:?}",
        run.error()
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_field() {
    let ctx = testing::context().with_config(json!({"authentication": {"type": "basic"}}));
    let refused = testing::run::<Cmf>(&ctx, "").unwrap_err();
    assert!(
        refused.starts_with("plugin cmf: invalid config: config.authentication: "),
        "{refused}"
    );
    let ctx = testing::context().with_config(json!({"persistence": {"size": "lots"}}));
    let refused = testing::run::<Cmf>(&ctx, "").unwrap_err();
    assert!(refused.contains("config.persistence.size: "), "{refused}");
}

#[test]
fn an_ingress_that_is_cmfs_trusted_client_must_verify_its_own_clients() {
    let ingress = |extra: flinkwasm_sdk::Value| {
        let mut i = json!({"enabled": true, "host": "cmf.example.com", "tlsSecretRef": "cmf-ingress-tls",
            "clientCertificateSecretRef": "cmf-ingress-client-tls"});
        if let (Some(i), Some(extra)) = (i.as_object_mut(), extra.as_object()) {
            i.extend(extra.clone());
        }
        testing::context().with_config(json!({
            "tls": {"secretRef": "cmf-tls", "passwordless": true},
            "authentication": {"type": "mtls"},
            "ingress": i
        }))
    };
    // Without a CA for its own clients, anyone reaching the host would reach CMF as the
    // Ingress's certificate.
    let run = testing::run::<Cmf>(&ingress(json!({})), "").unwrap();
    assert!(run.manifests.is_empty());
    assert_eq!(
        run.error().field.as_deref(),
        Some("ingress.clientCASecretRef")
    );
    let run = testing::run::<Cmf>(&ingress(json!({"clientCASecretRef": "users-ca"})), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let ing = run.get("Ingress", "cmf-ingress").expect("the Ingress");
    assert_eq!(
        ing.annotation("nginx.ingress.kubernetes.io/auth-tls-verify-client"),
        Some("on")
    );
    assert_eq!(
        ing.annotation("nginx.ingress.kubernetes.io/auth-tls-secret"),
        Some("confluent/users-ca")
    );
}

#[test]
fn with_the_charts_objects_in_the_render_whole_emits_no_helm_native_application() {
    // The chart's Deployment in the stream: a pipeline's `spec.chart` rendered it here.
    let chart = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: confluent-manager-for-apache-flink, namespace: confluent}\nspec:\n  template:\n    spec:\n      containers: [{name: cmf, image: cmf}]\n";
    let ctx = testing::context().with_api("argoproj.io/v1alpha1");
    let run = testing::run::<Cmf>(&ctx, chart).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(run.all("Application").is_empty(), "{}", run.yaml());
    assert!(
        run.get("Deployment", "confluent-manager-for-apache-flink")
            .is_some()
    );
    assert!(
        run.diagnostics
            .iter()
            .any(|d| d.message.contains("no Helm-native Application is emitted")),
        "{:#?}",
        run.diagnostics
    );
    // Without it, the Application installs the chart.
    let run = testing::run::<Cmf>(&ctx, "").unwrap();
    assert!(run.get("Application", "cmf-operator").is_some());
}

#[test]
fn the_chart_version_is_the_stack_pairing_s() {
    let version = |config| {
        let ctx = testing::context()
            .with_api("argoproj.io/v1alpha1")
            .with_config(config);
        let run = testing::run::<Cmf>(&ctx, "").unwrap();
        assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
        run.get("Application", "cmf-operator")
            .and_then(|app| app.peek(&["spec", "source", "targetRevision"]))
    };
    assert_eq!(version(json!({})), Some(json!("2.1.0")));
    assert_eq!(version(json!({"stack": "current"})), Some(json!("2.3.0")));
    // A chart version written in config wins.
    assert_eq!(
        version(json!({"stack": "current", "chart": {"version": "2.3.1"}})),
        Some(json!("2.3.1"))
    );
}
