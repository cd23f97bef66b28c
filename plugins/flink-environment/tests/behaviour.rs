//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it emits for a
//! representative config, and what it refuses.

use flink_environment::FlinkEnvironment;
use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;

#[test]
fn the_whole_layout_renders_the_environment_and_rest_class_and_no_application_rendering_them_again()
{
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_api("platform.confluent.io/v1beta1")
        .with_config(json!({"kubernetesNamespace": "flink"}));
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
    assert!(run.get("Namespace", "flink").is_some());
    assert!(run.all("Application").is_empty(), "{}", run.yaml());

    // A repository to point at changes nothing, and says why.
    let ctx = ctx.with_config(json!({
        "kubernetesNamespace": "flink",
        "source": {"repoURL": "https://git.example.com/platform/gitops.git"}
    }));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.all("Application").is_empty(), "{}", run.yaml());
    assert!(run.get("FlinkEnvironment", "default-flink-env").is_some());
    assert!(
        run.diagnostics.iter().any(|d| d
            .message
            .contains("no flink-resources Application is emitted")),
        "{:#?}",
        run.diagnostics
    );
}

#[test]
fn the_root_layout_renders_only_the_application_pointing_the_cmp_at_the_component() {
    let ctx = testing::context()
        .with_cluster("flink-demo")
        .with_api("platform.confluent.io/v1beta1")
        .with_config(json!({
            "kubernetesNamespace": "flink",
            "argocd": {"layout": "root"},
            "source": {"repoURL": "https://git.example.com/platform/gitops.git"}
        }));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(run.get("FlinkEnvironment", "default-flink-env").is_none());
    assert!(run.get("CMFRestClass", "default").is_none());
    assert!(run.get("Namespace", "flink").is_some());
    let app = run
        .get("Application", "flink-resources")
        .expect("the flink-resources Application");
    assert_eq!(app.namespace(), Some("argocd"));
    assert_eq!(
        app.peek(&["spec", "source"]),
        Some(json!({
            "repoURL": "https://git.example.com/platform/gitops.git",
            "targetRevision": "HEAD",
            "path": "workloads/flink-resources",
            "plugin": {"name": "flinkwasm", "env": [{"name": "CLUSTER", "value": "flink-demo"}]}
        }))
    );
    assert_eq!(
        app.peek(&["metadata", "annotations", "argocd.argoproj.io/sync-wave"]),
        Some(json!("120"))
    );
    assert_eq!(
        app.peek(&["spec", "syncPolicy", "syncOptions"]),
        Some(json!(["CreateNamespace=true"]))
    );
}

#[test]
fn a_root_without_its_repository_is_refused_naming_the_key() {
    let ctx = testing::context().with_config(json!({"argocd": {"layout": "root"}}));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.manifests.is_empty());
    assert!(
        run.error().message.contains("source.repoURL"),
        "{:?}",
        run.error()
    );

    // With the Application off, nothing is missing and nothing is rendered.
    let ctx =
        testing::context().with_config(json!({"argocd": {"layout": "root", "enabled": false}}));
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(run.manifests.is_empty(), "{}", run.yaml());
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

#[test]
fn beside_helm_native_applications_the_cfk_objects_wait_for_the_operators() {
    let ctx = testing::context()
        .with_api("argoproj.io/v1alpha1")
        .with_api("platform.confluent.io/v1beta1");
    let helm_native = r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cmf-operator
  namespace: argocd
  annotations: {argocd.argoproj.io/sync-wave: "118"}
spec:
  source: {repoURL: "https://packages.confluent.io/helm", chart: confluent-manager-for-apache-flink, targetRevision: 2.1.0}
---
apiVersion: platform.confluent.io/v1beta1
kind: FlinkApplication
metadata:
  name: job
  namespace: confluent
  annotations: {argocd.argoproj.io/sync-wave: "130", argocd.argoproj.io/sync-options: "Prune=false"}
spec: {flinkEnvironment: default-flink-env, image: "confluentinc/cp-flink:1.19.1-cp1", flinkVersion: v1_19, serviceAccount: flink, job: {jarURI: "local:///x.jar", state: running, parallelism: 1, upgradeMode: stateless}, jobManager: {resource: {cpu: 1, memory: 1024m}}, taskManager: {resource: {cpu: 1, memory: 1024m}}}
"#;
    let run = testing::run::<FlinkEnvironment>(&ctx, helm_native).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    for (kind, name) in [
        ("FlinkEnvironment", "default-flink-env"),
        ("CMFRestClass", "default"),
    ] {
        let m = run.get(kind, name).expect(kind);
        assert_eq!(
            m.annotation("argocd.argoproj.io/sync-wave"),
            Some("120"),
            "{kind}"
        );
    }
    // A wave the user set is kept, and nothing else is added: the CRDs are CFK's, installed
    // before this stack, so the dry run needs no skipping.
    let job = run.get("FlinkApplication", "job").expect("the application");
    assert_eq!(job.annotation("argocd.argoproj.io/sync-wave"), Some("130"));
    assert_eq!(
        job.annotation("argocd.argoproj.io/sync-options"),
        Some("Prune=false")
    );
    // Without a Helm-native Application (the charts rendered in the pipeline, or a root's
    // children), nothing is added.
    let run = testing::run::<FlinkEnvironment>(&ctx, "").unwrap();
    let env = run
        .get("FlinkEnvironment", "default-flink-env")
        .expect("the FlinkEnvironment");
    assert_eq!(env.annotation("argocd.argoproj.io/sync-wave"), None);
}
