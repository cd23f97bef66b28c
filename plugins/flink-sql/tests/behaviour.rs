//! The plugin run natively as the host runs it (`flinkwasm_sdk::testing`): what the seed's SQL
//! becomes, and what is refused.

use flink_sql::FlinkSql;
use flinkwasm_sdk::json;
use flinkwasm_sdk::testing;

/// The seed's Flink SQL, as the seed document writes it.
const SEED_SQL: &str = "-- Create a table from Kafka topic
CREATE TABLE orders (
  order_id STRING,
  product_id STRING,
  quantity INT,
  price DECIMAL(10, 2),
  order_time TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka.confluent.svc.cluster.local:9092',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://schemaregistry.confluent.svc.cluster.local:8081'
);

-- Aggregate and write to another topic
CREATE TABLE order_totals (
  product_id STRING,
  total_quantity INT,
  total_revenue DECIMAL(10, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = 'order-totals',
  'properties.bootstrap.servers' = 'kafka.confluent.svc.cluster.local:9092',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://schemaregistry.confluent.svc.cluster.local:8081'
);

-- Execute streaming query
INSERT INTO order_totals
SELECT
  product_id,
  SUM(quantity) as total_quantity,
  SUM(quantity * price) as total_revenue
FROM orders
GROUP BY product_id;
";

fn current() -> flinkwasm_sdk::Context {
    testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/orders.sql", SEED_SQL)
}

#[test]
fn the_seed_sql_becomes_catalog_database_pool_and_statements() {
    let run = testing::run::<FlinkSql>(&current(), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let catalog = run
        .get("FlinkKafkaCatalog", "schemaregistry-e9d7b9d1bf")
        .expect("catalog");
    assert_eq!(
        catalog.peek(&["spec", "srInstance", "connectionConfig"]),
        Some(
            json!({"schema.registry.url": "http://schemaregistry.confluent.svc.cluster.local:8081"})
        )
    );
    let db = run
        .get("FlinkKafkaDatabase", "kafka-3368427b79")
        .expect("database");
    assert_eq!(
        db.peek(&["spec", "catalogRef", "name"]),
        Some(json!("schemaregistry-e9d7b9d1bf"))
    );
    assert_eq!(
        db.peek(&["spec", "kafkaCluster", "connectionConfig"]),
        Some(json!({"bootstrap.servers": "kafka.confluent.svc.cluster.local:9092"}))
    );
    let pool = run.get("FlinkComputePool", "default-pool").expect("pool");
    assert_eq!(
        pool.peek(&["spec", "clusterSpec", "image"]),
        Some(json!("confluentinc/cp-flink-sql:1.19-cp8"))
    );
    let statements = run.all("FlinkStatement");
    assert_eq!(statements.len(), 3);
    let text = |i: usize| statements[i].peek(&["spec", "statement"]).unwrap();
    assert_eq!(
        text(0),
        json!(
            "CREATE TABLE orders (order_id STRING, product_id STRING, quantity INT, price DECIMAL(10,2), order_time TIMESTAMP(3)) WITH ('connector' = 'confluent', 'value.format' = 'avro-registry')"
        )
    );
    // The topic differs from the table's name: the table takes the topic's, and the INSERT
    // follows it.
    assert!(
        text(1)
            .as_str()
            .unwrap()
            .starts_with("CREATE TABLE `order-totals` (")
    );
    assert!(
        text(2)
            .as_str()
            .unwrap()
            .starts_with("INSERT INTO `order-totals` SELECT")
    );
    let wave = |i: usize| {
        statements[i]
            .annotation("argocd.argoproj.io/sync-wave")
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (wave(0), wave(1), wave(2)),
        ("4".into(), "4".into(), "5".into())
    );
    assert!(statements[2].name().starts_with("insert-order-totals-"));
    assert_eq!(
        statements[2].peek(&["spec", "properties"]),
        Some(
            json!({"sql.current-catalog": "schemaregistry-e9d7b9d1bf", "sql.current-database": "kafka-3368427b79"})
        )
    );
    // CMF runs an INSERT only with checkpointing; DDL gets none.
    assert_eq!(
        statements[2].peek(&["spec", "flinkConfiguration"]),
        Some(json!({"execution.checkpointing.interval": "10s"}))
    );
    assert_eq!(statements[0].peek(&["spec", "flinkConfiguration"]), None);
    // The seed's aggregate into an append-only table renders, and is said not to run as
    // written.
    let warnings: Vec<_> = run
        .diagnostics
        .iter()
        .filter(|d| d.severity == flinkwasm_sdk::Severity::Warning)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(
            "sql/orders.sql:30:1: INSERT INTO `order-totals`: it writes an updating result"
        ),
        "{warnings:#?}"
    );
    // Every move is reported.
    let notes: Vec<_> = run.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.starts_with("sql/orders.sql:11:3: CREATE TABLE orders: option 'properties.bootstrap.servers' moved to its FlinkKafkaDatabase")),
        "{notes:#?}"
    );
}

#[test]
fn a_changed_statement_gets_a_new_name_and_stopping_keeps_it() {
    let first = testing::run::<FlinkSql>(&current(), "").unwrap();
    let changed = SEED_SQL.replace(
        "SUM(quantity) as total_quantity",
        "COUNT(*) as total_quantity",
    );
    let ctx = testing::context()
        .with_config(json!({"stack": "current", "statements": {"stopped": ["insert-order-totals"], "previous": "keep"}}))
        .with_file("sql/orders.sql", &changed);
    let second = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(second.errors().is_empty(), "{:#?}", second.diagnostics);
    let (a, b) = (first.all("FlinkStatement"), second.all("FlinkStatement"));
    assert_eq!(a[0].name(), b[0].name(), "unchanged DDL keeps its name");
    assert_ne!(
        a[2].name(),
        b[2].name(),
        "a changed statement is a new object"
    );
    assert_eq!(b[2].peek(&["spec", "stopped"]), Some(json!(true)));
    assert_eq!(a[2].peek(&["spec", "stopped"]), None);
    assert_eq!(
        b[2].annotation("argocd.argoproj.io/sync-options"),
        Some("Prune=false")
    );
    assert_eq!(a[2].annotation("argocd.argoproj.io/sync-options"), None);
}

#[test]
fn credentials_become_secret_mappings_never_values() {
    let ctx = testing::context()
        .with_config(json!({
            "stack": "current",
            "kafka": {"secretRef": "kafka-sql-credentials",
                      "connectionConfig": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512"}},
            "schemaRegistry": {"secretRef": "schemaregistry-sql-credentials",
                               "connectionConfig": {"schema.registry.basic.auth.credentials.source": "USER_INFO"}}
        }))
        .with_file("sql/orders.sql", SEED_SQL);
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let secret = run.get("FlinkSecret", "kafka-sql-credentials").unwrap();
    assert_eq!(
        secret.peek(&["spec", "secretRef"]),
        Some(json!("kafka-sql-credentials"))
    );
    let mapping = run
        .get(
            "FlinkEnvironmentSecretMapping",
            "schemaregistry-sql-credentials",
        )
        .unwrap();
    assert_eq!(
        mapping.peek(&["spec", "flinkEnvironment"]),
        Some(json!("default-flink-env"))
    );
    let db = run.get("FlinkKafkaDatabase", "kafka-3368427b79").unwrap();
    // The secret as Confluent's CFK 3.3 example names a database's (top-level), and the
    // mapping of the same name.
    assert_eq!(
        db.peek(&["spec", "connectionSecretRef", "name"]),
        Some(json!("kafka-sql-credentials"))
    );
    assert_eq!(
        db.peek(&["spec", "kafkaCluster", "connectionSecretId"]),
        None
    );
    assert!(
        run.get("FlinkEnvironmentSecretMapping", "kafka-sql-credentials")
            .is_some()
    );
    assert_eq!(
        db.peek(&[
            "spec",
            "kafkaCluster",
            "connectionConfig",
            "security.protocol"
        ]),
        Some(json!("SASL_SSL"))
    );
}

#[test]
fn the_pool_takes_the_environments_resources() {
    let env = "apiVersion: platform.confluent.io/v1beta1
kind: FlinkEnvironment
metadata: {name: default-flink-env, namespace: confluent}
spec:
  kubernetesNamespace: confluent
  flinkApplicationDefaults:
    spec:
      jobManager: {resource: {memory: 2048m, cpu: 2}}
      taskManager: {resource: {memory: 4096m, cpu: 1.5}}
";
    let run = testing::run::<FlinkSql>(&current(), env).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    assert!(
        run.get("FlinkEnvironment", "default-flink-env").is_some(),
        "kept"
    );
    let pool = run.get("FlinkComputePool", "default-pool").unwrap();
    assert_eq!(
        pool.peek(&["spec", "clusterSpec", "taskManager", "resource"]),
        Some(json!({"memory": "4096m", "cpu": 1.5}))
    );
}

#[test]
fn the_sql_objects_come_after_an_environment_that_waits_for_the_operators() {
    // Beside the Helm-native operator and CMF Applications, flink-environment puts the
    // FlinkEnvironment in wave 120: the SQL objects follow it rather than run in waves 0-5.
    let env = "apiVersion: platform.confluent.io/v1beta1
kind: FlinkEnvironment
metadata:
  name: default-flink-env
  namespace: confluent
  annotations: {argocd.argoproj.io/sync-wave: '120'}
spec: {kubernetesNamespace: confluent}
";
    let waves = |run: &testing::Run| -> Vec<i32> {
        run.manifests
            .iter()
            .filter(|m| m.kind() != "FlinkEnvironment")
            .map(|m| {
                m.annotation("argocd.argoproj.io/sync-wave")
                    .and_then(|w| w.parse().ok())
                    .expect("a wave")
            })
            .collect()
    };
    let run = testing::run::<FlinkSql>(&current(), env).unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let after = waves(&run);
    assert!(!after.is_empty());
    assert!(after.iter().all(|w| (121..=126).contains(w)), "{after:?}");
    // The config's syncWave still wins; without a wave on the environment nothing moves.
    let ctx = testing::context()
        .with_config(json!({"stack": "current", "syncWave": 10}))
        .with_file("sql/orders.sql", SEED_SQL);
    let run = testing::run::<FlinkSql>(&ctx, env).unwrap();
    assert!(waves(&run).iter().all(|w| (10..=15).contains(w)));
    let run = testing::run::<FlinkSql>(&current(), "").unwrap();
    assert!(waves(&run).iter().all(|w| (0..=5).contains(w)));
}

#[test]
fn what_cannot_run_is_refused_naming_file_and_line() {
    let refuse = |sql: &str, config: flinkwasm_sdk::Value| {
        let ctx = testing::context()
            .with_config(config)
            .with_file("sql/x.sql", sql);
        let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
        assert!(!run.errors().is_empty(), "not refused: {sql}");
        // As the host prints it: the place (the diagnostic's field), then the message.
        let e = run.error();
        match &e.field {
            Some(place) => format!("{place}: {}", e.message),
            None => e.message.clone(),
        }
    };
    let cur = || json!({"stack": "current"});
    // The seed's pairing has no Flink SQL.
    let m = refuse(SEED_SQL, json!({}));
    assert!(
        m.starts_with("sql/x.sql:1:1: stack `seed` (CMF 2.1.0) has no Flink SQL"),
        "{m}"
    );
    assert!(m.contains("CMF 2.3.0 or later with CFK 3.3.0"), "{m}");
    // Bad SQL.
    let m = refuse(
        "CREATE TABLE t (\n  a STRING,\n  b INT INT\n) WITH ('connector' = 'kafka');",
        cur(),
    );
    assert!(m.starts_with("sql/x.sql:3:9: "), "{m}");
    // An unknown connector option.
    let sql = SEED_SQL.replace(
        "'topic' = 'orders',",
        "'topic' = 'orders',\n  'sink.partitioner' = 'fixed',",
    );
    let m = refuse(&sql, cur());
    assert!(
        m.starts_with(
            "sql/x.sql:11:3: CREATE TABLE orders: option 'sink.partitioner' has no place"
        ),
        "{m}"
    );
    // A secret value: named, never repeated.
    let sql = SEED_SQL.replace(
        "'topic' = 'orders',",
        "'topic' = 'orders',\n  'properties.sasl.jaas.config' = 'PlainLoginModule required password=\"hunter2\";',",
    );
    let m = refuse(&sql, cur());
    assert!(m.starts_with("sql/x.sql:11:3: CREATE TABLE orders: option 'properties.sasl.jaas.config' is a credential"), "{m}");
    assert!(!m.contains("hunter2"), "{m}");
    // Two Schema Registries for one table: neither is dropped.
    let sql = SEED_SQL.replacen(
        "'format' = 'avro-confluent',",
        "'format' = 'avro-confluent',\n  'value.avro-confluent.url' = 'http://other:8081',",
        1,
    );
    let m = refuse(&sql, cur());
    assert!(
        m.starts_with("sql/x.sql:14:3: CREATE TABLE orders: option 'avro-confluent.url' says"),
        "{m}"
    );
    // A statement that is not DDL or DML.
    let m = refuse("DROP TABLE orders;", cur());
    assert!(
        m.starts_with("sql/x.sql:1:1: DROP TABLE orders is not a statement"),
        "{m}"
    );
    // Its words are named, never a literal after them.
    for (sql, words) in [
        ("VALUES ('hunter2');", "VALUES is"),
        ("SELECT 'hunter2' AS x;", "SELECT is"),
    ] {
        let m = refuse(sql, cur());
        assert!(m.contains(&format!("1:1: {words} not a statement")), "{m}");
        assert!(!m.contains("hunter2"), "{m}");
    }
    // Stopping what is not there.
    let m = refuse(
        SEED_SQL,
        json!({"stack": "current", "statements": {"stopped": ["insert-nope"]}}),
    );
    assert!(m.contains("no statement `insert-nope`"), "{m}");
}

#[test]
fn names_are_dns_labels_whatever_the_tables_are_called() {
    // A topic name Kafka takes but Kubernetes does not (upper case, `_`, `.`, leading marks).
    let sql = "CREATE TABLE `__Orders..V1_` (a STRING) WITH ('connector' = 'kafka', \
               'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
               'avro-confluent.url' = 'http://sr:8081');\n\
               INSERT INTO `__Orders..V1_` SELECT a FROM `__Orders..V1_`;";
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/x.sql", sql);
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let names: Vec<&str> = run.all("FlinkStatement").iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].starts_with("create-"), "{names:?}");
    assert!(names[1].starts_with("insert-"), "{names:?}");
    for n in names {
        assert!(n.len() <= 63, "{n}");
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{n}"
        );
    }
}

#[test]
fn a_table_whose_topic_kafka_would_refuse_is_refused() {
    for (name, topic) in [
        ("`日本`", ""),
        ("orders", "'topic' = 'ördérs', "),
        ("t", "'topic' = '..', "),
    ] {
        let sql = format!(
            "CREATE TABLE {name} (a STRING) WITH ('connector' = 'kafka', {topic}\
             'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
             'avro-confluent.url' = 'http://sr:8081');"
        );
        let m = refuse_with(
            testing::context()
                .with_config(json!({"stack": "current"}))
                .with_file("sql/x.sql", &sql),
        );
        assert!(m.contains("the topic"), "{sql}: {m}");
    }
}

#[test]
fn a_statement_is_keyed_by_what_it_writes_never_by_its_position() {
    let create = "CREATE TABLE orders (a STRING) WITH ('connector' = 'kafka', \
                  'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
                  'avro-confluent.url' = 'http://sr:8081');\n\
                  CREATE TABLE totals (a STRING) WITH ('connector' = 'kafka', \
                  'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
                  'avro-confluent.url' = 'http://sr:8081');\n";
    let names = |sql: String| {
        let ctx = testing::context()
            .with_config(json!({"stack": "current"}))
            .with_file("sql/x.sql", &sql);
        let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
        assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
        let mut names: Vec<String> = run
            .all("FlinkStatement")
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        names.sort();
        names
    };
    let into_totals = "INSERT INTO totals SELECT a FROM orders;\n";
    let before = names(format!("{create}{into_totals}"));
    // A statement added above it renames nothing that was there.
    let after = names(format!(
        "{create}INSERT INTO orders SELECT a FROM totals;\n{into_totals}"
    ));
    for name in &before {
        assert!(after.contains(name), "{name} was renamed: {after:?}");
    }
    // Two statements writing one table would share a key: refused, naming both places.
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file(
            "sql/x.sql",
            &format!("{create}{into_totals}INSERT INTO totals SELECT 'x' FROM orders;\n"),
        );
    let m = refuse_with(ctx);
    assert!(
        m.contains("its key `insert-totals` is also the key of the statement at sql/x.sql:3:1"),
        "{m}"
    );
}

#[test]
fn a_password_in_a_url_is_a_credential_whatever_the_option() {
    let sql = "CREATE TABLE orders (a STRING) WITH ('connector' = 'kafka', \
               'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
               'avro-confluent.url' = 'http://someone:hunter2@sr:8081');";
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/x.sql", sql);
    let m = refuse_with(ctx);
    assert!(m.contains("avro-confluent.url"), "{m}");
    assert!(!m.contains("hunter2"), "the value is never repeated: {m}");
}

/// The first error of a run that must fail, as the host prints it (place, then message).
fn refuse_with(ctx: flinkwasm_sdk::Context) -> String {
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(!run.errors().is_empty(), "not refused");
    let e = run.error();
    match &e.field {
        Some(place) => format!("{place}: {}", e.message),
        None => e.message.clone(),
    }
}

#[test]
fn a_rename_that_would_change_the_sql_is_refused_not_made() {
    // `order_totals` is renamed to its topic `order-totals`.
    let create = "CREATE TABLE order_totals (x STRING) WITH ('connector' = 'kafka', \
                  'topic' = 'order-totals', 'properties.bootstrap.servers' = 'k:9092', \
                  'format' = 'raw', 'avro-confluent.url' = 'http://sr:8081');\n\
                  CREATE TABLE orders (x STRING) WITH ('connector' = 'kafka', \
                  'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
                  'avro-confluent.url' = 'http://sr:8081');\n";
    let refused = |insert: &str| {
        let ctx = testing::context()
            .with_config(json!({"stack": "current"}))
            .with_file("sql/x.sql", &format!("{create}{insert}"));
        refuse_with(ctx)
    };
    // A CTE named as the table: renaming would make it read the topic.
    let m = refused(
        "INSERT INTO orders WITH order_totals AS (SELECT x FROM orders) SELECT x FROM order_totals;",
    );
    assert!(m.contains("the CTE `order_totals`"), "{m}");
    // A column qualified by the table's name: the qualifier would not follow.
    let m = refused("INSERT INTO orders SELECT order_totals.x FROM order_totals;");
    assert!(m.contains("the column `order_totals.x`"), "{m}");
    // Through an alias it renders.
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file(
            "sql/x.sql",
            &format!("{create}INSERT INTO orders SELECT t.x FROM order_totals AS t;"),
        );
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
}

#[test]
fn an_option_given_twice_is_refused_not_resolved_by_the_last() {
    let sql = "CREATE TABLE orders (a STRING) WITH ('connector' = 'kafka', \
               'topic' = 'orders', 'topic' = 'other', \
               'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
               'avro-confluent.url' = 'http://sr:8081');";
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/x.sql", sql);
    let m = refuse_with(ctx);
    assert!(m.contains("option 'topic' is given twice"), "{m}");
    assert!(m.starts_with("sql/x.sql:1:"), "{m}");
}

#[test]
fn flink_streaming_ddl_and_window_functions_run_as_written() {
    let kafka = "'connector' = 'kafka', 'properties.bootstrap.servers' = 'kafka:9092', \
                 'format' = 'avro-confluent', 'avro-confluent.url' = 'http://sr:8081'";
    let sql = format!(
        "CREATE TABLE clicks (
  user_id STRING,
  page ROW<url STRING, referrer ROW(host STRING, path STRING)>,
  tags MAP<STRING, ARRAY<STRING>>,
  price INT,
  total AS price * 2,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ({kafka}, 'topic' = 'web.clicks');
CREATE TABLE per_minute (window_start TIMESTAMP(3), clicks BIGINT) WITH ({kafka});
INSERT INTO per_minute
SELECT window_start, COUNT(*) FROM TABLE(
  TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTES))
GROUP BY window_start, window_end;
"
    );
    let ctx = testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/clicks.sql", &sql);
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let statements = run.all("FlinkStatement");
    let text = |i: usize| {
        statements[i]
            .peek(&["spec", "statement"])
            .and_then(|t| t.as_str().map(str::to_string))
            .unwrap()
    };
    assert_eq!(
        text(0),
        "CREATE TABLE `web.clicks` (user_id STRING, page ROW<url STRING, referrer ROW(host STRING, \
         path STRING)>, tags MAP<STRING, ARRAY<STRING>>, price INT, total AS price * 2, ts \
         TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', WATERMARK FOR ts AS ts - INTERVAL '5' \
         SECOND) WITH ('connector' = 'confluent', 'value.format' = 'avro-registry')"
    );
    // The window function's table argument follows the table to its topic's name, and the
    // INSERT runs where that table lives.
    assert_eq!(
        text(2),
        "INSERT INTO per_minute SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE \
         `web.clicks`, DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start, window_end"
    );
    assert!(
        statements[2]
            .peek(&["spec", "properties", "sql.current-database"])
            .is_some()
    );
}

/// Two tables (`orders`, and `order_totals` on topic `order-totals`) for the DML below.
const TWO_TABLES: &str = "CREATE TABLE orders (id STRING, ts TIMESTAMP(3), q INT) WITH (\
    'connector' = 'kafka', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
    'avro-confluent.url' = 'http://sr:8081');\n\
    CREATE TABLE order_totals (id STRING, q INT) WITH ('connector' = 'kafka', \
    'topic' = 'order-totals', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
    'avro-confluent.url' = 'http://sr:8081');\n";

fn with_sql(sql: &str) -> flinkwasm_sdk::Context {
    testing::context()
        .with_config(json!({"stack": "current"}))
        .with_file("sql/x.sql", sql)
}

#[test]
fn a_temporal_join_keeps_flinks_order_of_version_and_alias() {
    let sql = format!(
        "{TWO_TABLES}INSERT INTO order_totals SELECT o.id, t.q FROM orders AS o \
         JOIN order_totals FOR SYSTEM_TIME AS OF o.ts AS t ON o.id = t.id;"
    );
    let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let insert = run.all("FlinkStatement")[2]
        .peek(&["spec", "statement"])
        .unwrap();
    assert_eq!(
        insert,
        json!(
            "INSERT INTO `order-totals` SELECT o.id, t.q FROM orders AS o JOIN `order-totals` \
             FOR SYSTEM_TIME AS OF o.ts AS t ON o.id = t.id"
        )
    );
}

#[test]
fn views_wait_for_the_views_they_read_and_dml_for_every_view() {
    let sql = format!(
        "{TWO_TABLES}INSERT INTO order_totals SELECT id, q FROM v2;\n\
         CREATE VIEW v2 AS SELECT id, q FROM v1;\n\
         CREATE VIEW v1 AS SELECT id, q FROM orders;\n"
    );
    let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let waves: Vec<(String, String)> = run
        .all("FlinkStatement")
        .iter()
        .map(|s| {
            let key = s
                .annotation("flinkwasm.io/statement-key")
                .unwrap()
                .to_string();
            let wave = s
                .annotation("argocd.argoproj.io/sync-wave")
                .unwrap()
                .to_string();
            (key, wave)
        })
        .collect();
    let want = [
        ("create-orders", "4"),
        ("create-order-totals", "4"),
        ("view-v1", "5"),
        ("view-v2", "6"),
        ("insert-order-totals", "7"),
    ];
    assert_eq!(
        waves,
        want.map(|(k, w)| (k.to_string(), w.to_string())).to_vec()
    );
    // Views that read each other in a cycle are refused.
    let cycle = format!(
        "{TWO_TABLES}CREATE VIEW a AS SELECT id FROM b;\nCREATE VIEW b AS SELECT id FROM a;\n"
    );
    assert!(refuse_with(with_sql(&cycle)).contains("cycle of views"));
}

#[test]
fn what_flink_would_refuse_at_deploy_is_refused_at_render() {
    for (sql, place, needle) in [
        // A credential in an address, whatever the option; the value is never repeated.
        (
            TWO_TABLES.replace("'k:9092'", "'user:hunter2@k:9092'"),
            "sql/x.sql:1:",
            "holds a credential in its value",
        ),
        (
            TWO_TABLES.replace("'http://sr:8081'", "'http://sr:8081?token=hunter2'"),
            "sql/x.sql:1:",
            "holds a credential in its value",
        ),
        (
            TWO_TABLES.replace("'k:9092'", "'SASL_SSL://k:9092'"),
            "sql/x.sql:1:",
            "is not host:port",
        ),
        // A hint naming a table by the name the rename takes away.
        (
            format!(
                "{TWO_TABLES}INSERT INTO order_totals SELECT /*+ BROADCAST(order_totals) */ \
                 id, q FROM order_totals;"
            ),
            "sql/x.sql:3:1",
            "names `order_totals`, which this SQL renames",
        ),
        // Objects that cannot live across FlinkStatements, or in another catalog.
        (
            format!("{TWO_TABLES}CREATE TEMPORARY VIEW v AS SELECT id FROM orders;"),
            "sql/x.sql:3:1",
            "CREATE TEMPORARY VIEW",
        ),
        (
            "CREATE TABLE cat.db.t (x INT) WITH ('connector' = 'kafka');".to_string(),
            "sql/x.sql:1:1",
            "a qualified name",
        ),
        // DDL Flink refuses.
        (
            "CREATE TABLE t (x INT, PRIMARY KEY (x)) WITH ('connector' = 'kafka');".to_string(),
            "sql/x.sql:1:",
            "NOT ENFORCED",
        ),
        (
            "CREATE TABLE t (x INT, PRIMARY KEY (y) NOT ENFORCED) WITH ('connector' = 'kafka');"
                .to_string(),
            "sql/x.sql:1:37",
            "names `y`",
        ),
        (
            "CREATE TABLE t (x INT, x STRING) WITH ('connector' = 'kafka');".to_string(),
            "sql/x.sql:1:24",
            "declared twice",
        ),
        (
            "CREATE TABLE t (x INT DEFAULT 1) WITH ('connector' = 'kafka');".to_string(),
            "sql/x.sql:1:17",
            "DEFAULT 1",
        ),
        // Tokens of other dialects, and what the parser would print as other SQL.
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT \"id\", ts, q FROM orders;"),
            "sql/x.sql:3:27",
            "double-quoted name",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders AS a#b;"),
            "sql/x.sql:3:52",
            "`@` or `#`",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders AS \u{ff56}alue;"),
            "sql/x.sql:3:52",
            "full-width",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q AS `` FROM orders;"),
            "sql/x.sql:3:40",
            "empty name",
        ),
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders MINUS SELECT id, \
                 ts, q FROM orders;"
            ),
            "sql/x.sql:3:49",
            "write EXCEPT",
        ),
        (
            "CREATE TABLE t (x INTERVAL DAY) WITH ('connector' = 'kafka');".to_string(),
            "sql/x.sql:1:17",
            "is an INTERVAL",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q::INT FROM orders;"),
            "sql/x.sql:3:36",
            "`::`",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders WHERE q = 0x1F;"),
            "sql/x.sql:3:59",
            "0x number",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q, FROM orders;"),
            "sql/x.sql:3:",
            "",
        ),
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders WHERE id ILIKE 'a%';"
            ),
            "sql/x.sql:3:",
            "ILIKE",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT 'a\u{0}b', ts, q FROM orders;"),
            "sql/x.sql:3:27",
            "U+0000",
        ),
        (
            format!("{TWO_TABLES}INSERT INTO orders SELECT\u{a0}id, ts, q FROM orders;"),
            "sql/x.sql:3:26",
            "no-break space",
        ),
        // A statement too big for one Kubernetes object.
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders WHERE id <> '{}';",
                "a".repeat(600 * 1024)
            ),
            "sql/x.sql:3:1",
            "a FlinkStatement holds at most 524288",
        ),
    ] {
        let m = refuse_with(with_sql(&sql));
        assert!(m.starts_with(place), "{sql:.200}\n{m}");
        assert!(m.contains(needle), "{sql:.200}\n{m}");
        assert!(!m.contains("hunter2"), "{m}");
    }
    // A granted file with no statement fails even beside one that has some.
    let ctx = with_sql(TWO_TABLES).with_file("sql/empty.sql", "-- nothing yet\n");
    assert_eq!(
        refuse_with(ctx),
        "sql/empty.sql:1:1: no SQL statement in it: grant files that hold SQL"
    );
}

#[test]
fn only_a_name_alone_follows_a_table_to_its_topic() {
    let sql = format!(
        "{TWO_TABLES}INSERT INTO order_totals SELECT id, q FROM order_totals \
         UNION ALL SELECT id, q FROM other.order_totals;"
    );
    let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let insert = run.all("FlinkStatement")[2]
        .peek(&["spec", "statement"])
        .unwrap();
    assert_eq!(
        insert,
        json!(
            "INSERT INTO `order-totals` SELECT id, q FROM `order-totals` UNION ALL SELECT id, q \
             FROM other.order_totals"
        )
    );
}

/// The warnings of a run.
fn warnings(run: &testing::Run) -> Vec<String> {
    run.diagnostics
        .iter()
        .filter(|d| d.severity == flinkwasm_sdk::Severity::Warning)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_view_or_alias_never_takes_a_name_a_table_is_renamed_to() {
    // `order_totals` is renamed to its topic `order-totals`: a view of that name would be
    // one name for two objects, and the statements reading it would read the other.
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}CREATE VIEW `order-totals` AS SELECT id, q FROM order_totals;\n\
         INSERT INTO order_totals SELECT id, q FROM `order-totals`;\n"
    )));
    assert!(
        m.starts_with("sql/x.sql:3:1: CREATE VIEW order-totals: the table `order_totals`"),
        "{m}"
    );
    // A view named as a table of the SQL.
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}CREATE VIEW orders AS SELECT id FROM order_totals;\n"
    )));
    assert!(m.contains("CREATE VIEW orders: the table `orders`"), "{m}");
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}CREATE VIEW order_totals AS SELECT id FROM orders;\n"
    )));
    assert!(
        m.contains("a table of this SQL is named `order_totals`"),
        "{m}"
    );
    // A CTE or an alias with the name the table gets.
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}INSERT INTO orders WITH `order-totals` AS (SELECT id, ts, q FROM orders) \
         SELECT * FROM order_totals;\n"
    )));
    assert!(
        m.contains("the CTE `order-totals` has the name the table"),
        "{m}"
    );
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}INSERT INTO order_totals SELECT `order-totals`.id, t.q FROM orders AS \
         `order-totals` JOIN order_totals AS t ON `order-totals`.id = t.id;\n"
    )));
    assert!(m.contains("the alias `order-totals`"), "{m}");
}

#[test]
fn create_table_as_select_runs_as_dml() {
    let sql = format!(
        "{TWO_TABLES}CREATE TABLE big WITH ('connector' = 'kafka', 'topic' = 'big', \
         'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
         'avro-confluent.url' = 'http://sr:8081') AS SELECT id, q FROM orders WHERE q > 10;\n"
    );
    let ctx = testing::context()
        .with_config(json!({"stack": "current", "statements": {"stopped": ["create-big"]}}))
        .with_file("sql/x.sql", &sql);
    let run = testing::run::<FlinkSql>(&ctx, "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let statements = run.all("FlinkStatement");
    let ctas = statements
        .iter()
        .find(|s| s.annotation("flinkwasm.io/statement-key") == Some("create-big"))
        .expect("the CTAS");
    // After the tables it reads (wave 4), checkpointed, and stopped as asked.
    assert_eq!(ctas.annotation("argocd.argoproj.io/sync-wave"), Some("5"));
    assert_eq!(
        ctas.peek(&["spec", "flinkConfiguration"]),
        Some(json!({"execution.checkpointing.interval": "10s"}))
    );
    assert_eq!(ctas.peek(&["spec", "stopped"]), Some(json!(true)));
}

#[test]
fn an_updating_result_is_found_below_the_outer_select_too() {
    let updating = [
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, SUM(q) AS q FROM orders GROUP BY id);",
        "INSERT INTO order_totals WITH a AS (SELECT id, SUM(q) AS q FROM orders GROUP BY id) SELECT * FROM a;",
        "INSERT INTO order_totals SELECT DISTINCT id, q FROM orders;",
        "INSERT INTO order_totals SELECT 'all', COUNT(*) FROM orders;",
        "CREATE VIEW sums AS SELECT id, SUM(q) AS q FROM orders GROUP BY id;\n\
         CREATE VIEW over_sums AS SELECT * FROM sums;\n\
         INSERT INTO order_totals SELECT id, q FROM over_sums;",
    ];
    for dml in updating {
        let run = testing::run::<FlinkSql>(&with_sql(&format!("{TWO_TABLES}{dml}\n")), "").unwrap();
        assert!(run.errors().is_empty(), "{dml}: {:#?}", run.diagnostics);
        let w = warnings(&run);
        assert_eq!(w.len(), 1, "{dml}: {w:#?}");
        assert!(w[0].contains("it writes an updating result"), "{w:#?}");
    }
    let appending = [
        "INSERT INTO order_totals SELECT id, q FROM orders WHERE q > 1;",
        "INSERT INTO order_totals SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, \
         DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start, window_end;",
        "INSERT INTO order_totals SELECT id, SUM(q) OVER (PARTITION BY id ORDER BY ts) FROM orders;",
    ];
    for dml in appending {
        let run = testing::run::<FlinkSql>(&with_sql(&format!("{TWO_TABLES}{dml}\n")), "").unwrap();
        assert!(run.errors().is_empty(), "{dml}: {:#?}", run.diagnostics);
        assert!(warnings(&run).is_empty(), "{dml}: {:#?}", warnings(&run));
    }
}

/// A third table, read with updates (`'changelog.mode' = 'upsert'`), and a fourth with a
/// processing-time column.
const UPSERT_AND_PROCTIME: &str = "CREATE TABLE latest (id STRING NOT NULL, q INT, \
    PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kafka', 'properties.bootstrap.servers' \
    = 'k:9092', 'format' = 'raw', 'avro-confluent.url' = 'http://sr:8081', \
    'changelog.mode' = 'upsert');\n\
    CREATE TABLE clicks (id STRING, q INT, p AS PROCTIME()) WITH ('connector' = 'kafka', \
    'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
    'avro-confluent.url' = 'http://sr:8081');\n";

#[test]
fn outer_joins_ranks_and_tables_with_updates_update_too() {
    let updating = [
        "INSERT INTO order_totals SELECT o.id, t.q FROM orders AS o LEFT JOIN latest AS t ON o.id = t.id;",
        "INSERT INTO order_totals SELECT o.id, t.q FROM orders AS o FULL OUTER JOIN clicks AS t ON o.id = t.id;",
        "INSERT INTO order_totals SELECT o.id, t.q FROM clicks AS t RIGHT JOIN orders AS o USING (id);",
        // Deduplication keeping the last row, or the first by event time; Top-N.
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER \
         (PARTITION BY id ORDER BY ts DESC) AS rn FROM orders) WHERE rn = 1;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER \
         (PARTITION BY id ORDER BY ts) AS rn FROM orders) WHERE rn = 1;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, RANK() OVER \
         (PARTITION BY id ORDER BY q DESC) AS rn FROM orders) WHERE rn <= 3;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER \
         (PARTITION BY id ORDER BY p DESC) AS rn FROM clicks) WHERE rn = 1;",
        // The same through a named window, or one refining it.
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER w AS rn \
         FROM orders WINDOW w AS (PARTITION BY id ORDER BY ts DESC)) WHERE rn = 1;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER (w ORDER \
         BY q DESC) AS rn FROM orders WINDOW w AS (PARTITION BY id)) WHERE rn <= 3;",
        // A table whose changelog carries updates, directly or through a view.
        "INSERT INTO order_totals SELECT id, q FROM latest;",
        "CREATE VIEW v AS SELECT id, q FROM latest WHERE q > 0;\n\
         INSERT INTO order_totals SELECT id, q FROM v;",
    ];
    for dml in updating {
        let sql = format!("{TWO_TABLES}{UPSERT_AND_PROCTIME}{dml}\n");
        let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
        assert!(run.errors().is_empty(), "{dml}: {:#?}", run.diagnostics);
        let w = warnings(&run);
        assert_eq!(w.len(), 1, "{dml}: {w:#?}");
        assert!(w[0].contains("it writes an updating result"), "{w:#?}");
        assert!(
            w[0].contains("an outer join, a Top-N or deduplication"),
            "{w:#?}"
        );
    }
    let appending = [
        // Inner joins of appending tables; a temporal join of a table with updates.
        "INSERT INTO order_totals SELECT o.id, t.q FROM orders AS o JOIN clicks AS t ON o.id = t.id;",
        "INSERT INTO order_totals SELECT o.id, l.q FROM orders AS o LEFT JOIN latest FOR \
         SYSTEM_TIME AS OF o.ts AS l ON o.id = l.id;",
        // An interval join, a window join.
        "INSERT INTO order_totals SELECT o.id, t.q FROM orders AS o LEFT JOIN orders AS t \
         ON o.id = t.id AND o.ts BETWEEN t.ts - INTERVAL '1' HOUR AND t.ts;",
        "INSERT INTO order_totals SELECT l.id, r.q FROM (SELECT * FROM TABLE(TUMBLE(TABLE orders, \
         DESCRIPTOR(ts), INTERVAL '1' MINUTES))) AS l LEFT JOIN (SELECT * FROM \
         TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTES))) AS r ON l.id = r.id \
         AND l.window_start = r.window_start AND l.window_end = r.window_end;",
        // Keeping the first row by processing time; a Top-N within a window.
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER \
         (PARTITION BY id ORDER BY p ASC) AS rn FROM clicks) WHERE rn = 1;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER \
         (PARTITION BY window_start, window_end ORDER BY q DESC) AS rn FROM \
         TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTES))) WHERE rn <= 3;",
        "INSERT INTO order_totals SELECT id, q FROM (SELECT id, q, ROW_NUMBER() OVER w AS rn \
         FROM clicks WINDOW w AS (PARTITION BY id ORDER BY p)) WHERE rn = 1;",
    ];
    for dml in appending {
        let sql = format!("{TWO_TABLES}{UPSERT_AND_PROCTIME}{dml}\n");
        let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
        assert!(run.errors().is_empty(), "{dml}: {:#?}", run.diagnostics);
        assert!(warnings(&run).is_empty(), "{dml}: {:#?}", warnings(&run));
    }
}

#[test]
fn statements_and_view_chains_are_bounded() {
    let mut views = String::from(TWO_TABLES);
    views.push_str("CREATE VIEW v0 AS SELECT id FROM orders;\n");
    for i in 1..=70 {
        views.push_str(&format!("CREATE VIEW v{i} AS SELECT id FROM v{};\n", i - 1));
    }
    let m = refuse_with(with_sql(&views));
    assert!(m.contains("reads views more than 64 deep"), "{m}");
    let mut many = String::from(TWO_TABLES);
    for i in 0..1001 {
        many.push_str(&format!("CREATE VIEW v{i} AS SELECT id FROM orders;\n"));
    }
    let m = refuse_with(with_sql(&many));
    assert!(
        m.starts_with("sql/x.sql:1001:1: more than 1000 statements"),
        "{m}"
    );
    // Across files too, before the next file is parsed.
    let mut half = String::new();
    for i in 0..600 {
        half.push_str(&format!("CREATE VIEW w{i} AS SELECT id FROM orders;\n"));
    }
    let ctx =
        with_sql(&format!("{TWO_TABLES}{half}")).with_file("sql/y.sql", &half.replace("w", "z"));
    let m = refuse_with(ctx);
    assert!(m.contains("more than 1000 statements"), "{m}");
}

#[test]
fn comments_end_where_flinks_lexer_ends_them() {
    // Calcite's block comments do not nest: Flink runs `AND id <> 'test'` here.
    let sql = format!(
        "{TWO_TABLES}INSERT INTO order_totals SELECT id, q FROM orders\n\
         WHERE q > 0 /* filter: /* was: */ AND id <> 'test' -- */\n;\n"
    );
    let run = testing::run::<FlinkSql>(&with_sql(&sql), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let insert = run.all("FlinkStatement")[2]
        .peek(&["spec", "statement"])
        .unwrap();
    assert_eq!(
        insert,
        json!("INSERT INTO `order-totals` SELECT id, q FROM orders WHERE q > 0 AND id <> 'test'")
    );
}

#[test]
fn a_view_reading_itself_is_refused() {
    let m = refuse_with(with_sql(&format!(
        "{TWO_TABLES}CREATE VIEW a AS SELECT id FROM a;\n"
    )));
    assert!(m.contains("`view-a` reads the view it creates"), "{m}");
}

#[test]
fn what_flinks_lexer_reads_otherwise_is_refused() {
    for (sql, place, needle) in [
        // Flink: `//` starts a comment; here it would divide, and once printed on one line the
        // rest of the statement would be a comment to Flink.
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders WHERE q > 0 // 1\n  AND q < 9;"
            ),
            "sql/x.sql:3:61",
            "`//` starts a comment in Flink",
        ),
        // Flink ends a `--` comment at a lone CR.
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT id, ts, q FROM orders WHERE q > 0 -- n\rAND q < 9\n;"
            ),
            "sql/x.sql:3:65",
            "a carriage return that is not followed by a line feed",
        ),
        // A kept hint is copied into the statement: no control or invisible character in it.
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT /*+ STATE_TTL('o' = '1d') \u{1b}[2J */ id, ts, q FROM orders AS o;"
            ),
            "sql/x.sql:3:27",
            "the hint holds the character U+001B",
        ),
        (
            format!(
                "{TWO_TABLES}INSERT INTO orders SELECT /*+ STATE_TTL('o' = '1d') \u{202e} */ id, ts, q FROM orders AS o;"
            ),
            "sql/x.sql:3:27",
            "U+202E",
        ),
    ] {
        let m = refuse_with(with_sql(&sql));
        assert!(m.starts_with(place), "{sql:.300}\n{m}");
        assert!(m.contains(needle), "{m}");
    }
    // CRLF line ends are line ends.
    let crlf = format!("{TWO_TABLES}INSERT INTO orders SELECT id, ts, q -- n\r\nFROM orders;\r\n");
    let run = testing::run::<FlinkSql>(&with_sql(&crlf), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
}

#[test]
fn a_table_on_another_cluster_is_named_by_its_catalog_and_database() {
    let sql = "CREATE TABLE t1 (v STRING) WITH ('connector' = 'kafka', 'topic' = 't1', \
        'properties.bootstrap.servers' = 'kafka:9092', 'format' = 'raw', \
        'avro-confluent.url' = 'http://sra:8081');\n\
        CREATE TABLE t2 (v STRING) WITH ('connector' = 'kafka', 'topic' = 't2', \
        'properties.bootstrap.servers' = 'kafkab:9092', 'format' = 'raw', \
        'avro-confluent.url' = 'http://srb:8081');\n\
        INSERT INTO t1 SELECT v FROM t2;\n";
    let run = testing::run::<FlinkSql>(&with_sql(sql), "").unwrap();
    assert!(run.errors().is_empty(), "{:#?}", run.diagnostics);
    let insert = run
        .all("FlinkStatement")
        .into_iter()
        .find(|s| s.annotation("flinkwasm.io/statement-key") == Some("insert-t1"))
        .expect("the INSERT");
    let catalog = run.all("FlinkKafkaCatalog")[1].name().to_string();
    let database = run.all("FlinkKafkaDatabase")[1].name().to_string();
    assert!(catalog.starts_with("srb-") && database.starts_with("kafkab-"));
    assert_eq!(
        insert.peek(&["spec", "statement"]),
        Some(json!(format!(
            "INSERT INTO t1 SELECT v FROM `{catalog}`.`{database}`.t2"
        )))
    );
    // Its home is t1's.
    assert!(
        insert
            .peek(&["spec", "properties", "sql.current-catalog"])
            .is_some_and(|c| c.as_str().is_some_and(|c| c.starts_with("sra-")))
    );
    // A view over both clusters has no one home.
    let view = sql.replace(
        "INSERT INTO t1 SELECT v FROM t2;",
        "CREATE VIEW merged AS SELECT v FROM t1 UNION ALL SELECT v FROM t2;",
    );
    let m = refuse_with(with_sql(&view));
    assert!(
        m.contains("its tables live on different Kafka clusters"),
        "{m}"
    );
}

#[test]
fn computed_columns_and_watermarks_are_held_to_flinks_expressions() {
    for (column, needle) in [
        ("c AS q <=> 1", "sql/x.sql:1:"),
        ("WATERMARK FOR ts AS ts AT TIME ZONE 'UTC'", "sql/x.sql:1:"),
    ] {
        let sql = format!(
            "CREATE TABLE t (q INT, ts TIMESTAMP(3), {column}) WITH ('connector' = 'kafka', \
             'topic' = 't', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'raw', \
             'avro-confluent.url' = 'http://sr:8081');\n"
        );
        let m = refuse_with(with_sql(&sql));
        assert!(
            m.starts_with(needle) && m.contains("Flink"),
            "{column}: {m}"
        );
    }
}
