//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it emits for a
//! representative config, and what it refuses.

use flink_environment::FlinkEnvironment;
use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;

#[test]
fn renders_the_environment_its_rest_class_and_application() {
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_api("platform.confluent.io/v1beta1")
        .with_config(json!({
            "kubernetesNamespace": "flink",
            "source": {"repoURL": "https://git.example.com/platform/gitops.git"}
        }));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let env = run
        .get("FlinkEnvironment", "default-flink-env")
        .expect("the FlinkEnvironment");
    assert_eq!(env.namespace(), Some("confluent"));
    assert_eq!(
        env.peek(&["spec", "kubernetesNamespace"]),
        Some(json!("flink"))
    );
    let rest = run
        .get("CMFRestClass", "default")
        .expect("the CMFRestClass");
    assert_eq!(rest.namespace(), Some("confluent"));
    let app = run
        .get("Application", "flink-resources")
        .expect("the flink-resources Application");
    assert_eq!(app.namespace(), Some("argocd"));
    assert_eq!(
        app.peek(&["spec", "source", "repoURL"]),
        Some(json!("https://git.example.com/platform/gitops.git"))
    );
}

#[test]
fn an_application_without_its_repository_is_refused_naming_the_key() {
    let run = testing::run::<FlinkEnvironment>(&testing::context(), "").unwrap();
    assert!(run.manifests.is_empty());
    assert!(
        run.error().message.contains("source.repoURL"),
        "{:?}",
        run.error()
    );

    // With the Application off, nothing is missing.
    let ctx = testing::context().with_config(json!({"argocd": {"enabled": false}}));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(run.get("Application", "flink-resources").is_none());
    assert!(run.get("FlinkEnvironment", "default-flink-env").is_some());
}

#[test]
fn a_bad_config_is_refused_naming_the_field() {
    let ctx = testing::context().with_config(json!({"kafka": {"bootstrapServerz": "k:9092"}}));
    let refused = testing::run::<FlinkEnvironment>(&ctx, "").unwrap_err();
    assert_eq!(
        refused,
        "plugin flink-environment: invalid config: config.kafka.bootstrapServerz: unknown key"
    );
    let ctx = testing::context().with_config(json!({"jobManager": {"cpu": 0}}));
    let refused = testing::run::<FlinkEnvironment>(&ctx, "").unwrap_err();
    assert!(refused.contains("config.jobManager.cpu: "), "{refused}");
}
