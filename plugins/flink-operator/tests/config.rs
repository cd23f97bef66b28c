//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use flink_operator::FlinkOperator;
use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;

fn samples() -> Vec<(Value, bool)> {
    let mut samples = flinkwasm_stack::testing::release_samples();
    samples.extend([
        (json!({"watchNamespaces": ["a", "b"]}), true),
        (json!({"watchNamespaces": []}), true),
        (json!({"metrics": {"enabled": true, "port": 9999}}), true),
        (json!({"metrics": {"port": 1}}), true),
        (json!({"webhook": {"create": true}}), true),
        (
            json!({"networkPolicy": {"enabled": true, "prometheusNamespace": "monitoring"}}),
            true,
        ),
        (json!({"annotations": {"c": "d"}}), true),
        (json!({"watchNamespaces": [""]}), false),
        (json!({"watchNamespaces": "confluent"}), false),
        (json!({"watchNamespaces": null}), false),
        (json!({"metrics": {"port": 0}}), false),
        (json!({"metrics": {"port": 65536}}), false),
        (json!({"metrics": {"port": "9999"}}), false),
        (json!({"metrics": {"path": "/m"}}), false),
        (json!({"webhook": {"create": "yes"}}), false),
        (json!({"webhook": {"port": 9443}}), false),
        (json!({"networkPolicy": {"enabled": "true"}}), false),
        (json!({"networkPolicy": {"prometheusNamespace": ""}}), false),
        (json!({"networkPolicy": {"defaultDeny": true}}), false),
        (json!({"annotations": ["x"]}), false),
        (json!({"annotations": {"a": false}}), false),
        // cmf's keys are not the operator's.
        (json!({"podLabels": {"a": "b"}}), false),
        (json!({"persistence": {}}), false),
        // The configs of the host's tests and of the README.
        (json!({"webhook": {"create": true}}), true),
        (json!({"networkPolicy": {"enabled": true}}), true),
        (json!({"watchNamespaces": ["flink"]}), true),
    ]);
    samples
}

#[test]
fn the_schema_accepts_and_refuses_what_the_hand_written_one_did() {
    let now = FlinkOperator::info().config_schema;
    stack::assert_judged_alike(include_str!("config-schema.before.json"), &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = FlinkOperator::info().config_schema;
    let before = include_str!("config-schema.before.json");
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("flink-operator", before, &now),
        6
    );
}
