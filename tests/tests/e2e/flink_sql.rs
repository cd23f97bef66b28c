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

/// A scratch pipeline granting `sql/` to flink-sql on stack `current` with more `config`
/// (YAML flow mapping entries), holding `files`.
fn scratch_files(config: &str, files: &[(&str, &str)]) -> Scratch {
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: sql}}\nspec:\n  \
             target: {{namespace: confluent}}\n  plugins:\n    - builtin: flink-sql\n      \
             files: [sql]\n      config: {{stack: current{config}}}\n"
        ),
    );
    for (path, text) in files {
        s.write(path, text);
    }
    s
}

#[test]
fn config_and_input_errors_exit_3_naming_their_place() {
    let seed = seed_sql();
    // A config field the SQL contradicts: the pipeline entry and the field, exit 3 (it was 4).
    scratch_files(
        ", statements: {stopped: [insert-nothing]}",
        &[("sql/job.sql", &seed)],
    )
    .run(&["render"], None)
    .fails(
        3,
        "plugin flink-sql: flinkwasm.yaml spec.plugins[0] config.statements.stopped[0]: no \
         statement `insert-nothing`",
    );
    // A file with no statement (comments only): the file.
    scratch_files("", &[("sql/job.sql", "-- nothing yet\n")])
        .run(&["render"], None)
        .fails(
            3,
            "plugin flink-sql: sql/job.sql:1:1: no SQL statement in it",
        );
    // A character the YAML readers cannot take back, in a string literal: its line and column
    // (it was a plugin error about returned manifest 5).
    let c1 = seed.replace("SUM(quantity) as", "SUM(quantity) || '\u{85}' as");
    scratch_files("", &[("sql/job.sql", &c1)])
        .run(&["render"], None)
        .fails(
            3,
            "plugin flink-sql: sql/job.sql:33:20: the character U+0085",
        );
    // A 5,000-term `+` chain: located, before the parser builds a tree the guest's stack
    // cannot walk (it was "overflowed its stack", exit 4).
    let chain = format!(
        "{seed}\nINSERT INTO order_totals SELECT product_id, 1, q{} FROM orders;\n",
        " + q".repeat(4999)
    );
    scratch_files("", &[("sql/job.sql", &chain)])
        .run(&["render"], None)
        .fails(
            3,
            "plugin flink-sql: sql/job.sql:38:2050: an expression chains more than 500 operators",
        );
    // A table hint the parser would drop (it was dropped silently).
    let hint = seed.replace(
        "FROM orders\n",
        "FROM orders /*+ OPTIONS('scan.startup.mode'='earliest-offset') */\n",
    );
    scratch_files("", &[("sql/job.sql", &hint)])
        .run(&["render"], None)
        .fails(
            3,
            "plugin flink-sql: sql/job.sql:35:13: an optimizer hint here (a table hint",
        );
    // A topic Kafka would refuse, or one that looks like another (accents, zero-width).
    for (topic, error) in [
        (
            "ördérs",
            "sql/job.sql:2:1: CREATE TABLE orders: the topic `ördérs` has a character",
        ),
        ("orders\u{200b}", "sql/job.sql:10:13: the character U+200B"),
    ] {
        let odd = seed.replace("'topic' = 'orders'", &format!("'topic' = '{topic}'"));
        scratch_files("", &[("sql/job.sql", &odd)])
            .run(&["render"], None)
            .fails(3, &format!("plugin flink-sql: {error}"));
    }
    // A sync wave whose later waves would wrap around i32 is refused by the config's schema.
    scratch_files(", syncWave: 2147483645", &[("sql/job.sql", &seed)])
        .run(&["render"], None)
        .fails(3, "config.syncWave");
}

/// A team's SQL: a table on its own Schema Registry and Kafka cluster, and a statement.
fn team_sql(team: &str, registry: &str) -> String {
    format!(
        "CREATE TABLE {team}_in (id STRING) WITH ('connector' = 'kafka', 'topic' = '{team}-in', \
         'properties.bootstrap.servers' = 'kafka.{team}.svc:9092', 'format' = \
         'avro-confluent', 'avro-confluent.url' = '{registry}');\n\
         CREATE TABLE {team}_out (id STRING) WITH ('connector' = 'kafka', 'topic' = '{team}-out', \
         'properties.bootstrap.servers' = 'kafka.{team}.svc:9092', 'format' = \
         'avro-confluent', 'avro-confluent.url' = '{registry}');\n\
         INSERT INTO {team}_out SELECT id FROM {team}_in;\n"
    )
}

/// `(kind, name, spec.properties)` of every object rendered.
fn names(stdout: &str) -> BTreeSet<(String, String, String)> {
    parse_stream(stdout)
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["spec"]["properties"].to_string(),
            )
        })
        .collect()
}

#[test]
fn catalog_database_and_statement_names_follow_content_not_file_order() {
    let b = team_sql("b", "http://sr.team-b.svc:8081");
    let alone = names(
        &scratch_files("", &[("sql/b.sql", &b)])
            .run(&["render"], None)
            .ok()
            .stdout,
    );
    // Team a's file sorts first and brings another registry: nothing of team b's changes
    // (catalog `sr` once moved to team a's registry and team b's tables to `sr-2`).
    let a = team_sql("a", "http://sr.team-a.svc:8081");
    let both = names(
        &scratch_files("", &[("sql/a.sql", &a), ("sql/b.sql", &b)])
            .run(&["render"], None)
            .ok()
            .stdout,
    );
    assert!(alone.is_subset(&both), "{alone:?}\n{both:?}");
    assert_eq!(both.len(), alone.len() * 2 - 1, "one pool: {both:?}");
    // The same SQL on another registry: the statement's text is unchanged, yet it resolves
    // its tables elsewhere, so it is a new statement (and a new catalog).
    let moved = names(
        &scratch_files(
            "",
            &[("sql/b.sql", &b.replace("sr.team-b.svc", "sr2.team-b.svc"))],
        )
        .run(&["render"], None)
        .ok()
        .stdout,
    );
    let statements = |set: &BTreeSet<(String, String, String)>| -> BTreeSet<String> {
        set.iter()
            .filter(|(k, _, _)| k == "FlinkStatement")
            .map(|(_, n, _)| n.clone())
            .collect()
    };
    assert!(statements(&alone).is_disjoint(&statements(&moved)));
    // The same cluster listed in another order is the same database.
    let two = b.replace("kafka.b.svc:9092", "k1.b.svc:9092,k2.b.svc:9092");
    let other = b.replace("kafka.b.svc:9092", " k2.b.svc:9092,K1.b.svc:9092");
    let render = |sql: &str| {
        names(
            &scratch_files("", &[("sql/b.sql", sql)])
                .run(&["render"], None)
                .ok()
                .stdout,
        )
    };
    assert_eq!(render(&two), render(&other));
}
