//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what it does with
//! the granted overlays and an inline kustomization, and what it refuses.

use cluster_overlay::ClusterOverlay;
use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;

const INPUT: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {type: NodePort}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n";

#[test]
fn applies_the_cluster_s_overlay_then_the_inline_kustomization() {
    let ctx = testing::context()
        .with_cluster("lab")
        .with_file("overlays/lab/kustomization.yaml", "namespace: team-a\ncommonLabels: {env: lab}\n")
        // Another cluster's overlay is not applied.
        .with_file("overlays/prod/kustomization.yaml", "namespace: prod\n")
        .with_config(json!({"kustomization": {
            "commonAnnotations": {"inline": "yes"},
            "patches": [{"target": {"kind": "Service"},
                         "patch": "[{\"op\": \"replace\", \"path\": \"/spec/type\", \"value\": \"ClusterIP\"}]"}]
        }}));
    let run = testing::run::<ClusterOverlay>(&ctx, INPUT).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let service = run.get("Service", "app").expect("the Service");
    assert_eq!(service.namespace(), Some("team-a"));
    assert_eq!(service.label("env"), Some("lab"));
    assert_eq!(service.annotation("inline"), Some("yes"));
    assert_eq!(service.peek(&["spec", "type"]), Some(json!("ClusterIP")));
    let settings = run.get("ConfigMap", "settings").expect("the ConfigMap");
    assert_eq!(settings.namespace(), Some("team-a"));
}

#[test]
fn no_overlay_is_a_note_unless_one_is_required() {
    let run = testing::run::<ClusterOverlay>(&testing::context(), INPUT).unwrap();
    assert!(run.errors().is_empty());
    run.assert_yaml(INPUT);

    let ctx = testing::context().with_config(json!({"required": true}));
    let run = testing::run::<ClusterOverlay>(&ctx, INPUT).unwrap();
    assert!(run.manifests.is_empty());
    assert!(
        run.error()
            .message
            .starts_with("no overlay for cluster default"),
        "{:?}",
        run.error()
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_field() {
    let ctx = testing::context().with_config(json!({"required": "yes"}));
    let refused = testing::run::<ClusterOverlay>(&ctx, INPUT).unwrap_err();
    assert!(
        refused.starts_with("plugin cluster-overlay: invalid config: config.required: "),
        "{refused}"
    );
    // A kustomization field the plugin does not implement is refused by the plugin, by name.
    let ctx = testing::context().with_config(json!({"kustomization": {"helmCharts": []}}));
    let run = testing::run::<ClusterOverlay>(&ctx, INPUT).unwrap();
    assert!(
        run.error().message.contains("helmCharts"),
        "{:?}",
        run.error()
    );
}
