//! The config schema, derived from the config type: pinned by a snapshot
//! (`config-schema.json`, so a change to what users may write is a visible diff), judged on a
//! table of sample configs with the `jsonschema` crate as the host checks it, every field
//! described, and every config of the repository's pipelines accepted.

use flink_sql::FlinkSql;
use flinkwasm_sdk::{Plugin, Value, json};
use flinkwasm_stack::testing as stack;

const SNAPSHOT: &str = include_str!("config-schema.json");

fn samples() -> Vec<(Value, bool)> {
    vec![
        (json!({}), true),
        (json!({"stack": "current"}), true),
        (json!({"stack": "seed"}), true),
        (json!({"stack": "newest"}), false),
        (json!({"environment": ""}), false),
        (
            json!({"environment": "env", "cmfRestClass": "default"}),
            true,
        ),
        (
            json!({"computePool": {"name": "pool", "image": "i",
                                   "jobManager": {"memory": "1024m", "cpu": 0.5},
                                   "taskManager": {"memory": "2g", "cpu": 1},
                                   "flinkConfiguration": {"a": "b"}}}),
            true,
        ),
        (json!({"computePool": {"name": "Pool"}}), false),
        // What Kubernetes and Flink would refuse only once the pool starts.
        (json!({"computePool": {"name": "p".repeat(64)}}), false),
        (json!({"computePool": {"name": "p".repeat(63)}}), true),
        (
            json!({"computePool": {"jobManager": {"memory": "1024"}}}),
            false,
        ),
        (
            json!({"computePool": {"jobManager": {"memory": "0"}}}),
            false,
        ),
        (
            json!({"computePool": {"jobManager": {"memory": "256m"}}}),
            false,
        ),
        (
            json!({"computePool": {"taskManager": {"memory": "1.5Gi"}}}),
            true,
        ),
        (
            json!({"computePool": {"taskManager": {"cpu": 1e308}}}),
            false,
        ),
        (
            json!({"computePool": {"taskManager": {"cpu": 1e-9}}}),
            false,
        ),
        (
            json!({"computePool": {"image": "not an image\nfoo"}}),
            false,
        ),
        (
            json!({"computePool": {"image": "registry.example.com:5000/confluentinc/cp-flink-sql:1.19-cp8"}}),
            true,
        ),
        (json!({"computePool": {"jobManager": {"cpu": 0}}}), false),
        (
            json!({"computePool": {"flinkConfiguration": {"a": 1}}}),
            false,
        ),
        (json!({"computePool": {"type": "SHARED"}}), false),
        (
            json!({"kafka": {"secretRef": "kafka-sql", "connectionConfig": {"security.protocol": "SASL_SSL"}}}),
            true,
        ),
        (json!({"kafka": {"secretRef": "Kafka_SQL"}}), false),
        (json!({"schemaRegistry": {"url": "http://sr"}}), false),
        (
            json!({"statements": {"previous": "keep", "stopped": ["insert-order-totals"]}}),
            true,
        ),
        (json!({"statements": {"previous": "delete"}}), false),
        (json!({"syncWave": 3}), true),
        (json!({"syncWave": "3"}), false),
        // Bounded, so that no later wave wraps around i32.
        (json!({"syncWave": -1000000}), true),
        (json!({"syncWave": 2147483645}), false),
        (json!({"syncWave": -2147483648}), false),
        // Kubernetes names, as the objects naming them need.
        (json!({"environment": "Bad_Env"}), false),
        (json!({"cmfRestClass": "Bad Class"}), false),
        (json!({"unknown": 1}), false),
    ]
}

#[test]
fn the_schema_is_the_snapshot() {
    let now = FlinkSql::info().config_schema;
    let snapshot: Value = serde_json::from_str(SNAPSHOT).expect("the snapshot is JSON");
    assert_eq!(
        now,
        snapshot,
        "the derived schema changed; if on purpose, update tests/config-schema.json to:\n{}",
        serde_json::to_string_pretty(&now).unwrap_or_default()
    );
}

#[test]
fn the_schema_accepts_and_refuses_the_table_and_describes_every_field() {
    let now = FlinkSql::info().config_schema;
    stack::assert_judged_alike(SNAPSHOT, &now, &samples());
}

#[test]
fn every_config_of_the_repository_s_pipelines_is_accepted() {
    let now = FlinkSql::info().config_schema;
    // Each entry and cluster config of this plugin counts once: the files were read.
    assert_eq!(
        stack::assert_repository_configs_accepted("flink-sql", SNAPSHOT, &now),
        2
    );
}
