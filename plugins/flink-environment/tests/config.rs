//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use flink_environment::FlinkEnvironment;
use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;

fn samples() -> Vec<(Value, bool)> {
    vec![
        (json!({}), true),
        (json!({"name": "env", "kubernetesNamespace": "flink"}), true),
        (
            json!({"kafka": {"bootstrapServers": "k:9092",
                             "authentication": {"type": "plain", "secretRef": "s",
                                                "usernameKey": "u", "passwordKey": "p"},
                             "tls": {"secretRef": "t", "passwordKey": "p"}}}),
            true,
        ),
        // The schema lets these through; the plugin refuses them with why.
        (
            json!({"kafka": {"authentication": {"type": "scram-sha-512"}}}),
            true,
        ),
        (json!({"kafka": {"authentication": {"type": "mtls"}}}), true),
        (
            json!({"cmfRestClass": {"authentication": {"type": "mtls"}}}),
            true,
        ),
        (
            json!({"kafka": {"authentication": {"type": "scram-sha-256", "secretRef": "s"}}}),
            true,
        ),
        (
            json!({"schemaRegistry": {"url": "https://sr",
                                      "authentication": {"type": "basic", "secretRef": "s"}}}),
            true,
        ),
        (
            json!({"flinkConfiguration": {"a": "b", "n": 1, "f": 1.5, "b": true}}),
            true,
        ),
        (
            json!({"jobManager": {"memory": "1024m", "cpu": 1},
                   "taskManager": {"memory": "2g", "cpu": 0.5}}),
            true,
        ),
        (
            json!({"jobManager": {}, "taskManager": {"memory": "1Gi"}}),
            true,
        ),
        (
            json!({"cmfRestClass": {"name": "default", "endpoint": "http://cmf:80",
                                    "authentication": {"type": "oauth",
                                                       "secretRef": "oauth-client",
                                                       "tokenEndpoint": "https://t"},
                                    "tls": {"secretRef": "t"}}}),
            true,
        ),
        (json!({"generate": false}), true),
        (
            json!({"applicationDefaults": {"image": "i", "flinkVersion": "v1_19",
                                           "serviceAccount": "flink"}}),
            true,
        ),
        (json!({"argocd": {"enabled": false, "syncWave": 120}}), true),
        (
            json!({"networkPolicy": {"enabled": true, "defaultDeny": true, "cmfNamespace": "c",
                                     "cmfPodLabels": {"a": "b"}, "operatorNamespace": "o",
                                     "prometheusNamespace": "p"}}),
            true,
        ),
        (
            json!({"source": {"repoURL": "https://git", "targetRevision": "main", "path": "p",
                              "plugin": "flinkwasm"}}),
            true,
        ),
        (json!({"name": ""}), false),
        (json!({"name": null}), false),
        (json!({"kubernetesNamespace": null}), false),
        (json!({"kubernetesNamespace": ""}), false),
        (json!({"kafka": {"bootstrapServerz": "x"}}), false),
        (json!({"kafka": {"bootstrapServers": ""}}), false),
        (
            json!({"kafka": {"authentication": {"type": "gssapi"}}}),
            false,
        ),
        (json!({"kafka": {"authentication": {}}}), false),
        (
            json!({"kafka": {"authentication": {"type": "plain", "secretRef": ""}}}),
            false,
        ),
        (
            json!({"kafka": {"authentication": {"type": "plain", "password": "x"}}}),
            false,
        ),
        (
            json!({"kafka": {"authentication": {"type": "plain", "usernameKey": ""}}}),
            false,
        ),
        (json!({"kafka": {"tls": {}}}), false),
        (
            json!({"kafka": {"tls": {"secretRef": "t", "passwordKey": ""}}}),
            false,
        ),
        (json!({"kafka": {"tls": null}}), false),
        (json!({"schemaRegistry": {"url": "sr:8081"}}), false),
        (
            json!({"schemaRegistry": {"authentication": {"type": "basic"}}}),
            false,
        ),
        (
            json!({"schemaRegistry": {"authentication": {"type": "oauth", "secretRef": "s"}}}),
            false,
        ),
        (
            json!({"schemaRegistry": {"authentication": {"type": "basic", "secretRef": ""}}}),
            false,
        ),
        (json!({"flinkConfiguration": {"a": null}}), false),
        (json!({"flinkConfiguration": {"a": {"b": 1}}}), false),
        (json!({"flinkConfiguration": {"a": [1]}}), false),
        (json!({"flinkConfiguration": "x"}), false),
        (json!({"jobManager": {"memory": "lots"}}), false),
        (json!({"jobManager": {"cpu": 0}}), false),
        (json!({"jobManager": {"cpu": -1}}), false),
        (json!({"jobManager": {"cpu": "1"}}), false),
        (json!({"taskManager": {"cpus": 1}}), false),
        (json!({"jobManager": null}), false),
        (json!({"cmfRestClass": {"endpoint": "cmf:80"}}), false),
        (
            json!({"cmfRestClass": {"authentication": {"type": "basic"}}}),
            false,
        ),
        (
            json!({"cmfRestClass": {"authentication": {"type": "oauth", "secretRef": "Bad_Secret"}}}),
            false,
        ),
        (
            json!({"cmfRestClass": {"authentication": {"type": "oauth",
                                                       "secretRef": "a-secret-name-of-thirty-one-chr"}}}),
            false,
        ),
        (
            json!({"cmfRestClass": {"authentication": {"type": "oauth", "tokenEndpoint": "t"}}}),
            false,
        ),
        (json!({"cmfRestClass": {"tls": {}}}), false),
        (json!({"cmfRestClass": {"tls": {"secretRef": ""}}}), false),
        (
            json!({"cmfRestClass": {"tls": {"secretRef": "t", "x": 1}}}),
            false,
        ),
        (json!({"generate": "no"}), false),
        (
            json!({"applicationDefaults": {"flinkVersion": "1.19"}}),
            false,
        ),
        (json!({"applicationDefaults": {"image": ""}}), false),
        (json!({"networkPolicy": {"cmfPodLabels": {}}}), false),
        (json!({"networkPolicy": {"ingressNamespace": "x"}}), false),
        (json!({"networkPolicy": {"enabled": null}}), false),
        (json!({"source": {"repoUrl": "x"}}), false),
        (json!({"source": {"repoURL": ""}}), false),
        (json!({"argocd": {"syncWave": "120"}}), false),
        (json!([]), false),
        // The configs of the host's tests and of the README.
        (
            json!({"kafka": {"bootstrapServers": "kafka.confluent.svc.cluster.local:9092"}}),
            true,
        ),
        (json!({"taskManager": {"memory": "2048m"}}), true),
        (json!({"taskManager": {"cpus": 2}}), false),
        (json!({"schemaRegistry": {"url": "ftp://x"}}), false),
        (
            json!({"generate": false, "argocd": {"enabled": false}}),
            true,
        ),
        (json!({"argocd": {"enabled": false}}), true),
        (
            json!({"kafka": {"authentication": {"type": "plain"}}}),
            true,
        ),
        (
            json!({"cmfRestClass": {"endpoint": "http://cmf-service.confluent.svc.cluster.local"}}),
            true,
        ),
        (
            json!({"argocd": {"enabled": false},
                   "flinkConfiguration": {"sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"flink\" password=\"x\";"}}),
            true,
        ),
        (
            json!({"cmfRestClass": {"authentication": {"type": "mtls"},
                                    "tls": {"secretRef": "cmf-client-tls"}}}),
            true,
        ),
        (
            json!({"cmfRestClass": {"authentication": {"type": "oauth",
                                                       "secretRef": "cmf-oauth-client",
                                                       "tokenEndpoint": "https://idp.example.com/realms/flink/token"},
                                    "tls": {"secretRef": "cmf-ca"}}}),
            true,
        ),
        (
            json!({"kafka": {"authentication": {"type": "scram-sha-512", "secretRef": "kafka-creds"},
                             "tls": {"secretRef": "kafka-tls"}}}),
            true,
        ),
        (
            json!({"kafka": {"authentication": {"type": "mtls"}, "tls": {"secretRef": "kafka-tls"}}}),
            true,
        ),
        (
            json!({"schemaRegistry": {"authentication": {"type": "basic", "secretRef": "sr-creds"}}}),
            true,
        ),
        (
            json!({"networkPolicy": {"enabled": true, "defaultDeny": true}}),
            true,
        ),
        (json!({"kubernetesNamespace": "flink"}), true),
    ]
}

#[test]
fn the_schema_accepts_and_refuses_what_the_hand_written_one_did() {
    let now = FlinkEnvironment::info().config_schema;
    stack::assert_judged_alike(include_str!("config-schema.before.json"), &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = FlinkEnvironment::info().config_schema;
    let before = include_str!("config-schema.before.json");
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("flink-environment", before, &now),
        7
    );
}
