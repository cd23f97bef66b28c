//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use flink_operator::FlinkOperator;
use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Plugin, Value, json};

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
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    assert_eq!(
        testing::misjudged(&before, &samples()),
        Vec::<String>::new()
    );
    let now = FlinkOperator::info().config_schema;
    assert_eq!(testing::misjudged(&now, &samples()), Vec::<String>::new());
}

#[test]
fn every_field_is_described() {
    // The doc comments of the config type are the descriptions users read.
    let schema = FlinkOperator::info().config_schema;
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
    let now = FlinkOperator::info().config_schema;
    let mut seen = 0;
    for (path, text) in PIPELINES {
        let table: Vec<(Value, bool)> = testing::pipeline_configs(text, "flink-operator")
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
    assert_eq!(seen, 4);
}
