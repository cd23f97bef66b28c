//! What the built-ins' tests share (feature `testing`, for dev-dependencies): sample configs of
//! the keys every plugin that installs a chart accepts (`flink-operator`, `cmf`), and the
//! checks each built-in's derived config schema is held to.

use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Value, json};

/// Every pipeline file of the repository: the examples in `workloads/`, the built-in default
/// pipeline and the tests' fixtures.
pub const PIPELINES: &[(&str, &str)] = &[
    (
        "workloads/flinkwasm.yaml",
        include_str!("../../../workloads/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-resources/flinkwasm.yaml",
        include_str!("../../../workloads/flink-resources/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-kubernetes-operator/flinkwasm.yaml",
        include_str!("../../../workloads/flink-kubernetes-operator/flinkwasm.yaml"),
    ),
    (
        "workloads/cmf/flinkwasm.yaml",
        include_str!("../../../workloads/cmf/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-examples/flinkwasm.yaml",
        include_str!("../../../workloads/flink-examples/flinkwasm.yaml"),
    ),
    (
        "workloads/flink-sql/flinkwasm.yaml",
        include_str!("../../../workloads/flink-sql/flinkwasm.yaml"),
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

/// Fails unless the hand-written schema (`before`, as JSON text) and the derived one (`now`)
/// both judge every sample as it is marked (accepted or refused).
pub fn assert_judged_alike(before: &str, now: &Value, samples: &[(Value, bool)]) {
    let before: Value = serde_json::from_str(before).expect("the schema snapshot is JSON");
    assert_eq!(testing::misjudged(&before, samples), Vec::<String>::new());
    assert_eq!(testing::misjudged(now, samples), Vec::<String>::new());
    assert_eq!(
        testing::undescribed(now),
        Vec::<String>::new(),
        "every field is described"
    );
}

/// Fails unless both schemas accept every config of `plugin` in the repository's
/// [`PIPELINES`] (each entry and per-cluster config once); returns how many there were, so a
/// test can tell the files were read.
pub fn assert_repository_configs_accepted(plugin: &str, before: &str, now: &Value) -> usize {
    let before: Value = serde_json::from_str(before).expect("the schema snapshot is JSON");
    let mut seen = 0;
    for (path, text) in PIPELINES {
        let table: Vec<(Value, bool)> = testing::pipeline_configs(text, plugin)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_iter()
            .map(|config| (config, true))
            .collect();
        seen += table.len();
        // The record judges what it knew: fields added since (issue 17's `argocd.layout`,
        // `source`, `flink`) are judged by the derived schema alone.
        let known: Vec<(Value, bool)> = table
            .iter()
            .map(|(config, ok)| (known_to(&before, config), *ok))
            .collect();
        assert_eq!(
            testing::misjudged(&before, &known),
            Vec::<String>::new(),
            "{path}"
        );
        assert_eq!(
            testing::misjudged(now, &table),
            Vec::<String>::new(),
            "{path}"
        );
    }
    seen
}

/// Configs of the shared keys (namespace, chart, argocd, resources, labels, values), each with
/// whether a chart plugin's schema accepts it.
pub fn release_samples() -> Vec<(Value, bool)> {
    vec![
        (json!({}), true),
        (json!({"namespace": "confluent"}), true),
        (
            json!({"chart": {"repoUrl": "oci://registry/charts", "name": "x", "version": "1",
                             "releaseName": "r"}}),
            true,
        ),
        (
            json!({"chart": {"repoUrl": "https://packages.confluent.io/helm"}}),
            true,
        ),
        (
            json!({"argocd": {"enabled": false, "name": "op", "namespace": "argocd",
                              "project": "p", "server": "https://k", "syncWave": -3,
                              "automated": false, "syncOptions": ["Replace=true"]}}),
            true,
        ),
        (
            json!({"resources": {"requests": {"cpu": "500m", "memory": "3Gi"},
                                 "limits": {"cpu": "2", "memory": "1.5Gi"}}}),
            true,
        ),
        (json!({"resources": {}}), true),
        (json!({"labels": {"a": "b"}}), true),
        (json!({"values": {"anything": [1, {"x": null}]}}), true),
        (json!({"values": {}}), true),
        (json!({"namspace": "x"}), false),
        (json!({"namespace": ""}), false),
        (json!({"namespace": null}), false),
        (json!({"namespace": 3}), false),
        (json!({"chart": {"repoUrl": "ftp://x"}}), false),
        (json!({"chart": {"nme": "x"}}), false),
        (json!({"chart": {"name": ""}}), false),
        (json!({"chart": {"version": null}}), false),
        (json!({"chart": "x"}), false),
        (json!({"argocd": {"name": "Bad_Name"}}), false),
        (json!({"argocd": {"name": "a".repeat(64)}}), false),
        (json!({"argocd": {"server": "http://k"}}), false),
        (json!({"argocd": {"syncWave": 1.5}}), false),
        (json!({"argocd": {"syncWave": "1"}}), false),
        (json!({"argocd": {"syncOptions": ["nokey"]}}), false),
        (json!({"argocd": {"syncOptions": "Replace=true"}}), false),
        (json!({"argocd": {"extra": true}}), false),
        (json!({"argocd": {"namespace": ""}}), false),
        (json!({"argocd": {"project": ""}}), false),
        (json!({"argocd": {"enabled": null}}), false),
        (json!({"resources": {"requests": {"cpu": "two"}}}), false),
        (json!({"resources": {"requests": {"cpu": 2}}}), false),
        (json!({"resources": {"limits": {"gpu": "1"}}}), false),
        (json!({"resources": {"minimum": {}}}), false),
        (json!({"resources": null}), false),
        (json!({"labels": {"a": 1}}), false),
        (json!({"labels": ["a"]}), false),
        (json!({"values": 5}), false),
        (json!({"values": "x"}), false),
        (json!({"values": null}), false),
        (json!([]), false),
    ]
}

/// `config` without the keys `schema` does not name (recursively, through `properties`).
fn known_to(schema: &Value, config: &Value) -> Value {
    match (schema.get("properties"), config) {
        (Some(Value::Object(props)), Value::Object(map)) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| props.get(k).map(|s| (k.clone(), known_to(s, v))))
                .collect(),
        ),
        _ => config.clone(),
    }
}
