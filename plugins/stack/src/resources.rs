//! CPU and memory as Kubernetes resource requirements: the config block and its schema; and
//! the JobManager / TaskManager resources of Flink clusters, in Flink's notation.

use flinkwasm_sdk::{JsonSchema, Value, json};
use serde::Deserialize;

/// One side of resource requirements (`requests` or `limits`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Amounts {
    /// CPU quantity (`2`, `500m`).
    #[schemars(pattern(QUANTITY_PATTERN))]
    pub cpu: Option<String>,
    /// Memory quantity (`3Gi`).
    #[schemars(pattern(QUANTITY_PATTERN))]
    pub memory: Option<String>,
}

/// `resources:` as a pod spec writes it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirements {
    /// What the scheduler reserves.
    #[serde(default)]
    pub requests: Amounts,
    /// The ceiling.
    #[serde(default)]
    pub limits: Amounts,
}

impl Requirements {
    /// Requirements with the same requests and limits (Guaranteed QoS).
    pub fn guaranteed(cpu: &str, memory: &str) -> Self {
        let a = Amounts {
            cpu: Some(cpu.to_string()),
            memory: Some(memory.to_string()),
        };
        Requirements {
            requests: a.clone(),
            limits: a,
        }
    }

    /// `self` with every unset amount taken from `base`.
    pub fn or(&self, base: &Requirements) -> Requirements {
        let pick = |a: &Amounts, b: &Amounts| Amounts {
            cpu: a.cpu.clone().or_else(|| b.cpu.clone()),
            memory: a.memory.clone().or_else(|| b.memory.clone()),
        };
        Requirements {
            requests: pick(&self.requests, &base.requests),
            limits: pick(&self.limits, &base.limits),
        }
    }

    /// The `resources:` object of a container.
    pub fn to_json(&self) -> Value {
        let side = |a: &Amounts| {
            let mut m = flinkwasm_sdk::Map::new();
            if let Some(c) = &a.cpu {
                m.insert("cpu".into(), Value::from(c.as_str()));
            }
            if let Some(mem) = &a.memory {
                m.insert("memory".into(), Value::from(mem.as_str()));
            }
            Value::Object(m)
        };
        json!({"requests": side(&self.requests), "limits": side(&self.limits)})
    }
}

/// A Kubernetes quantity as a JSON Schema string pattern.
pub const QUANTITY_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$";

/// A Flink process size of at least 500m, in Flink's notation (`1024m`, `2g`) or Kubernetes'
/// (`2Gi`, `1.5Gi`).
pub const FLINK_MEMORY_PATTERN: &str = "^([5-9][0-9]{2}|[1-9][0-9]{3,})(m|mb|M|Mi)$|^[1-9][0-9]*(\\.[0-9]+)?(g|gb|G|Gi|t|tb|T|Ti)$|^0\\.[5-9][0-9]*(G|Gi)$";

/// JobManager / TaskManager resources, in Flink's notation (the FlinkEnvironment's and the
/// FlinkComputePool's `jobManager.resource` / `taskManager.resource`). Its schema keeps the
/// name the plugins' config schemas have always used.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Resources")]
pub struct FlinkResources {
    /// Process memory with its unit, at least 500m (`1024m`, `2g`, `2Gi`): Flink reads a bare
    /// number as bytes, and its JVM overhead and metaspace alone take about 450m.
    #[schemars(pattern(FLINK_MEMORY_PATTERN))]
    pub memory: Option<String>,
    /// CPU cores, from a thousandth (Kubernetes' smallest step) to 1000.
    #[schemars(range(min = 0.001, max = 1000.0))]
    pub cpu: Option<f64>,
}
