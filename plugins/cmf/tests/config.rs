//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use cmf::Cmf;
use flinkwasm_sdk::testing;
use flinkwasm_sdk::{Plugin, Value, json};

fn samples() -> Vec<(Value, bool)> {
    let mut samples = flinkwasm_stack::testing::release_samples();
    samples.extend([
        (json!({"persistence": {"size": "20Gi", "storageClassName": "fast"}}), true),
        (json!({"license": {"secretRef": "lic"}}), true),
        (json!({"tls": {"secretRef": "t", "passwordless": true}}), true),
        // The schema lets it through; the plugin refuses it with why.
        (json!({"tls": {"secretRef": "t"}}), true),
        (json!({"authentication": {"type": "mtls"}}), true),
        (
            json!({"authentication": {"type": "oauth", "issuer": "i", "jwksEndpoint": "https://j"}}),
            true,
        ),
        (
            json!({"authentication": {"type": "oauth", "issuer": "i",
                                      "jwksEndpoint": "https://j", "audience": "a"}}),
            true,
        ),
        (
            json!({"sql": {"production": true, "encryptionKeySecretRef": "k",
                           "encryptionKeyProperty": "p"}}),
            true,
        ),
        (
            json!({"ingress": {"enabled": true, "host": "h", "className": "nginx",
                               "tlsSecretRef": "t", "clientCertificateSecretRef": "c",
                               "annotations": {"a": "b"}}}),
            true,
        ),
        (
            json!({"networkPolicy": {"enabled": true, "clientNamespaces": ["a"],
                                     "flinkNamespaces": ["b"], "ingressNamespace": "i"}}),
            true,
        ),
        (json!({"networkPolicy": {"clientNamespaces": []}}), true),
        (json!({"podLabels": {"app": "cmf"}}), true),
        (json!({"persistence": {"size": "lots"}}), false),
        (json!({"persistence": {"storageClassName": ""}}), false),
        (json!({"license": {"secretRef": ""}}), false),
        (json!({"license": {"key": "x"}}), false),
        (json!({"tls": {}}), false),
        (json!({"tls": {"secretRef": ""}}), false),
        (json!({"tls": {"secretRef": "t", "password": "x"}}), false),
        (json!({"tls": {"secretRef": "t", "passwordless": "yes"}}), false),
        (json!({"tls": null}), false),
        (json!({"authentication": {"type": "basic"}}), false),
        (json!({"authentication": {}}), false),
        (json!({"authentication": null}), false),
        (json!({"authentication": "mtls"}), false),
        (json!({"authentication": {"type": "mtls", "issuer": "i"}}), false),
        (json!({"authentication": {"type": "oauth", "issuer": "i"}}), false),
        (
            json!({"authentication": {"type": "oauth", "issuer": "", "jwksEndpoint": "https://j"}}),
            false,
        ),
        (
            json!({"authentication": {"type": "oauth", "issuer": "i", "jwksEndpoint": "http://j"}}),
            false,
        ),
        (
            json!({"authentication": {"type": "oauth", "issuer": "i",
                                      "jwksEndpoint": "https://j", "audience": ""}}),
            false,
        ),
        (json!({"sql": {"production": "true"}}), false),
        (json!({"sql": {"encryptionKeySecretRef": ""}}), false),
        (json!({"sql": {"mode": "x"}}), false),
        (json!({"ingress": {"host": ""}}), false),
        (json!({"ingress": {"annotations": {"a": 1}}}), false),
        (json!({"ingress": {"path": "/"}}), false),
        (json!({"networkPolicy": {"clientNamespaces": [""]}}), false),
        (json!({"networkPolicy": {"ingressNamespace": ""}}), false),
        (json!({"podLabels": {}}), false),
        (json!({"podLabels": {"a": 1}}), false),
        // The operator's keys are not CMF's.
        (json!({"annotations": {"a": "b"}}), false),
        (json!({"networkPolicy": {"prometheusNamespace": "m"}}), false),
        (json!({"watchNamespaces": ["a"]}), false),
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
    let now = Cmf::info().config_schema;
    assert_eq!(testing::misjudged(&now, &samples()), Vec::<String>::new());
}

#[test]
fn the_record_is_the_hand_written_schema() {
    let before: Value = serde_json::from_str(include_str!("config-schema.before.json")).unwrap();
    assert_eq!(Cmf::info().config_schema, before);
}
