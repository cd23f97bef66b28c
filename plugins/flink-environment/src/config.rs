//! The plugin's configuration: its Rust type, from which the JSON Schema the host validates
//! against is derived.

use flinkwasm_sdk::{JsonSchema, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

/// CMF chart's Service, which CFK reaches CMF by unless the `cmf` plugin declares another.
pub const CMF_SERVICE: &str = "cmf-service";
/// Its port (to CMF's 8080), over HTTP and HTTPS alike.
pub const CMF_SERVICE_PORT: u16 = 80;
/// The seed's Kafka bootstrap servers.
pub const DEFAULT_KAFKA: &str = "kafka.confluent.svc.cluster.local:9092";
/// The seed's Schema Registry URL.
pub const DEFAULT_SCHEMA_REGISTRY: &str = "http://schemaregistry.confluent.svc.cluster.local:8081";

/// The configuration of `flink-environment`: the FlinkEnvironment and CMFRestClass, their
/// connections and security switches, and the `flink-resources` Argo CD Application (layout
/// `root` only).
// `Info::schema_for` derives the plugin's JSON Schema from this type, doc comments included.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// FlinkEnvironment name (default `default-flink-env`).
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Namespace where Flink pods run (`kubernetesNamespace`); defaults to the run's namespace.
    /// Immutable on the real CRD (`self == oldSelf`): choose it before the first sync, since a
    /// changed namespace cannot be applied to an existing FlinkEnvironment (delete and
    /// recreate it instead).
    #[schemars(length(min = 1))]
    pub kubernetes_namespace: Option<String>,
    /// Kafka connection.
    #[serde(default)]
    pub kafka: Kafka,
    /// Schema Registry connection.
    #[serde(default)]
    pub schema_registry: SchemaRegistry,
    /// Flink configuration entries, merged over the defaults (seed key names accepted).
    // Scalars only: Flink's configuration is flat `key: value` text.
    #[serde(default)]
    #[schemars(extend("additionalProperties" = {"type": ["string", "number", "boolean"]}))]
    pub flink_configuration: BTreeMap<String, Value>,
    /// JobManager resources.
    pub job_manager: Option<Resources>,
    /// TaskManager resources.
    pub task_manager: Option<Resources>,
    /// The CMFRestClass to create and reference.
    #[serde(default)]
    pub cmf_rest_class: CmfRestClass,
    /// Emit the CMFRestClass and FlinkEnvironment when the stream lacks them (default true).
    pub generate: Option<bool>,
    /// Defaults for FlinkApplications that leave fields out.
    #[serde(default)]
    pub application_defaults: ApplicationDefaults,
    /// The `flink-resources` Argo CD Application, emitted in layout `root` only: layout
    /// `whole` renders this component's objects itself, so no Application renders them again.
    #[serde(default)]
    pub argocd: flinkwasm_stack::argocd::Settings,
    /// Where that Application's Argo CD reads this component from (layout `root`).
    #[serde(default)]
    pub source: flinkwasm_stack::argocd::GitSource,
    /// The Flink pods' NetworkPolicy, and the namespace's default deny (opt-in).
    #[serde(default)]
    pub network_policy: crate::security::NetworkPolicy,
}

/// Defaults for FlinkApplications that leave these out.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationDefaults {
    /// Flink image (default `confluentinc/cp-flink:1.19.1-cp1`).
    #[schemars(length(min = 1))]
    pub image: Option<String>,
    /// `flinkVersion` (default `v1_19`).
    #[schemars(pattern("^v[0-9]+_[0-9]+$"))]
    pub flink_version: Option<String>,
    /// ServiceAccount of the Flink pods (default `flink`).
    #[schemars(length(min = 1))]
    pub service_account: Option<String>,
}

impl ApplicationDefaults {
    /// The image, default `confluentinc/cp-flink:1.19.1-cp1`.
    pub fn image(&self) -> &str {
        self.image
            .as_deref()
            .unwrap_or("confluentinc/cp-flink:1.19.1-cp1")
    }
    /// The Flink version, default `v1_19`.
    pub fn flink_version(&self) -> &str {
        self.flink_version.as_deref().unwrap_or("v1_19")
    }
    /// The ServiceAccount, default `flink` (the operator chart creates it in watched namespaces).
    pub fn service_account(&self) -> &str {
        self.service_account.as_deref().unwrap_or("flink")
    }
}

/// Kafka connection settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kafka {
    /// Kafka bootstrap servers, `host:port[,host:port]`.
    #[schemars(length(min = 1))]
    pub bootstrap_servers: Option<String>,
    /// How jobs authenticate to Kafka (default: not at all).
    pub authentication: Option<crate::security::KafkaAuthentication>,
    /// TLS to Kafka: the Secret with the truststore (and, for mTLS, the keystore).
    pub tls: Option<crate::security::KafkaTls>,
}

/// Schema Registry connection settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaRegistry {
    /// Schema Registry's base URL.
    #[schemars(pattern("^https?://"))]
    pub url: Option<String>,
    /// How jobs authenticate to Schema Registry (default: not at all).
    pub authentication: Option<crate::security::RegistryAuthentication>,
}

/// JobManager / TaskManager resources (one definition for every plugin that sizes Flink).
pub use flinkwasm_stack::resources::FlinkResources as Resources;

/// The CMFRestClass settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CmfRestClass {
    /// Its name (default `default`).
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// CMF REST endpoint, with its port (default: CMF's Service with its port, `https` when
    /// CMF serves TLS).
    #[schemars(pattern("^https?://"))]
    pub endpoint: Option<String>,
    /// How CFK authenticates to CMF; must match the `cmf` plugin's `authentication`.
    pub authentication: Option<crate::security::CmfAuthentication>,
    /// TLS to CMF: the Secret with the client's certificate and the CA.
    pub tls: Option<crate::security::SecretRef>,
}
