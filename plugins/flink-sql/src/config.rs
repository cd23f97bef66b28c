//! The plugin's configuration: its Rust type, from which the JSON Schema the host validates
//! against is derived.

use flinkwasm_sdk::JsonSchema;
use flinkwasm_stack::versions::Stack;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The configuration of `flink-sql`: the stack pairing, the environment statements run in,
/// their compute pool, the credentials of the Kafka clusters and Schema Registries, and how
/// statements change.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The stack's version pairing (default `seed`, which has no Flink SQL resources: set
    /// `current`).
    #[serde(default)]
    pub stack: Stack,
    /// The FlinkEnvironment statements run in (default `default-flink-env`): a Kubernetes
    /// name.
    #[schemars(
        length(min = 1, max = 63),
        pattern(flinkwasm_stack::argocd::DNS_LABEL_PATTERN)
    )]
    pub environment: Option<String>,
    /// The CMFRestClass every object names (default `default`, in the run's namespace): a
    /// Kubernetes name.
    #[schemars(
        length(min = 1, max = 63),
        pattern(flinkwasm_stack::argocd::DNS_LABEL_PATTERN)
    )]
    pub cmf_rest_class: Option<String>,
    /// The compute pool statements run on.
    #[serde(default)]
    pub compute_pool: ComputePool,
    /// Every Kafka cluster the SQL names (one FlinkKafkaDatabase each).
    #[serde(default)]
    pub kafka: Connection,
    /// Every Schema Registry the SQL names (one FlinkKafkaCatalog each).
    #[serde(default)]
    pub schema_registry: Connection,
    /// How statements change.
    #[serde(default)]
    pub statements: Statements,
    /// The first Argo CD sync wave (default 0): FlinkSecrets in it, their mappings one wave
    /// later, then catalogs, then databases and the pool, then DDL, then DML (5 waves later).
    /// Bounded so that every later wave is still a number Argo CD orders after it.
    #[schemars(range(min = -1000000, max = 1000000))]
    pub sync_wave: Option<i32>,
}

/// The compute pool (FlinkComputePool, type DEDICATED).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComputePool {
    /// Its name (default `default-pool`): a Kubernetes name.
    #[schemars(
        length(min = 1, max = 63),
        pattern(flinkwasm_stack::argocd::DNS_LABEL_PATTERN)
    )]
    pub name: Option<String>,
    /// The image (default: the stack pairing's SQL image): an image reference
    /// (`registry[:port]/path[:tag][@sha256:digest]`).
    #[schemars(length(min = 1, max = 512), pattern(IMAGE_PATTERN))]
    pub image: Option<String>,
    /// JobManager resources (default: the FlinkEnvironment's in the stream, else 1024m, 1 CPU).
    pub job_manager: Option<Resources>,
    /// TaskManager resources (default: the FlinkEnvironment's in the stream, else 1024m, 1 CPU).
    pub task_manager: Option<Resources>,
    /// Flink configuration of the pool's clusters (values are strings).
    #[serde(default)]
    pub flink_configuration: BTreeMap<String, String>,
}

/// An image reference as the container runtime parses it: lower-case path components, an
/// optional registry host and port, tag and digest.
const IMAGE_PATTERN: &str = "^[a-zA-Z0-9]+([._-][a-zA-Z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";

/// JobManager / TaskManager resources (one definition for every plugin that sizes Flink).
pub use flinkwasm_stack::resources::FlinkResources as Resources;

/// A kind of connection (Kafka or Schema Registry): its credentials and non-secret settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Connection {
    /// The Kubernetes Secret holding the client properties that are credentials (for Kafka
    /// `sasl.jaas.config`, for Schema Registry `schema.registry.basic.auth.user.info`). It becomes a
    /// FlinkSecret, mapped into the environment under the same name (the connection's
    /// `connectionSecretId`); its values are never read.
    #[schemars(
        length(min = 1, max = 63),
        pattern(flinkwasm_stack::argocd::DNS_LABEL_PATTERN)
    )]
    pub secret_ref: Option<String>,
    /// Client properties that are not secret, added to every connection's `connectionConfig`
    /// (for example `security.protocol: SASL_SSL`).
    #[serde(default)]
    pub connection_config: BTreeMap<String, String>,
}

/// How statements change. `FlinkStatement.spec.statement` is immutable once running: a
/// statement's name is derived from its text, so a changed statement is a new object.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Statements {
    /// What Argo CD does with a statement whose text changed (the old name): `prune` deletes
    /// it (default), `keep` leaves it running (`Prune=false`).
    #[serde(default)]
    pub previous: Previous,
    /// DML statements to stop (`spec.stopped: true`), by their stable key (the statement's
    /// name without its content hash, for example `insert-order-totals`).
    #[serde(default)]
    pub stopped: Vec<String>,
    /// How often DML statements checkpoint (`execution.checkpointing.interval`, default
    /// `10s`): CMF runs an INSERT only with checkpointing on.
    #[schemars(pattern(r"^[1-9][0-9]{0,8} ?(ms|s|min|h)$"))]
    pub checkpoint_interval: Option<String>,
}

impl Statements {
    /// The checkpoint interval DML statements get.
    pub fn checkpoint_interval(&self) -> &str {
        self.checkpoint_interval.as_deref().unwrap_or("10s")
    }
}

/// What happens to a statement's previous version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Previous {
    /// Argo CD prunes it.
    #[default]
    Prune,
    /// Argo CD keeps it (`argocd.argoproj.io/sync-options: Prune=false`).
    Keep,
}
