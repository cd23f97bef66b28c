//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use cluster_overlay::ClusterOverlay;
use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;

fn samples() -> Vec<(Value, bool)> {
    vec![
        (json!({}), true),
        (json!({"kustomization": {}}), true),
        (
            json!({"kustomization": {"namespace": "x", "patches": [{"patch": "a"}]}}),
            true,
        ),
        (json!({"required": true}), true),
        (
            json!({"kustomization": {"anything": 1}, "required": false}),
            true,
        ),
        (json!({"kustomization": "x"}), false),
        (json!({"kustomization": []}), false),
        (json!({"kustomization": null}), false),
        (json!({"required": "yes"}), false),
        (json!({"required": null}), false),
        (json!({"overlay": {}}), false),
        (json!("x"), false),
        // The configs of the host's tests and of the README.
        (
            json!({"kustomization": {
                "commonAnnotations": {"inline": "yes"},
                "patches": [{"target": {"kind": "Service"},
                             "patch": "[{\"op\": \"add\", \"path\": \"/spec/type\", \"value\": \"ClusterIP\"}]"}]}}),
            true,
        ),
        (
            json!({"kustomization": {"patches": [{"patch": "apiVersion: platform.confluent.io/v1beta1\nkind: FlinkEnvironment\nmetadata: {name: default-flink-env, namespace: confluent}\n"}]}}),
            true,
        ),
    ]
}

#[test]
fn the_schema_accepts_and_refuses_what_the_hand_written_one_did() {
    let now = ClusterOverlay::info().config_schema;
    stack::assert_judged_alike(include_str!("config-schema.before.json"), &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = ClusterOverlay::info().config_schema;
    let before = include_str!("config-schema.before.json");
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("cluster-overlay", before, &now),
        4
    );
}
