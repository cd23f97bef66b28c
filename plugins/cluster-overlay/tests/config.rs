//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use cluster_overlay::ClusterOverlay;
use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Plugin, Value, json};

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
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    assert_eq!(
        testing::misjudged(&before, &samples()),
        Vec::<String>::new()
    );
    let now = ClusterOverlay::info().config_schema;
    assert_eq!(testing::misjudged(&now, &samples()), Vec::<String>::new());
}

#[test]
fn every_field_is_described() {
    // The doc comments of the config type are the descriptions users read.
    let schema = ClusterOverlay::info().config_schema;
    assert_eq!(testing::undescribed(&schema), Vec::<String>::new());
}

/// Every pipeline file of the repository: the examples in `workloads/`, the built-in default
/// pipeline and the tests' fixtures.
const PIPELINES: &[(&str, &str)] = &[
    (
        "workloads/flinkwasm.yaml",
        include_str!("../../../workloads/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-resources/flinkwasm.yaml",
        include_str!("../../../workloads/flink-resources/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-examples/flinkwasm.yaml",
        include_str!("../../../workloads/flink-examples/flinkwasm.yaml"),
    ),
    (
        "host/src/pipeline/default.yaml",
        include_str!("../../../host/src/pipeline/default.yaml"),
    ),
    (
        "tests/fixtures/overlay/flinkwasm.yaml",
        include_str!("../../../tests/fixtures/overlay/flinkwasm.yaml"),
    ),
];

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    let now = ClusterOverlay::info().config_schema;
    let mut seen = 0;
    for (path, text) in PIPELINES {
        let table: Vec<(Value, bool)> = testing::pipeline_configs(text, "cluster-overlay")
            .unwrap()
            .into_iter()
            .map(|config| (config, true))
            .collect();
        seen += table.len();
        assert_eq!(
            testing::misjudged(&before, &table),
            Vec::<String>::new(),
            "{path}"
        );
        assert_eq!(
            testing::misjudged(&now, &table),
            Vec::<String>::new(),
            "{path}"
        );
    }
    // The files were read: each entry and cluster config of this plugin counts once.
    assert_eq!(seen, 5);
}
