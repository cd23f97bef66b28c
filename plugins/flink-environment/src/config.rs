//! The plugin's configuration: its Rust type and the JSON Schema the host validates against.

use flinkwasm_sdk::{Value, json};
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

/// The plugin configuration (see [`schema`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// FlinkEnvironment name.
    pub name: Option<String>,
    /// Namespace where Flink pods run (`kubernetesNamespace`); defaults to the run's namespace.
    /// Immutable on the real CRD: a FlinkEnvironment cannot move to another namespace later.
    pub kubernetes_namespace: Option<String>,
    /// Kafka connection.
    #[serde(default)]
    pub kafka: Kafka,
    /// Schema Registry connection.
    #[serde(default)]
    pub schema_registry: SchemaRegistry,
    /// Flink configuration entries, merged over the defaults (seed key names accepted).
    #[serde(default)]
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
    /// The `flink-resources` Argo CD Application.
    #[serde(default)]
    pub argocd: flinkwasm_stack::argocd::Settings,
    /// Where that Application's Argo CD reads this component from.
    #[serde(default)]
    pub source: Source,
    /// The Flink pods' NetworkPolicy, and the namespace's default deny (opt-in).
    #[serde(default)]
    pub network_policy: crate::security::NetworkPolicy,
}

/// Defaults for FlinkApplications.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationDefaults {
    /// Flink image.
    pub image: Option<String>,
    /// `flinkVersion` (`v1_19`).
    pub flink_version: Option<String>,
    /// ServiceAccount of the Flink pods.
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

/// The Git source of the `flink-resources` Application.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Repository URL (required to emit the Application).
    #[serde(rename = "repoURL")]
    pub repo_url: Option<String>,
    /// Revision (default `HEAD`).
    #[serde(rename = "targetRevision")]
    pub target_revision: Option<String>,
    /// Path of the component in the repository (default `workloads/flink-resources`).
    pub path: Option<String>,
    /// The Config Management Plugin's name (default `flinkwasm`).
    pub plugin: Option<String>,
}

/// Kafka connection settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kafka {
    /// `host:port[,host:port]`.
    pub bootstrap_servers: Option<String>,
    /// How jobs authenticate to Kafka (default: not at all).
    pub authentication: Option<crate::security::KafkaAuthentication>,
    /// TLS to Kafka: the Secret with the truststore (and, for mTLS, the keystore).
    pub tls: Option<crate::security::KafkaTls>,
}

/// Schema Registry connection settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaRegistry {
    /// Base URL.
    pub url: Option<String>,
    /// How jobs authenticate to Schema Registry (default: not at all).
    pub authentication: Option<crate::security::RegistryAuthentication>,
}

/// JobManager / TaskManager resources.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Memory, Flink notation (`1024m`).
    pub memory: Option<String>,
    /// CPU cores.
    pub cpu: Option<f64>,
}

/// The CMFRestClass settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CmfRestClass {
    /// Its name (default `default`).
    pub name: Option<String>,
    /// CMF REST endpoint (default: CMF's Service with its port, `https` when CMF serves TLS).
    pub endpoint: Option<String>,
    /// How CFK authenticates to CMF; must match the `cmf` plugin's `authentication`.
    pub authentication: Option<crate::security::CmfAuthentication>,
    /// TLS to CMF: the Secret with the client's certificate and the CA.
    pub tls: Option<crate::security::SecretRef>,
}

/// JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> Value {
    let resources = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "memory": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?([kmgt]b?|[KMGT]i?)?$",
                       "description": "Process memory in Flink notation, e.g. 1024m"},
            "cpu": {"type": "number", "exclusiveMinimum": 0, "description": "CPU cores"}
        }
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "flink-environment",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "FlinkEnvironment name (default default-flink-env)"},
            "kubernetesNamespace": {"type": "string", "minLength": 1, "description": "Namespace where Flink pods run (default: the run's namespace). Immutable on the real CRD (self == oldSelf): choose it before the first sync, since a changed namespace cannot be applied to an existing FlinkEnvironment (delete and recreate it instead)"},
            "kafka": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "bootstrapServers": {"type": "string", "minLength": 1, "description": "Kafka bootstrap servers, host:port[,host:port]"},
                    "authentication": crate::security::kafka_authentication_schema(),
                    "tls": crate::security::kafka_tls_schema()
                }
            },
            "schemaRegistry": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "url": {"type": "string", "pattern": "^https?://", "description": "Schema Registry URL"},
                    "authentication": crate::security::registry_authentication_schema()
                }
            },
            "flinkConfiguration": {
                "type": "object",
                "description": "Flink configuration entries merged over the defaults",
                "additionalProperties": {"type": ["string", "number", "boolean"]}
            },
            "jobManager": resources,
            "taskManager": resources,
            "cmfRestClass": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "CMFRestClass name (default default)"},
                    "endpoint": {"type": "string", "pattern": "^https?://", "description": "CMF REST endpoint, with its port (default: CMF's Service, https://cmf-service.<ns>.svc.cluster.local:80 when CMF serves TLS)"},
                    "authentication": crate::security::cmf_authentication_schema(),
                    "tls": crate::security::secret_ref_schema("Secret with the client certificate and CA for TLS to CMF")
                }
            },
            "generate": {"type": "boolean", "description": "Emit the CMFRestClass and FlinkEnvironment when the stream lacks them (default true)"},
            "applicationDefaults": {
                "type": "object", "additionalProperties": false,
                "description": "Defaults for FlinkApplications that leave these out",
                "properties": {
                    "image": {"type": "string", "minLength": 1, "description": "Flink image (default confluentinc/cp-flink:1.19.1-cp1)"},
                    "flinkVersion": {"type": "string", "pattern": "^v[0-9]+_[0-9]+$", "description": "flinkVersion (default v1_19)"},
                    "serviceAccount": {"type": "string", "minLength": 1, "description": "ServiceAccount of Flink pods (default flink)"}
                }
            },
            "argocd": flinkwasm_stack::argocd::schema(),
            "networkPolicy": crate::security::network_policy_schema(),
            "source": {
                "type": "object", "additionalProperties": false,
                "description": "Where Argo CD reads the flink-resources component",
                "properties": {
                    "repoURL": {"type": "string", "minLength": 1, "description": "Git repository (required for the Application)"},
                    "targetRevision": {"type": "string", "minLength": 1, "description": "Revision (default HEAD)"},
                    "path": {"type": "string", "minLength": 1, "description": "Path in the repository (default workloads/flink-resources)"},
                    "plugin": {"type": "string", "minLength": 1, "description": "Config Management Plugin name (default flinkwasm)"}
                }
            }
        }
    })
}
