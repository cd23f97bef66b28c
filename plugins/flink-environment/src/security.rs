//! The Flink side of the stack's security switches, each off by default:
//!
//! - Kafka credentials (SASL/PLAIN, SASL/SCRAM or mTLS) and Schema Registry basic auth, from
//!   named Secrets only: the FlinkEnvironment's default pod template gets `secretKeyRef`
//!   environment variables and mounted stores, and the composed settings jobs pass to their
//!   clients (`KAFKA_SASL_JAAS_CONFIG`, `SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO`) refer to those
//!   variables with Kubernetes' `$(VAR)` expansion, so no secret value is ever written out;
//! - how CFK authenticates to CMF (the CMFRestClass), checked against what the `cmf` plugin
//!   configured, so the two ends cannot disagree;
//! - the Flink pods' NetworkPolicy and the namespace's default deny.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::netpol;
use serde::Deserialize;

/// Where Kafka's TLS stores are mounted in Flink pods.
pub const KAFKA_TLS_MOUNT: &str = "/opt/flink/secrets/kafka-tls";

/// A named Secret.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// The Secret's name, in the Flink namespace.
    #[schemars(length(min = 1))]
    pub secret_ref: String,
}

/// How jobs authenticate to Kafka: SASL (credentials from `secretRef`) or `mtls` (the
/// certificate from `kafka.tls`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaAuthentication {
    /// `plain`, `scram-sha-256`, `scram-sha-512` or `mtls`.
    // A string with its values listed in the schema rather than a Rust enum: the plugin's
    // messages quote the type as the user wrote it.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["plain", "scram-sha-256", "scram-sha-512", "mtls"]))]
    pub kind: String,
    /// For SASL: the Secret with the username and password.
    #[schemars(length(min = 1))]
    pub secret_ref: Option<String>,
    /// The key of the username in that Secret (default `username`).
    #[schemars(length(min = 1))]
    pub username_key: Option<String>,
    /// The key of the password in that Secret (default `password`).
    #[schemars(length(min = 1))]
    pub password_key: Option<String>,
}

/// TLS to Kafka.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaTls {
    /// The Secret with `truststore.jks` (and `keystore.jks` for mTLS), mounted in Flink pods.
    #[schemars(length(min = 1))]
    pub secret_ref: String,
    /// The key of the stores' password in that Secret (default `password`).
    #[schemars(length(min = 1))]
    pub password_key: Option<String>,
}

/// Basic auth to Schema Registry.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistryAuthentication {
    /// `basic`.
    // A string with its values listed in the schema rather than a Rust enum: the plugin's
    // messages quote the type as the user wrote it.
    #[serde(rename = "type")]
    #[schemars(extend("const" = "basic"))]
    pub kind: String,
    /// The Secret with `username` and `password`.
    #[schemars(length(min = 1))]
    pub secret_ref: String,
}

/// How CFK authenticates to CMF; must match the `cmf` plugin's `authentication`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CmfAuthentication {
    /// `mtls` or `oauth`.
    // A string with its values listed in the schema rather than a Rust enum: the plugin's
    // messages quote the type as the user wrote it.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["mtls", "oauth"]))]
    pub kind: String,
    /// For OAuth: the Secret with the client's id and secret (a DNS label of at most 30
    /// characters: CFK allows no more).
    #[schemars(
        length(min = 1, max = 30),
        pattern(flinkwasm_stack::argocd::DNS_LABEL_PATTERN)
    )]
    pub secret_ref: Option<String>,
    /// For OAuth: the token endpoint (`authentication.oauth.configuration.tokenEndpointUri`).
    #[schemars(pattern("^https?://"))]
    pub token_endpoint: Option<String>,
}

/// NetworkPolicy for Flink pods: each other, CMF and the operator on the REST port, Prometheus
/// on 9249; egress to Kafka, Schema Registry, checkpoint storage, the Kubernetes API, DNS.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Emit the NetworkPolicies (default false).
    pub enabled: Option<bool>,
    /// Also deny all traffic in the Flink namespace that no policy allows (default false).
    pub default_deny: Option<bool>,
    /// Namespace of CMF (default: the `cmf` plugin's, else the run's namespace).
    #[schemars(length(min = 1))]
    pub cmf_namespace: Option<String>,
    /// Labels of CMF's pods (default: as the `cmf` plugin declares them, else
    /// `app.kubernetes.io/name: confluent-manager-for-apache-flink`).
    #[schemars(extend("minProperties" = 1))]
    pub cmf_pod_labels: Option<std::collections::BTreeMap<String, String>>,
    /// Namespace of the Flink Kubernetes Operator (default: the run's namespace).
    #[schemars(length(min = 1))]
    pub operator_namespace: Option<String>,
    /// Namespace of the Prometheus that scrapes Flink (default `monitoring`).
    #[schemars(length(min = 1))]
    pub prometheus_namespace: Option<String>,
}

/// What the switches add to the default pod template's main container and pod.
#[derive(Debug, Default)]
pub struct PodAdditions {
    /// Environment variables, in order (later ones may refer to earlier ones).
    pub env: Vec<Value>,
    /// Volumes of the pod.
    pub volumes: Vec<Value>,
    /// Mounts of the main container.
    pub mounts: Vec<Value>,
}

fn secret_env(name: &str, secret: &str, key: &str) -> Value {
    json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
}

fn env(name: &str, value: impl Into<Value>) -> Value {
    json!({"name": name, "value": value.into()})
}

/// The pod additions for Kafka and Schema Registry credentials.
pub fn pod_additions(cfg: &Config) -> Result<PodAdditions, Error> {
    let mut add = PodAdditions::default();
    let tls = cfg.kafka.tls.as_ref();
    if let Some(tls) = tls {
        let password_key = tls.password_key.as_deref().unwrap_or("password");
        add.volumes
            .push(json!({"name": "kafka-tls", "secret": {"secretName": tls.secret_ref}}));
        add.mounts
            .push(json!({"name": "kafka-tls", "mountPath": KAFKA_TLS_MOUNT, "readOnly": true}));
        add.env.push(env(
            "KAFKA_SSL_TRUSTSTORE_LOCATION",
            format!("{KAFKA_TLS_MOUNT}/truststore.jks"),
        ));
        add.env.push(secret_env(
            "KAFKA_SSL_TRUSTSTORE_PASSWORD",
            &tls.secret_ref,
            password_key,
        ));
    }
    if let Some(auth) = &cfg.kafka.authentication {
        let at = "kafka.authentication";
        match auth.kind.as_str() {
            "mtls" => {
                let Some(tls) = tls else {
                    return Err(Diagnostic::error(
                        "kafka.authentication.type mtls needs kafka.tls.secretRef: the Secret \
                         with the client's keystore.jks and the truststore.jks",
                    )
                    .at("kafka.tls.secretRef")
                    .into());
                };
                if auth.secret_ref.is_some() {
                    return Err(Diagnostic::error(
                        "kafka.authentication.secretRef is for SASL; mTLS takes the client \
                         certificate from kafka.tls.secretRef",
                    )
                    .at(format!("{at}.secretRef"))
                    .into());
                }
                let password_key = tls.password_key.as_deref().unwrap_or("password");
                add.env.push(env("KAFKA_SECURITY_PROTOCOL", "SSL"));
                add.env.push(env(
                    "KAFKA_SSL_KEYSTORE_LOCATION",
                    format!("{KAFKA_TLS_MOUNT}/keystore.jks"),
                ));
                add.env.push(secret_env(
                    "KAFKA_SSL_KEYSTORE_PASSWORD",
                    &tls.secret_ref,
                    password_key,
                ));
            }
            kind => {
                let (mechanism, module) = match kind {
                    "plain" => (
                        "PLAIN",
                        "org.apache.kafka.common.security.plain.PlainLoginModule",
                    ),
                    "scram-sha-256" => (
                        "SCRAM-SHA-256",
                        "org.apache.kafka.common.security.scram.ScramLoginModule",
                    ),
                    "scram-sha-512" => (
                        "SCRAM-SHA-512",
                        "org.apache.kafka.common.security.scram.ScramLoginModule",
                    ),
                    other => {
                        return Err(Diagnostic::error(format!(
                            "kafka.authentication.type {other:?} is not one of plain, \
                             scram-sha-256, scram-sha-512, mtls"
                        ))
                        .at(format!("{at}.type"))
                        .into());
                    }
                };
                let Some(secret) = &auth.secret_ref else {
                    return Err(Diagnostic::error(format!(
                        "kafka.authentication.type {kind} needs secretRef: the Secret with the \
                         username and password"
                    ))
                    .at(format!("{at}.secretRef"))
                    .into());
                };
                let protocol = if tls.is_some() {
                    "SASL_SSL"
                } else {
                    "SASL_PLAINTEXT"
                };
                add.env.push(env("KAFKA_SECURITY_PROTOCOL", protocol));
                add.env.push(env("KAFKA_SASL_MECHANISM", mechanism));
                add.env.push(secret_env(
                    "KAFKA_SASL_USERNAME",
                    secret,
                    auth.username_key.as_deref().unwrap_or("username"),
                ));
                add.env.push(secret_env(
                    "KAFKA_SASL_PASSWORD",
                    secret,
                    auth.password_key.as_deref().unwrap_or("password"),
                ));
                add.env.push(env(
                    "KAFKA_SASL_JAAS_CONFIG",
                    format!(
                        "{module} required username=\"$(KAFKA_SASL_USERNAME)\" \
                         password=\"$(KAFKA_SASL_PASSWORD)\";"
                    ),
                ));
            }
        }
    } else if tls.is_some() {
        add.env.push(env("KAFKA_SECURITY_PROTOCOL", "SSL"));
    }
    if let Some(auth) = &cfg.schema_registry.authentication {
        if auth.kind != "basic" {
            return Err(Diagnostic::error(format!(
                "schemaRegistry.authentication.type {:?} is not basic",
                auth.kind
            ))
            .at("schemaRegistry.authentication.type")
            .into());
        }
        add.env.push(secret_env(
            "SCHEMA_REGISTRY_USERNAME",
            &auth.secret_ref,
            "username",
        ));
        add.env.push(secret_env(
            "SCHEMA_REGISTRY_PASSWORD",
            &auth.secret_ref,
            "password",
        ));
        add.env.push(env(
            "SCHEMA_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE",
            "USER_INFO",
        ));
        add.env.push(env(
            "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
            "$(SCHEMA_REGISTRY_USERNAME):$(SCHEMA_REGISTRY_PASSWORD)",
        ));
    }
    Ok(add)
}

/// What the `cmf` plugin configured, read from the declaration on its Application in the
/// stream ([`flinkwasm_stack::workloads`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CmfSide {
    /// CMF's namespace.
    pub namespace: String,
    /// CMF's Service.
    pub service: String,
    /// The Service's port.
    pub port: u16,
    /// The client authentication CMF requires, if any.
    pub authentication: Option<String>,
    /// Whether CMF serves TLS.
    pub tls: bool,
    /// The labels CMF's pods carry.
    pub pod_labels: std::collections::BTreeMap<String, String>,
}

/// Finds the `cmf` plugin's Application and reads what it declares CMF runs.
pub fn cmf_side(manifests: &[Manifest]) -> Option<CmfSide> {
    let app = manifests.iter().find(|m| {
        m.is("argoproj.io", "Application")
            && m.label(flinkwasm_stack::labels::COMPONENT_LABEL) == Some("cmf")
    })?;
    let declared = flinkwasm_stack::workloads::Workloads::of(app)?;
    let service = declared.services.first()?;
    Some(CmfSide {
        namespace: service.namespace.clone(),
        service: service.name.clone(),
        port: service.ports.first()?.port,
        authentication: service.authentication.clone(),
        tls: service.tls,
        pod_labels: declared
            .pods
            .first()
            .map(|p| p.labels.clone())
            .unwrap_or_default(),
    })
}

/// The labels of CMF's pods: as the `cmf` plugin declares them, else as configured here, else
/// the default ([`netpol::CMF_PODS`]).
pub fn cmf_pod_labels(
    cfg: &Config,
    cmf: Option<&CmfSide>,
) -> std::collections::BTreeMap<String, String> {
    cmf.map(|c| c.pod_labels.clone())
        .filter(|l| !l.is_empty())
        .or_else(|| cfg.network_policy.cmf_pod_labels.clone())
        .unwrap_or_else(|| netpol::label_map(netpol::CMF_PODS))
}

/// Fills in the CMFRestClass's endpoint, `authentication` and `tls`, and refuses a CMFRestClass
/// that cannot talk to the CMF configured beside it.
///
/// The endpoint always names its port: a bare `https://` URL means 443, and CMF's Service serves
/// 80 (to CMF's 8080) whether or not it serves TLS, as Confluent's examples write it.
pub fn rest_class(
    cfg: &Config,
    cmf: Option<&CmfSide>,
    default_namespace: &str,
    m: &mut Manifest,
) -> Result<(), Error> {
    let rc = &cfg.cmf_rest_class;
    let reference = m.reference();
    let tls = rc.tls.is_some() || cmf.is_some_and(|c| c.tls);
    let endpoint = match &rc.endpoint {
        Some(e) => e.clone(),
        None => {
            let (service, namespace, port) = match cmf {
                Some(c) => (c.service.as_str(), c.namespace.as_str(), c.port),
                None => (
                    crate::config::CMF_SERVICE,
                    default_namespace,
                    crate::config::CMF_SERVICE_PORT,
                ),
            };
            let scheme = if tls { "https" } else { "http" };
            format!("{scheme}://{service}.{namespace}.svc.cluster.local:{port}")
        }
    };
    if let Some(cmf) = cmf {
        let ours = rc.authentication.as_ref().map(|a| a.kind.as_str());
        if cmf.authentication.as_deref() != ours {
            return Err(Diagnostic::error(format!(
                "CMF is configured with authentication {} (cmf plugin, authentication.type) but \
                 the CMFRestClass with {}: CFK could not reach CMF; set cmfRestClass.\
                 authentication.type to match",
                cmf.authentication.as_deref().unwrap_or("none"),
                ours.unwrap_or("none")
            ))
            .on(reference)
            .at("cmfRestClass.authentication")
            .into());
        }
        if cmf.tls && endpoint.starts_with("http://") {
            return Err(Diagnostic::error(format!(
                "CMF serves TLS (cmf plugin, tls.secretRef) but the CMFRestClass endpoint is \
                 {endpoint}; use https"
            ))
            .on(reference)
            .at("cmfRestClass.endpoint")
            .into());
        }
    }
    m.set(&["spec", "cmfRest", "endpoint"], endpoint.as_str());
    if let Some(auth) = &rc.authentication {
        match auth.kind.as_str() {
            "mtls" => {
                if rc.tls.is_none() {
                    return Err(Diagnostic::error(
                        "cmfRestClass.authentication.type mtls needs cmfRestClass.tls.secretRef: \
                         the Secret with CFK's client certificate",
                    )
                    .on(reference)
                    .at("cmfRestClass.tls.secretRef")
                    .into());
                }
                // Without sslClientAuthentication CFK presents no client certificate; every
                // Confluent mTLS example sets it.
                m.set(
                    &["spec", "cmfRest", "authentication"],
                    json!({"type": "mtls", "sslClientAuthentication": true}),
                );
            }
            "oauth" => {
                let (Some(secret), Some(token)) = (&auth.secret_ref, &auth.token_endpoint) else {
                    return Err(Diagnostic::error(
                        "cmfRestClass.authentication.type oauth needs secretRef (the client's id \
                         and secret) and tokenEndpoint",
                    )
                    .on(reference)
                    .at("cmfRestClass.authentication")
                    .into());
                };
                // The real CRD's shape (CFK 3.3.0, and Confluent's flink/oauth example).
                m.set(
                    &["spec", "cmfRest", "authentication"],
                    json!({"type": "oauth", "oauth": {
                        "secretRef": secret,
                        "configuration": {"tokenEndpointUri": token},
                    }}),
                );
            }
            other => {
                return Err(Diagnostic::error(format!(
                    "cmfRestClass.authentication.type {other:?} is not mtls or oauth"
                ))
                .on(reference)
                .at("cmfRestClass.authentication.type")
                .into());
            }
        }
    }
    if let Some(tls) = &rc.tls {
        m.set(
            &["spec", "cmfRest", "tls"],
            json!({"secretRef": tls.secret_ref}),
        );
    }
    Ok(())
}

/// The Flink pods' NetworkPolicy and, when asked, the namespace's default deny.
pub fn network_policies(
    ctx: &Context,
    cfg: &Config,
    cmf: Option<&CmfSide>,
    flink_namespace: &str,
    bootstrap: &str,
    registry: &str,
    checkpoints: Option<&str>,
) -> Vec<Manifest> {
    let np = &cfg.network_policy;
    if !np.enabled.unwrap_or(false) {
        return Vec::new();
    }
    let cmf_ns = cmf
        .map(|c| c.namespace.as_str())
        .or(np.cmf_namespace.as_deref())
        .unwrap_or(&ctx.namespace);
    let cmf_pods = cmf_pod_labels(cfg, cmf);
    let operator_ns = np.operator_namespace.as_deref().unwrap_or(&ctx.namespace);
    let prometheus = np
        .prometheus_namespace
        .as_deref()
        .unwrap_or(flinkwasm_stack::DEFAULT_PROMETHEUS_NAMESPACE);
    let flink_peer = json!({"podSelector": netpol::match_labels(netpol::FLINK_PODS)});
    let ingress = vec![
        netpol::rule("from", vec![flink_peer.clone()], &[]),
        netpol::rule(
            "from",
            vec![
                netpol::pods_in_map(cmf_ns, &cmf_pods),
                netpol::pods_in(operator_ns, netpol::OPERATOR_PODS),
            ],
            &[netpol::FLINK_REST_PORT],
        ),
        netpol::rule(
            "from",
            vec![netpol::pods_in(prometheus, netpol::PROMETHEUS_PODS)],
            &[crate::METRICS_PORT],
        ),
    ];
    let mut egress = vec![
        netpol::rule("to", vec![flink_peer], &[]),
        netpol::api_server_egress(),
        netpol::dns_egress(),
    ];
    let mut endpoints: Vec<netpol::Endpoint> = bootstrap
        .split(',')
        .filter_map(netpol::Endpoint::from_host_port)
        .collect();
    endpoints.extend(netpol::Endpoint::from_url(registry));
    endpoints.dedup();
    egress.extend(endpoints.iter().map(netpol::Endpoint::egress));
    if checkpoints.is_some_and(|dir| {
        [
            "s3://", "s3a://", "s3p://", "gs://", "abfs://", "abfss://", "wasb://", "wasbs://",
        ]
        .iter()
        .any(|scheme| dir.starts_with(scheme))
    }) {
        // Object storage for checkpoints and savepoints, outside the cluster, over HTTPS.
        egress.push(netpol::rule("to", vec![netpol::anywhere()], &[443]));
    }
    let mut out = vec![netpol::policy(
        "flink-pods",
        flink_namespace,
        "flink-environment",
        netpol::match_labels(netpol::FLINK_PODS),
        ingress,
        egress,
    )];
    if np.default_deny.unwrap_or(false) {
        let mut deny = Manifest::build(
            netpol::API_VERSION,
            "NetworkPolicy",
            "default-deny",
            Some(flink_namespace),
        );
        flinkwasm_stack::labels::generated(&mut deny, "flink-environment");
        deny.set(&["spec", "podSelector"], json!({}));
        deny.set(&["spec", "policyTypes"], json!(["Ingress", "Egress"]));
        out.push(deny);
    }
    for m in &mut out {
        m.set_annotation(flinkwasm_stack::SYNC_WAVE, "120");
    }
    out
}
