//! CMF's security switches, each off by default: TLS and mTLS or OAuth on the REST API, the
//! production database mode with its encryption key, the UI ingress and the NetworkPolicy.
//!
//! Secrets are only ever named (`secretRef`), never inlined: the chart mounts them and CMF reads
//! them from files. The chart value names follow the CMF chart (`cmf.ssl`,
//! `cmf.authentication`, `cmf.sql.production`, `encryption.key`, `mountedVolumes`).
//!
//! One thing the chart cannot do is read the stores' passwords from a Secret: every public
//! example passes `cmf.ssl.keystore-password` and `trust-store-password` as literal values, and
//! no public source shows another way. flinkwasm writes no secret value, so TLS is on only with
//! stores that have no password (`tls.passwordless: true`, which Confluent's documentation
//! allows: the passwords are optional for stores that are not password protected); without it
//! the switch is refused rather than leaving CMF unable to open its keystore.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::netpol;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where the TLS Secret is mounted in the CMF pod.
pub const TLS_MOUNT: &str = "/opt/cmf/tls";
/// The keystore's key in the TLS Secret: PKCS12, since a JKS store cannot hold a private key
/// without a password.
pub const KEYSTORE: &str = "keystore.p12";
/// The truststore's key in the TLS Secret.
pub const TRUSTSTORE: &str = "truststore.p12";
/// The CMF chart's Service and its port.
pub const SERVICE: &str = "cmf-service";
/// The Service's port (80, to container port 8080).
pub const SERVICE_PORT: u16 = 80;
/// CMF's container port.
pub const CONTAINER_PORT: u16 = 8080;
/// The key of the encryption key in its Secret, unless configured otherwise.
pub const ENCRYPTION_KEY_PROPERTY: &str = "encryption-key";

/// TLS on CMF's REST API.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// A Secret holding `keystore.p12` and `truststore.p12` (PKCS12, no password), mounted at
    /// `/opt/cmf/tls`.
    #[schemars(length(min = 1))]
    pub secret_ref: String,
    /// The stores have no password. Required: the chart takes the passwords only as literal
    /// values, which flinkwasm never writes.
    pub passwordless: Option<bool>,
}

/// Authentication of CMF's REST API: `mtls` (needs `tls`) or `oauth`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Authentication {
    /// Clients present a certificate CMF's truststore accepts (needs `tls`).
    Mtls,
    /// Clients present an OAuth bearer token.
    Oauth {
        /// The token issuer (`iss`).
        #[schemars(length(min = 1))]
        issuer: String,
        /// The issuer's JWKS endpoint.
        #[serde(rename = "jwksEndpoint")]
        #[schemars(pattern("^https://"))]
        jwks_endpoint: String,
        /// The expected audience (`aud`).
        #[schemars(length(min = 1))]
        audience: Option<String>,
    },
}

/// The database mode.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sql {
    /// Production mode (`cmf.sql.production`): encrypted secrets in the database. It cannot be
    /// switched back.
    pub production: Option<bool>,
    /// The Secret holding the encryption key (required in production mode).
    #[schemars(length(min = 1))]
    pub encryption_key_secret_ref: Option<String>,
    /// The key in that Secret (default `encryption-key`).
    #[schemars(length(min = 1))]
    pub encryption_key_property: Option<String>,
}

/// The CMF UI ingress (opt-in).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    /// Emit the Ingress (default false).
    pub enabled: Option<bool>,
    /// The host name (required when enabled).
    #[schemars(length(min = 1))]
    pub host: Option<String>,
    /// The IngressClass (default: the cluster's default class).
    #[schemars(length(min = 1))]
    pub class_name: Option<String>,
    /// The TLS Secret for the host; none serves plain HTTP.
    #[schemars(length(min = 1))]
    pub tls_secret_ref: Option<String>,
    /// A Secret (`tls.crt`, `tls.key`, `ca.crt`) with the client certificate ingress-nginx
    /// presents to CMF, and the CA it verifies CMF by; required when CMF requires client
    /// certificates (mTLS).
    #[schemars(length(min = 1))]
    pub client_certificate_secret_ref: Option<String>,
    /// A Secret with the `ca.crt` that signs the certificates of the Ingress's own clients:
    /// ingress-nginx verifies every client against it. Required with
    /// `clientCertificateSecretRef`, which makes the Ingress CMF's trusted client: without it
    /// anyone reaching the host would reach CMF as that certificate.
    #[serde(rename = "clientCASecretRef")]
    #[schemars(length(min = 1))]
    pub client_ca_secret_ref: Option<String>,
    /// Extra annotations for the ingress controller.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// NetworkPolicy for CMF: its REST port from its clients, the Kubernetes API, Flink
/// JobManagers, DNS (opt-in).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Emit the NetworkPolicies (default false).
    pub enabled: Option<bool>,
    /// Namespaces whose pods may call CMF (default: CMF's own, where CFK runs).
    #[schemars(inner(length(min = 1)))]
    pub client_namespaces: Option<Vec<String>>,
    /// Namespaces where CMF reaches Flink JobManagers (default: CMF's own).
    #[schemars(inner(length(min = 1)))]
    pub flink_namespaces: Option<Vec<String>>,
    /// Namespace of the ingress controller, allowed when the ingress is on (default
    /// `ingress-nginx`).
    #[schemars(length(min = 1))]
    pub ingress_namespace: Option<String>,
}

/// Checks the switches for combinations that cannot work, before anything is emitted.
pub fn check(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Result<(), Error> {
    if let Some(tls) = &cfg.tls
        && tls.passwordless != Some(true)
    {
        return Err(Diagnostic::error(format!(
            "tls needs stores CMF can open: the CMF chart takes cmf.ssl.keystore-password and \
             trust-store-password only as literal values (no public source shows it reading them \
             from a Secret), and flinkwasm writes no secret value; put PKCS12 stores without a \
             password in Secret {} ({KEYSTORE}, {TRUSTSTORE}) and set tls.passwordless: true \
             (Confluent documents both passwords as optional for stores that are not password \
             protected)",
            tls.secret_ref
        ))
        .at("tls.passwordless")
        .into());
    }
    if cfg.ingress.enabled.unwrap_or(false)
        && matches!(cfg.authentication, Some(Authentication::Mtls))
        && cfg.ingress.client_certificate_secret_ref.is_none()
    {
        return Err(Diagnostic::error(
            "ingress.enabled with authentication.type mtls: CMF requires a client certificate on \
             every call, so the ingress controller must present one when it re-encrypts to CMF; \
             name the Secret with its tls.crt, tls.key and the ca.crt that signed CMF's \
             certificate in ingress.clientCertificateSecretRef",
        )
        .at("ingress.clientCertificateSecretRef")
        .into());
    }
    if cfg.ingress.enabled.unwrap_or(false)
        && cfg.ingress.client_certificate_secret_ref.is_some()
        && (cfg.ingress.client_ca_secret_ref.is_none() || cfg.ingress.tls_secret_ref.is_none())
    {
        return Err(Diagnostic::error(
            "ingress.clientCertificateSecretRef makes the Ingress CMF's trusted client, so the \
             Ingress must verify its own clients, or anyone reaching the host reaches CMF as its \
             certificate: name the Secret with the ca.crt that signs your users' certificates in \
             ingress.clientCASecretRef, and serve the host over TLS (ingress.tlsSecretRef)",
        )
        .at(if cfg.ingress.client_ca_secret_ref.is_none() {
            "ingress.clientCASecretRef"
        } else {
            "ingress.tlsSecretRef"
        })
        .into());
    }
    if matches!(cfg.authentication, Some(Authentication::Mtls)) && cfg.tls.is_none() {
        return Err(Diagnostic::error(
            "authentication.type mtls needs TLS: name the Secret with CMF's keystore and \
             truststore in tls.secretRef",
        )
        .at("authentication.type")
        .into());
    }
    if cfg.sql.production.unwrap_or(false) {
        if cfg.sql.encryption_key_secret_ref.is_none() {
            return Err(Diagnostic::error(
                "sql.production needs the Secret holding the database encryption key: name it in \
                 sql.encryptionKeySecretRef",
            )
            .at("sql.encryptionKeySecretRef")
            .into());
        }
        diags.push(
            Diagnostic::warning(
                "sql.production is on: CMF encrypts its database with the key in \
                 sql.encryptionKeySecretRef, and a database in production mode cannot be switched \
                 back; keep that Secret backed up",
            )
            .at("sql.production"),
        );
    }
    if cfg.ingress.enabled.unwrap_or(false) && cfg.ingress.host.is_none() {
        return Err(Diagnostic::error("ingress.enabled needs ingress.host")
            .at("ingress.host")
            .into());
    }
    Ok(())
}

/// Adds the chart values of the switches that are on to `values`.
pub fn values(cfg: &Config, values: &mut Value) {
    if let Some(tls) = &cfg.tls {
        // No keystore-password / trust-store-password: the stores have none (see `check`).
        let mut ssl = json!({
            "keystore": format!("{TLS_MOUNT}/{KEYSTORE}"),
            "trust-store": format!("{TLS_MOUNT}/{TRUSTSTORE}"),
        });
        if matches!(cfg.authentication, Some(Authentication::Mtls)) {
            ssl["client-auth"] = json!("need");
        }
        values["cmf"]["ssl"] = ssl;
        values["mountedVolumes"] = json!({
            "volumes": [{"name": "cmf-tls", "secret": {"secretName": tls.secret_ref}}],
            "volumeMounts": [{"name": "cmf-tls", "mountPath": TLS_MOUNT, "readOnly": true}],
        });
    }
    match &cfg.authentication {
        Some(Authentication::Mtls) => values["cmf"]["authentication"] = json!({"type": "mtls"}),
        Some(Authentication::Oauth {
            issuer,
            jwks_endpoint,
            audience,
        }) => {
            let mut config = json!({
                "oauthbearer.expected.issuer": issuer,
                "oauthbearer.jwks.endpoint.url": jwks_endpoint,
            });
            if let Some(aud) = audience {
                config["oauthbearer.expected.audience"] = json!(aud);
            }
            values["cmf"]["authentication"] = json!({"type": "oauth", "config": config});
        }
        None => {}
    }
    if cfg.sql.production.unwrap_or(false) {
        values["cmf"]["sql"] = json!({"production": true});
        if let Some(secret) = &cfg.sql.encryption_key_secret_ref {
            values["encryption"] = json!({"key": {
                "kubernetesSecretName": secret,
                "kubernetesSecretProperty": cfg
                    .sql
                    .encryption_key_property
                    .as_deref()
                    .unwrap_or(ENCRYPTION_KEY_PROPERTY),
            }});
        }
    }
}

/// The CMF UI Ingress, in the style of CFK's Control Center ingress: one host, the CMF Service
/// behind it, TLS at the controller, and HTTPS to the backend when CMF serves TLS itself.
pub fn ingress(cfg: &Config, namespace: &str, component: &str) -> Option<Manifest> {
    let settings = &cfg.ingress;
    if !settings.enabled.unwrap_or(false) {
        return None;
    }
    let host = settings.host.as_deref()?;
    let mut m = Manifest::build(
        "networking.k8s.io/v1",
        "Ingress",
        "cmf-ingress",
        Some(namespace),
    );
    flinkwasm_stack::labels::generated(&mut m, component);
    m.set_annotation(flinkwasm_stack::SYNC_WAVE, "118");
    if cfg.tls.is_some() {
        m.set_annotation("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS");
    }
    if let Some(client) = &settings.client_certificate_secret_ref {
        // ingress-nginx's backend certificate authentication: it presents tls.crt/tls.key to
        // CMF and verifies CMF's certificate against ca.crt, by the Service's DNS name.
        m.set_annotation(
            "nginx.ingress.kubernetes.io/proxy-ssl-secret",
            &format!("{namespace}/{client}"),
        );
        m.set_annotation("nginx.ingress.kubernetes.io/proxy-ssl-verify", "on");
        m.set_annotation(
            "nginx.ingress.kubernetes.io/proxy-ssl-name",
            &format!("{SERVICE}.{namespace}.svc.cluster.local"),
        );
        m.set_annotation("nginx.ingress.kubernetes.io/proxy-ssl-server-name", "on");
    }
    if let Some(ca) = &settings.client_ca_secret_ref {
        // ingress-nginx's client certificate authentication: no request without a certificate
        // signed by ca.crt reaches the backend.
        m.set_annotation(
            "nginx.ingress.kubernetes.io/auth-tls-secret",
            &format!("{namespace}/{ca}"),
        );
        m.set_annotation("nginx.ingress.kubernetes.io/auth-tls-verify-client", "on");
        m.set_annotation("nginx.ingress.kubernetes.io/auth-tls-verify-depth", "1");
    }
    for (k, v) in &settings.annotations {
        m.set_annotation(k, v);
    }
    if let Some(class) = &settings.class_name {
        m.set(&["spec", "ingressClassName"], class.as_str());
    }
    if let Some(secret) = &settings.tls_secret_ref {
        m.set(
            &["spec", "tls"],
            json!([{"hosts": [host], "secretName": secret}]),
        );
    }
    m.set(
        &["spec", "rules"],
        json!([{
            "host": host,
            "http": {"paths": [{
                "path": "/",
                "pathType": "Prefix",
                "backend": {"service": {"name": SERVICE, "port": {"number": SERVICE_PORT}}},
            }]},
        }]),
    );
    Some(m)
}

/// CMF's NetworkPolicy: its REST port from its clients (and the ingress controller), egress to
/// the Kubernetes API, Flink JobManagers and DNS.
pub fn network_policy(cfg: &Config, namespace: &str, component: &str) -> Option<Manifest> {
    let np = &cfg.network_policy;
    if !np.enabled.unwrap_or(false) {
        return None;
    }
    let own = vec![namespace.to_string()];
    let mut clients: Vec<Value> = np
        .client_namespaces
        .as_ref()
        .unwrap_or(&own)
        .iter()
        .map(|ns| netpol::namespace(ns))
        .collect();
    if cfg.ingress.enabled.unwrap_or(false) {
        clients.push(netpol::namespace(
            np.ingress_namespace.as_deref().unwrap_or("ingress-nginx"),
        ));
    }
    let jobmanagers = np
        .flink_namespaces
        .as_ref()
        .unwrap_or(&own)
        .iter()
        .map(|ns| netpol::pods_in(ns, netpol::FLINK_JOBMANAGERS))
        .collect();
    let mut m = netpol::policy(
        "confluent-manager-for-apache-flink",
        namespace,
        component,
        netpol::match_map(&cfg.pod_labels()),
        vec![netpol::rule("from", clients, &[CONTAINER_PORT])],
        vec![
            netpol::api_server_egress(),
            netpol::rule("to", jobmanagers, &[netpol::FLINK_REST_PORT]),
            netpol::dns_egress(),
        ],
    );
    m.set_annotation(flinkwasm_stack::SYNC_WAVE, "118");
    Some(m)
}
