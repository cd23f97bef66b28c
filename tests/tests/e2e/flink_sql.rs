//! Flink SQL as GitOps (`flink-sql` plugin, `workloads/flink-sql/`): the seed's SQL renders to
//! catalog, database, pool, secret mapping and statements that the real schemas accept, pinned
//! by golden files for both clusters; bad SQL, an unknown connector option, a secret value in
//! SQL and the seed's pairing asked for SQL each fail with the file and line, exit 3, and
//! nothing on stdout.

use flinkwasm_tests::harness::{Scratch, golden, parse_stream, repo};
use flinkwasm_tests::schemas;
use std::collections::BTreeSet;

use crate::BIN;

#[test]
fn the_seed_sql_renders_to_real_sql_resources_on_both_clusters() {
    let s = Scratch::new(BIN);
    let dir = repo("workloads/flink-sql");
    let dir = dir.to_str().unwrap();
    for cluster in ["homelab", "flink-demo"] {
        let out = s
            .run(
                &["render", dir, "--cluster", cluster, "--log-level", "info"],
                None,
            )
            .ok();
        let objects = parse_stream(&out.stdout);
        let kinds: BTreeSet<String> = schemas::check_all(&objects, cluster).into_iter().collect();
        let mut expected = vec![
            "platform.confluent.io/v1beta1/FlinkKafkaCatalog",
            "platform.confluent.io/v1beta1/FlinkKafkaDatabase",
            "platform.confluent.io/v1beta1/FlinkComputePool",
            "platform.confluent.io/v1beta1/FlinkStatement",
        ];
        if cluster == "flink-demo" {
            expected.push("platform.confluent.io/v1beta1/FlinkSecret");
            expected.push("platform.confluent.io/v1beta1/FlinkEnvironmentSecretMapping");
        }
        let expected: BTreeSet<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(kinds, expected, "{cluster}");
        let wave = |o: &serde_json::Value| {
            o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap()
                .parse::<i32>()
                .unwrap()
        };
        for o in &objects {
            let statement = o["spec"]["statement"].as_str().unwrap_or_default();
            // In the order CFK's documentation applies them, then DDL, then DML.
            let expected = match o["kind"].as_str().unwrap() {
                "FlinkSecret" => 0,
                "FlinkEnvironmentSecretMapping" => 1,
                "FlinkKafkaCatalog" => 2,
                "FlinkKafkaDatabase" | "FlinkComputePool" => 3,
                "FlinkStatement" if statement.starts_with("CREATE") => 4,
                "FlinkStatement" => 5,
                other => panic!("{other}"),
            };
            assert_eq!(wave(o), expected, "{o}");
        }
        // The move of each connection option was reported (as a note: `--log-level info`).
        assert!(
            out.stderr
                .contains("option 'avro-confluent.url' moved to its FlinkKafkaCatalog"),
            "{}",
            out.stderr
        );
        golden(&format!("flink-sql-{cluster}"), &out.stdout);
    }
}

/// The seed's SQL, as `workloads/flink-sql/sql/orders.sql` holds it.
fn seed_sql() -> String {
    std::fs::read_to_string(repo("workloads/flink-sql/sql/orders.sql")).unwrap()
}

/// A scratch pipeline granting `sql/job.sql` (holding `sql`) to flink-sql on `stack`.
fn scratch(stack: &str, sql: &str) -> Scratch {
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: sql}}\nspec:\n  \
             target: {{namespace: confluent}}\n  plugins:\n    - builtin: flink-sql\n      \
             files: [sql]\n      config: {{stack: {stack}}}\n"
        ),
    );
    s.write("sql/job.sql", sql);
    s
}

#[test]
fn what_the_sql_cannot_be_fails_with_file_line_and_exit_3() {
    let seed = seed_sql();
    // The seed's pairing asked for SQL: the error names the pairing that can.
    scratch("seed", &seed).run(&["render"], None).fails(
        3,
        "plugin flink-sql: sql/job.sql:1:1: stack `seed` (CMF 2.1.0) has no Flink SQL resources: \
         they need stack `current` (CMF 2.3.0 or later with CFK 3.3.0",
    );
    // Bad SQL.
    let bad = seed.replace("quantity INT,\n  price", "quantity INT INT,\n  price");
    scratch("current", &bad).run(&["render"], None).fails(
        3,
        "plugin flink-sql: sql/job.sql:5:16: Expected: ',' or ')'",
    );
    // An unknown connector option.
    let unknown = seed.replacen(
        "'topic' = 'orders',",
        "'topic' = 'orders',\n  'sink.partitioner' = 'fixed',",
        1,
    );
    scratch("current", &unknown).run(&["render"], None).fails(
        3,
        "plugin flink-sql: sql/job.sql:11:3: CREATE TABLE orders: option 'sink.partitioner' has \
         no place in a catalog table",
    );
    // A secret value in SQL: named by its option, its value never shown.
    let secret = seed.replacen(
        "'topic' = 'orders',",
        "'topic' = 'orders',\n  'avro-confluent.basic-auth.user-info' = 'flink:s3cr3t-value',",
        1,
    );
    let run = scratch("current", &secret).run(&["render"], None).fails(
        3,
        "plugin flink-sql: sql/job.sql:11:3: CREATE TABLE orders: option \
         'avro-confluent.basic-auth.user-info' is a credential",
    );
    assert!(!run.stderr.contains("s3cr3t-value"), "{}", run.stderr);
}

#[test]
fn deeply_nested_sql_is_refused_by_the_parser_not_by_a_trap() {
    let seed = seed_sql();
    let deep = format!(
        "{seed}\nINSERT INTO order_totals SELECT product_id, {}1{}, 1 FROM orders;\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    scratch("current", &deep).run(&["render"], None).fails(
        3,
        "plugin flink-sql: sql/job.sql:38:1: nested deeper than 64 levels",
    );
}
