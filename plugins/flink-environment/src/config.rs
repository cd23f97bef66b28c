//! The plugin's configuration: its Rust type and the JSON Schema the host validates against.

use flinkwasm_sdk::{Value, json};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where CFK reaches CMF by default: the CMF chart's Service, port 80.
pub const DEFAULT_CMF_ENDPOINT: &str = "http://cmf-service.confluent.svc.cluster.local";
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
}

/// Kafka connection settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kafka {
    /// `host:port[,host:port]`.
    pub bootstrap_servers: Option<String>,
}

/// Schema Registry connection settings.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaRegistry {
    /// Base URL.
    pub url: Option<String>,
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
    /// CMF REST endpoint.
    pub endpoint: Option<String>,
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
            "kubernetesNamespace": {"type": "string", "minLength": 1, "description": "Namespace where Flink pods run (default: the run's namespace)"},
            "kafka": {
                "type": "object", "additionalProperties": false,
                "properties": {"bootstrapServers": {"type": "string", "minLength": 1, "description": "Kafka bootstrap servers, host:port[,host:port]"}}
            },
            "schemaRegistry": {
                "type": "object", "additionalProperties": false,
                "properties": {"url": {"type": "string", "pattern": "^https?://", "description": "Schema Registry URL"}}
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
                    "endpoint": {"type": "string", "pattern": "^https?://", "description": "CMF REST endpoint"}
                }
            }
        }
    })
}
