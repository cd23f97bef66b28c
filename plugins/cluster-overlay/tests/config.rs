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
fn the_record_is_the_hand_written_schema() {
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    assert_eq!(ClusterOverlay::info().config_schema, before);
}
