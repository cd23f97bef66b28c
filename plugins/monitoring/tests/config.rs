//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;
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
    let now = Monitoring::info().config_schema;
    stack::assert_judged_alike(include_str!("config-schema.before.json"), &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = Monitoring::info().config_schema;
    let before = include_str!("config-schema.before.json");
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("monitoring", before, &now),
        3
    );
}
