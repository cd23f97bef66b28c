//! The plan as CFK objects (`platform.confluent.io/v1beta1`): FlinkSecret and
//! FlinkEnvironmentSecretMapping per credential Secret, FlinkKafkaCatalog per Schema Registry,
//! FlinkKafkaDatabase per Kafka cluster, the FlinkComputePool, one FlinkStatement per statement,
//! in sync waves: secret, mapping, catalog, database and pool, then DDL, then DML.

use crate::config::{Config, Previous, Resources};
use crate::lower::{Phase, Plan};
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::{SYNC_WAVE, labels};

const API: &str = "platform.confluent.io/v1beta1";
/// The component label of every object.
const COMPONENT: &str = "flink-sql";

/// Sync waves after the config's `syncWave`, in the order CFK's documentation applies the
/// global SQL resources (FlinkSecret, then its mapping, the catalog, the database; Argo CD
/// prunes in the reverse order), then DDL, then DML.
mod wave {
    pub const SECRET: i32 = 0;
    pub const MAPPING: i32 = 1;
    pub const CATALOG: i32 = 2;
    pub const DATABASE: i32 = 3;
    /// The pool needs only the environment: beside the database.
    pub const POOL: i32 = 3;
    /// Tables; views and DML follow (`Planned::wave`): DML at 5 when there is no view.
    pub const DDL: i32 = 4;
}

/// What emission needs besides the plan.
pub struct Emit<'a> {
    /// The config.
    pub cfg: &'a Config,
    /// The run's namespace.
    pub namespace: &'a str,
    /// The FlinkEnvironment's JobManager and TaskManager resources, when it is in the stream.
    pub env_resources: (Option<Value>, Option<Value>),
    /// The FlinkEnvironment's own sync wave, when it is in the stream with one (beside the
    /// Helm-native operator and CMF Applications it waits in wave 120): the SQL objects come
    /// after it unless the config sets `syncWave`.
    pub env_wave: Option<i32>,
}

impl Emit<'_> {
    fn environment(&self) -> &str {
        self.cfg
            .environment
            .as_deref()
            .unwrap_or("default-flink-env")
    }

    fn rest_class(&self) -> Value {
        json!({
            "name": self.cfg.cmf_rest_class.as_deref().unwrap_or("default"),
            "namespace": self.namespace,
        })
    }

    fn pool_name(&self) -> &str {
        self.cfg
            .compute_pool
            .name
            .as_deref()
            .unwrap_or("default-pool")
    }

    fn object(&self, kind: &str, name: &str, wave: i32, spec: Value) -> Manifest {
        let mut m = Manifest::build(API, kind, name, Some(self.namespace));
        labels::generated(&mut m, COMPONENT);
        m.set_annotation(SYNC_WAVE, &wave.to_string());
        m.set(&["spec"], spec);
        m
    }

    /// Every object, in sync-wave order.
    pub fn objects(&self, plan: &Plan) -> Vec<Manifest> {
        // The schema bounds `syncWave` (±1,000,000), so no wave here wraps; clamped as well,
        // in case the host's check were ever bypassed.
        let base = self
            .cfg
            .sync_wave
            .or(self.env_wave.map(|w| w.saturating_add(1)))
            .unwrap_or(0)
            .clamp(-1_000_000, 1_000_000);
        let mut out = Vec::new();
        let kafka_secret = self.cfg.kafka.secret_ref.as_deref();
        let registry_secret = self.cfg.schema_registry.secret_ref.as_deref();
        let mut secrets: Vec<&str> = kafka_secret.into_iter().chain(registry_secret).collect();
        secrets.dedup();
        for s in &secrets {
            out.push(self.object(
                "FlinkSecret",
                s,
                base + wave::SECRET,
                json!({"secretRef": s, "cmfRestClassRef": self.rest_class()}),
            ));
            out.push(self.object(
                "FlinkEnvironmentSecretMapping",
                s,
                base + wave::MAPPING,
                json!({
                    "flinkEnvironment": self.environment(),
                    "secretRef": {"name": s},
                    "cmfRestClassRef": self.rest_class(),
                }),
            ));
        }
        // By name: the order tables came in changes nothing.
        let mut catalogs: Vec<_> = plan.catalogs.iter().collect();
        catalogs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut databases: Vec<_> = plan.databases.iter().collect();
        databases.sort_by(|a, b| a.name.cmp(&b.name));
        for c in catalogs {
            let mut sr = json!({"connectionConfig": c.config});
            if let Some(s) = registry_secret {
                sr["connectionSecretId"] = json!(s);
            }
            out.push(self.object(
                "FlinkKafkaCatalog",
                &c.name,
                base + wave::CATALOG,
                json!({
                    "flinkEnvironment": self.environment(),
                    "srInstance": sr,
                    "cmfRestClassRef": self.rest_class(),
                }),
            ));
        }
        for d in databases {
            let mut spec = json!({
                "catalogRef": {"name": plan.catalogs[d.catalog].name},
                "flinkEnvironment": self.environment(),
                "kafkaCluster": {"connectionConfig": d.config},
                "ddlEnvironments": [self.environment()],
                "cmfRestClassRef": self.rest_class(),
            });
            // The database's secret as Confluent's CFK 3.3 example names it (top-level
            // `connectionSecretRef`; the mapping of that name exposes it to the environment).
            if let Some(s) = kafka_secret {
                spec["connectionSecretRef"] = json!({"name": s});
            }
            out.push(self.object("FlinkKafkaDatabase", &d.name, base + wave::DATABASE, spec));
        }
        out.push(self.pool(base + wave::POOL));
        for s in &plan.statements {
            // Tables at DDL, views after the views they read, DML after every view.
            let wave = base.saturating_add(wave::DDL).saturating_add(s.wave);
            let mut spec = json!({
                "flinkEnvironment": self.environment(),
                "computePoolName": self.pool_name(),
                "statement": s.text,
                "cmfRestClassRef": self.rest_class(),
            });
            if let Some((c, d)) = s.home {
                spec["properties"] = json!({
                    "sql.current-catalog": plan.catalogs[c].name,
                    "sql.current-database": plan.databases[d].name,
                });
            }
            if s.phase == Phase::Dml {
                // CMF runs an INSERT only with checkpointing on (Confluent's CFK 3.3 example:
                // "CMF requires checkpointing for INSERT INTO queries").
                spec["flinkConfiguration"] = json!({
                    "execution.checkpointing.interval": self.cfg.statements.checkpoint_interval()
                });
            }
            if self.cfg.statements.stopped.contains(&s.key) {
                spec["stopped"] = json!(true);
            }
            let mut m = self.object("FlinkStatement", &s.name, wave, spec);
            m.set_annotation("flinkwasm.io/statement-key", &s.key);
            m.set_annotation("flinkwasm.io/statement-source", &s.place.to_string());
            if self.cfg.statements.previous == Previous::Keep {
                m.set_annotation("argocd.argoproj.io/sync-options", "Prune=false");
            }
            out.push(m);
        }
        out
    }

    fn pool(&self, wave: i32) -> Manifest {
        let pool = &self.cfg.compute_pool;
        let image = pool
            .image
            .as_deref()
            .or(self.cfg.stack.pairing().sql_image)
            .unwrap_or_default();
        let mut cluster = json!({
            "flinkVersion": "v1_19",
            "image": image,
            "jobManager": {"resource": resources(pool.job_manager.as_ref(), self.env_resources.0.as_ref())},
            "taskManager": {"resource": resources(pool.task_manager.as_ref(), self.env_resources.1.as_ref())},
        });
        if !pool.flink_configuration.is_empty() {
            cluster["flinkConfiguration"] = json!(pool.flink_configuration);
        }
        self.object(
            "FlinkComputePool",
            self.pool_name(),
            wave,
            json!({
                "type": "DEDICATED",
                "flinkEnvironment": self.environment(),
                "clusterSpec": cluster,
                "cmfRestClassRef": self.rest_class(),
            }),
        )
    }
}

/// Resources from config, else the environment's, else the seed's 1024m and 1 CPU.
fn resources(configured: Option<&Resources>, env: Option<&Value>) -> Value {
    let env_memory = env.and_then(|v| v.get("memory")).cloned();
    let env_cpu = env.and_then(|v| v.get("cpu")).cloned();
    let memory = configured
        .and_then(|r| r.memory.clone())
        .map(Value::from)
        .or(env_memory)
        .unwrap_or_else(|| json!("1024m"));
    let cpu = configured
        .and_then(|r| r.cpu)
        .map(Value::from)
        .or(env_cpu)
        .unwrap_or_else(|| json!(1));
    json!({"memory": memory, "cpu": cpu})
}
