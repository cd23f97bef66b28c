//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Plugin, Value, json};
use monitoring::Monitoring;

fn samples() -> Vec<(Value, bool)> {
    vec![
        (json!({}), true),
        (
            json!({"namespace": "m", "port": 9249, "interval": "30s", "prometheusRelease": "kps",
                   "dashboard": {"enabled": false, "folder": "Flink"},
                   "operator": {"enabled": true, "namespace": "o"}}),
            true,
        ),
        (json!({"interval": "500ms"}), true),
        (json!({"interval": "2h"}), true),
        (json!({"port": 1}), true),
        (json!({"port": 65535}), true),
        (json!({"dashboard": {}, "operator": {}}), true),
        (json!({"port": 0}), false),
        (json!({"port": 70000}), false),
        (json!({"port": "9249"}), false),
        (json!({"port": 9249.5}), false),
        (json!({"port": null}), false),
        (json!({"prot": 1}), false),
        (json!({"interval": "30"}), false),
        (json!({"interval": "1d"}), false),
        (json!({"namespace": ""}), false),
        (json!({"namespace": null}), false),
        (json!({"prometheusRelease": ""}), false),
        (json!({"dashboard": {"folder": ""}}), false),
        (json!({"dashboard": {"uid": "x"}}), false),
        (json!({"dashboard": {"enabled": "no"}}), false),
        (json!({"dashboard": null}), false),
        (json!({"operator": {"namespace": ""}}), false),
        (json!({"operator": {"port": 1}}), false),
        (json!([]), false),
        // The configs of the host's tests and of the README.
        (json!({"port": 9249}), true),
        (json!({"port": 9249, "prot": 1}), false),
        (json!({"prometheusRelease": "kube-prometheus-stack"}), true),
        (
            json!({"prometheusRelease": "kube-prometheus-stack", "port": 9250}),
            true,
        ),
        (json!({"operator": {"enabled": false}}), true),
    ]
}

#[test]
fn the_schema_accepts_and_refuses_what_the_hand_written_one_did() {
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    assert_eq!(
        testing::misjudged(&before, &samples()),
        Vec::<String>::new()
    );
    let now = Monitoring::info().config_schema;
    assert_eq!(testing::misjudged(&now, &samples()), Vec::<String>::new());
}

#[test]
fn every_field_is_described() {
    // The doc comments of the config type are the descriptions users read.
    let schema = Monitoring::info().config_schema;
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
    let now = Monitoring::info().config_schema;
    let mut seen = 0;
    for (path, text) in PIPELINES {
        let table: Vec<(Value, bool)> = testing::pipeline_configs(text, "monitoring")
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
    assert_eq!(seen, 3);
}
