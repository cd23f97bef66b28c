//! The config schema as a table of sample configs: what it accepts and what it refuses,
//! checked with the `jsonschema` crate as the host checks it, against the schema the plugin
//! describes and against the hand-written schema it had before its schema was derived from its
//! config type (`config-schema.before.json`, kept as the record).

use cmf::Cmf;
use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;

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
        // The configs of the host's tests and of the README.
        (json!({"persistence": {"storageClassName": "fast"}}), true),
        (
            json!({"license": {"secretRef": "cmf-license"},
                   "persistence": {"storageClassName": "fast", "size": "20Gi"}}),
            true,
        ),
        (json!({"authentication": {"type": "mtls"}}), true),
        (json!({"sql": {"production": true}}), true),
        (json!({"sql": {"production": true, "encryptionKeySecretRef": "cmf-key"}}), true),
        (json!({"ingress": {"enabled": true}}), true),
        (
            json!({"ingress": {"enabled": true, "host": "cmf.example.com", "className": "nginx",
                               "tlsSecretRef": "cmf-ingress-tls"}}),
            true,
        ),
        (json!({"networkPolicy": {"enabled": true}}), true),
        (json!({"tls": {"secretRef": "cmf-tls"}}), true),
        (
            json!({"tls": {"secretRef": "cmf-tls", "passwordless": true},
                   "authentication": {"type": "mtls"}}),
            true,
        ),
        (
            json!({"tls": {"secretRef": "cmf-tls", "passwordless": true},
                   "authentication": {"type": "mtls"},
                   "ingress": {"enabled": true, "host": "cmf.example.com"}}),
            true,
        ),
        (
            json!({"tls": {"secretRef": "cmf-tls", "passwordless": true},
                   "authentication": {"type": "oauth",
                                      "issuer": "https://idp.example.com/realms/flink",
                                      "jwksEndpoint": "https://idp.example.com/realms/flink/certs",
                                      "audience": "cmf"}}),
            true,
        ),
        (json!({"values": {"cmf": {"ssl": {"keystore-password": "x"}}}}), true),
    ]);
    samples
}

#[test]
fn the_schema_accepts_and_refuses_what_the_hand_written_one_did() {
    let now = Cmf::info().config_schema;
    stack::assert_judged_alike(include_str!("config-schema.before.json"), &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = Cmf::info().config_schema;
    let before = include_str!("config-schema.before.json");
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("cmf", before, &now),
        6
    );
}
