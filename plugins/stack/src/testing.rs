//! Sample configs for the tests of the chart plugins (feature `testing`, for dev-dependencies):
//! the keys every plugin that installs a chart accepts (`flink-operator`, `cmf`).

use flinkwasm_sdk::{Value, json};

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
