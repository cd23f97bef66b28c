//! Every object of every render, checked against the real schemas of its kind (the CRDs' JSON
//! Schemas in `../shared/reference/schemas`, `k8s-openapi` for core kinds): both clusters, the
//! workloads tree, the examples, and each security switch on its own and all together.

use flinkwasm_tests::harness::{Scratch, parse_stream, repo};
use flinkwasm_tests::schemas::{self, Schemas};
use serde_json::{Value, json};
use std::collections::BTreeSet;

use crate::BIN;

fn render(s: &Scratch, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    parse_stream(&s.run(&all, None).ok().stdout)
}

#[test]
fn every_object_of_every_render_fits_the_real_schemas() {
    let s = Scratch::new(BIN);
    let workloads = repo("workloads");
    let resources = repo("workloads/flink-resources");
    let examples = repo("workloads/flink-examples");
    let mut kinds = BTreeSet::new();
    for (what, args) in [
        ("homelab", vec!["--cluster", "homelab"]),
        ("flink-demo", vec!["--cluster", "flink-demo"]),
        (
            "workloads homelab",
            vec![workloads.to_str().unwrap(), "--cluster", "homelab"],
        ),
        (
            "workloads flink-demo",
            vec![workloads.to_str().unwrap(), "--cluster", "flink-demo"],
        ),
        (
            "flink-resources homelab",
            vec![resources.to_str().unwrap(), "--cluster", "homelab"],
        ),
        (
            "flink-resources flink-demo",
            vec![resources.to_str().unwrap(), "--cluster", "flink-demo"],
        ),
        ("flink-examples", vec![examples.to_str().unwrap()]),
    ] {
        kinds.extend(schemas::check_all(&render(&s, &args), what));
    }
    let expected: BTreeSet<String> = [
        "argoproj.io/v1alpha1/Application",
        "platform.confluent.io/v1beta1/CMFRestClass",
        "platform.confluent.io/v1beta1/FlinkEnvironment",
        "platform.confluent.io/v1beta1/FlinkApplication",
        "v1/Service",
        "v1/Namespace",
        "v1/ConfigMap",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "monitoring.coreos.com/v1/PodMonitor",
        "networking.k8s.io/v1/NetworkPolicy",
        "networking.k8s.io/v1/Ingress",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(kinds, expected, "every kind the plugins emit was checked");
}

/// The built-in default pipeline with one more cluster, `probe`, configured by `config` (each
/// plugin's JSON merge patch).
fn with_cluster(s: &Scratch, config: Value) {
    let mut pipeline: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo("host/src/pipeline/default.yaml")).unwrap(),
    )
    .unwrap();
    pipeline["spec"]["clusters"]["probe"] = json!({ "config": config });
    s.write("flinkwasm.yaml", serde_yaml::to_string(&pipeline).unwrap());
}

#[test]
fn each_security_switch_on_its_own_fits_the_real_schemas() {
    let cmf_tls = json!({"secretRef": "cmf-tls", "passwordless": true});
    let switches = [
        (
            "operator NetworkPolicy",
            json!({"flink-operator": {"networkPolicy": {"enabled": true}}}),
        ),
        (
            "CMF NetworkPolicy",
            json!({"cmf": {"networkPolicy": {"enabled": true}}}),
        ),
        ("CMF TLS", json!({"cmf": {"tls": cmf_tls}})),
        (
            "CMF mTLS",
            json!({
                "cmf": {"tls": cmf_tls, "authentication": {"type": "mtls"}},
                "flink-environment": {"cmfRestClass": {"authentication": {"type": "mtls"}, "tls": {"secretRef": "cmf-client-tls"}}}
            }),
        ),
        (
            "CMF OAuth",
            json!({
                "cmf": {"tls": cmf_tls, "authentication": {"type": "oauth", "issuer": "https://idp.example.com/realms/flink", "jwksEndpoint": "https://idp.example.com/realms/flink/certs", "audience": "cmf"}},
                "flink-environment": {"cmfRestClass": {"authentication": {"type": "oauth", "secretRef": "cmf-oauth-client", "tokenEndpoint": "https://idp.example.com/realms/flink/token"}, "tls": {"secretRef": "cmf-ca"}}}
            }),
        ),
        (
            "CMF production mode",
            json!({"cmf": {"sql": {"production": true, "encryptionKeySecretRef": "cmf-key"}}}),
        ),
        (
            "CMF UI ingress",
            json!({"cmf": {"ingress": {"enabled": true, "host": "cmf.example.com", "className": "nginx", "tlsSecretRef": "cmf-ingress-tls"}}}),
        ),
        (
            "Kafka SASL over TLS",
            json!({"flink-environment": {"kafka": {"authentication": {"type": "scram-sha-512", "secretRef": "kafka-creds"}, "tls": {"secretRef": "kafka-tls"}}}}),
        ),
        (
            "Kafka mTLS",
            json!({"flink-environment": {"kafka": {"authentication": {"type": "mtls"}, "tls": {"secretRef": "kafka-tls"}}}}),
        ),
        (
            "Schema Registry basic auth",
            json!({"flink-environment": {"schemaRegistry": {"authentication": {"type": "basic", "secretRef": "sr-creds"}}}}),
        ),
        (
            "Flink NetworkPolicy with default deny",
            json!({"flink-environment": {"networkPolicy": {"enabled": true, "defaultDeny": true}}}),
        ),
        (
            "Flink in its own namespace",
            json!({"flink-operator": {"watchNamespaces": ["flink"]}, "flink-environment": {"kubernetesNamespace": "flink"}}),
        ),
        (
            "Prometheus release label",
            json!({"monitoring": {"prometheusRelease": "kube-prometheus-stack"}}),
        ),
    ];
    for (what, config) in switches {
        let s = Scratch::new(BIN);
        with_cluster(&s, config);
        let r = s.run(&["render", "--cluster", "probe"], None);
        assert_eq!(r.code, 0, "{what}: the render failed:\n{}", r.stderr);
        schemas::check_all(&parse_stream(&r.stdout), what);
    }
}

#[test]
fn the_oracle_rejects_what_the_real_crds_reject() {
    let oracle = Schemas::get();
    let rest = |auth: Value| {
        json!({
            "apiVersion": "platform.confluent.io/v1beta1", "kind": "CMFRestClass",
            "metadata": {"name": "default", "namespace": "confluent"},
            "spec": {"cmfRest": {"endpoint": "https://cmf-service.confluent.svc.cluster.local:80",
                                  "authentication": auth, "tls": {"secretRef": "cmf-client-tls"}}}
        })
    };
    // The real OAuth shape passes; the shape flinkwasm once wrote does not.
    oracle
        .check(&rest(json!({"type": "oauth", "oauth": {"secretRef": "oauth-client", "configuration": {"tokenEndpointUri": "https://idp/token"}}})))
        .unwrap();
    let old = oracle
        .check(&rest(json!({"type": "oauth", "oauth": {"secretRef": "oauth-client", "tokenEndpoint": "https://idp/token"}})))
        .unwrap_err();
    assert!(old.contains("tokenEndpoint"), "{old}");
    oracle
        .check(&rest(
            json!({"type": "mtls", "sslClientAuthentication": true}),
        ))
        .unwrap();
    assert!(oracle.check(&rest(json!({"type": "kerberos"}))).is_err());

    let mut app = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {"project": "default", "source": {"repoURL": "r", "targetRevision": "1"},
                 "destination": {"server": "s", "namespace": "n"}}
    });
    oracle.check(&app).unwrap();
    app["spec"]["syncWave"] = 116.into();
    assert!(oracle.check(&app).unwrap_err().contains("syncWave"));

    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "m"},
        "spec": {"selektor": {"a": "b"}}});
    assert!(
        oracle.check(&svc).is_err(),
        "core kinds go through k8s-openapi"
    );
    let meta =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "labls": {}}});
    assert!(
        oracle.check(&meta).is_err(),
        "metadata goes through ObjectMeta"
    );
    let unknown =
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
    assert!(
        oracle.check(&unknown).unwrap_err().contains("no schema"),
        "a kind without a schema is an error, not a pass"
    );
}

#[test]
fn without_the_schemas_the_oracle_fails_naming_the_directory() {
    let missing = tempfile::tempdir().unwrap();
    let dir = missing.path().join("schemas");
    let Err(why) = Schemas::open(&dir) else {
        panic!("opened schemas that are not there");
    };
    assert!(why.contains(&dir.display().to_string()), "{why}");
    assert!(why.contains(schemas::SCHEMAS_ENV), "{why}");
    // The default directory is found from the repository root.
    assert!(
        schemas::dir().ends_with("shared/reference/schemas")
            || std::env::var_os(schemas::SCHEMAS_ENV).is_some(),
        "{}",
        schemas::dir().display()
    );
}
