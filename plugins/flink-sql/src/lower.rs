//! The run: granted `.sql` files parsed, tables made catalog tables, their connections
//! grouped into catalogs (one per Schema Registry) and databases (one per Kafka cluster),
//! statements named from their content and ordered DDL before DML; then [`crate::emit`].

use crate::config::Config;
use crate::parse::{self, Parsed, Place};
use crate::tables::{self, Connections};
use crate::updating::Changelogs;
use flinkwasm_sdk::prelude::*;
use sha2::{Digest as _, Sha256};
use sqlparser::ast::{
    Expr, Ident, ObjectNamePart, OptimizerHint, Query, Select, Statement, TableFactor,
    TableVersion, Visit, VisitMut, Visitor, VisitorMut, visit_relations, visit_relations_mut,
};
use sqlparser::tokenizer::{Token, Tokenizer};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

/// Whether a statement defines (DDL) or moves data (DML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// `CREATE TABLE`, `CREATE VIEW`: run first, once.
    Ddl,
    /// `INSERT INTO`: runs continuously, after every DDL.
    Dml,
}

/// One statement as it will run.
#[derive(Debug)]
pub struct Planned {
    /// Where the user wrote it.
    pub place: Place,
    /// DDL or DML.
    pub phase: Phase,
    /// Its stable key (`insert-order-totals`): the name without the content hash.
    pub key: String,
    /// Its FlinkStatement name: the key and a hash of the text.
    pub name: String,
    /// The statement's text as it will run.
    pub text: String,
    /// The catalog and database it runs in (indexes into [`Plan`]'s lists).
    pub home: Option<(usize, usize)>,
    /// Its sync wave after the first DDL wave: tables 0, a view one more than the deepest
    /// view it reads, DML one more than every view ([`order`]).
    pub wave: i32,
    /// The view it creates, by name.
    view: Option<String>,
    /// The tables and views it reads, by name alone.
    reads: Vec<String>,
}

/// A Schema Registry: one FlinkKafkaCatalog.
#[derive(Debug)]
pub struct Catalog {
    /// Its name.
    pub name: String,
    /// Its `connectionConfig`.
    pub config: BTreeMap<String, String>,
}

/// A Kafka cluster under a catalog: one FlinkKafkaDatabase.
#[derive(Debug)]
pub struct Database {
    /// Its name.
    pub name: String,
    /// Its catalog (index).
    pub catalog: usize,
    /// Its `connectionConfig`.
    pub config: BTreeMap<String, String>,
}

/// Everything the SQL becomes.
#[derive(Debug, Default)]
pub struct Plan {
    /// Catalogs, in first-use order.
    pub catalogs: Vec<Catalog>,
    /// Databases, in first-use order.
    pub databases: Vec<Database>,
    /// Statements: DDL first, then DML, each in file and line order.
    pub statements: Vec<Planned>,
    /// Notes for the user (moves and renames).
    pub notes: Vec<String>,
    /// What renders but will not run as written (an updating result into an append-only
    /// table).
    pub warnings: Vec<String>,
}

/// The SQL files granted to the plugin, parsed and planned; errors are every refusal found.
pub fn plan(ctx: &Context, cfg: &Config) -> Result<Plan, Vec<String>> {
    let mut errors = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    for (at, c) in [
        ("kafka", &cfg.kafka),
        ("schemaRegistry", &cfg.schema_registry),
    ] {
        for k in c
            .connection_config
            .keys()
            .filter(|k| crate::options::is_secret(k))
        {
            errors.push(format!(
                "config.{at}.connectionConfig.{k}: a credential: put it in the Secret named by \
                 {at}.secretRef"
            ));
        }
    }
    let pairing = cfg.stack.pairing();
    for (path, text) in &ctx.files {
        if !path.ends_with(".sql") {
            errors.push(format!(
                "{path}: granted to flink-sql but not a `.sql` file: grant only SQL files"
            ));
            continue;
        }
        if !pairing.has_flink_sql() {
            errors.push(format!("{path}:1:1: {}", pairing.flink_sql_refusal()));
            continue;
        }
        let left = parse::MAX_STATEMENTS.saturating_sub(parsed.len());
        match parse::parse_at_most(path, text, left) {
            // A file granted to run SQL that holds none is a mistake (a file emptied by
            // accident would otherwise prune its statements).
            Ok(p) if p.is_empty() => errors.push(format!(
                "{path}:1:1: no SQL statement in it: grant files that hold SQL"
            )),
            Ok(p) => parsed.extend(p),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() && ctx.files.is_empty() {
        errors.push(
            "files: no file granted: grant the plugin `.sql` files (`files:` in the pipeline)"
                .into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut plan = Plan::default();
    // Tables first: their connections, their topics.
    let mut homes: BTreeMap<String, Connections> = BTreeMap::new();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    // Where each table is created: its errors name the place (the host then blames the file).
    let mut created_at: BTreeMap<String, String> = BTreeMap::new();
    let mut phases = Vec::new();
    // Tables whose changelog is append-only (no `'changelog.mode'` of updates).
    let mut append_only: BTreeSet<String> = BTreeSet::new();
    let mut updating_tables: BTreeSet<String> = BTreeSet::new();
    for p in &mut parsed {
        let what = describe(&p.statement);
        match &mut p.statement {
            Statement::CreateTable(t) => {
                let name = tables::table_name(&t.name);
                let lowered = tables::lower(t, &p.place);
                errors.extend(lowered.errors);
                plan.notes.extend(lowered.notes);
                let final_name = lowered.topic.clone().unwrap_or_else(|| name.clone());
                if let Some(why) = bad_topic(&final_name) {
                    errors.push(format!(
                        "{}: CREATE TABLE {name}: the topic `{final_name}` {why}",
                        p.place
                    ));
                }
                if homes.contains_key(&final_name) {
                    errors.push(format!(
                        "{}: CREATE TABLE {name}: a second table on topic `{final_name}`",
                        p.place
                    ));
                }
                if crate::updating::takes_updates(t) {
                    updating_tables.insert(final_name.clone());
                } else {
                    append_only.insert(final_name.clone());
                }
                homes.insert(final_name.clone(), lowered.connections);
                created_at.insert(final_name.clone(), p.place.to_string());
                if final_name != name {
                    renames.insert(name, final_name);
                }
                // CREATE TABLE ... AS SELECT creates the table and then runs a job filling
                // it, for as long as an INSERT would: it is DML (after every table and view,
                // checkpointed, stoppable).
                phases.push(if t.query.is_some() {
                    Phase::Dml
                } else {
                    Phase::Ddl
                });
            }
            Statement::CreateView(_) => phases.push(Phase::Ddl),
            Statement::Insert(i) if i.overwrite => {
                errors.push(format!(
                    "{}: INSERT OVERWRITE: a Kafka topic is appended to, never overwritten: \
                     write INSERT INTO",
                    p.place
                ));
                phases.push(Phase::Dml);
            }
            Statement::Insert(_) => phases.push(Phase::Dml),
            _ => {
                errors.push(format!(
                    "{}: {what} is not a statement to run from Git: write CREATE TABLE, \
                     CREATE VIEW or INSERT INTO",
                    p.place
                ));
                phases.push(Phase::Dml);
            }
        }
    }
    // A view shares its catalog and database with the tables: a view named as a table, or as
    // the topic a table is renamed to, would be one name for two objects once renamed.
    for p in &parsed {
        if let Statement::CreateView(v) = &p.statement {
            let view = tables::table_name(&v.name);
            if let Some(table) = renames.get(&view) {
                errors.push(format!(
                    "{}: CREATE VIEW {view}: a table of this SQL is named `{view}` (and renamed \
                     to its topic `{table}`); name the view otherwise",
                    p.place
                ));
            } else if homes.contains_key(&view) {
                let owner = renames
                    .iter()
                    .find(|(_, to)| **to == view)
                    .map(|(from, _)| format!("the table `{from}`, whose topic is `{view}`,"))
                    .unwrap_or_else(|| format!("the table `{view}`"));
                errors.push(format!(
                    "{}: CREATE VIEW {view}: {owner} has that name in the catalog (a table is \
                     named by its topic); name the view otherwise",
                    p.place
                ));
            }
        }
    }
    // Statements that name a renamed table follow it, where the rename can be made safely.
    for p in &parsed {
        for why in unsafe_renames(&p.statement, &renames) {
            errors.push(format!("{}: {}: {why}", p.place, describe(&p.statement)));
        }
        if let Some(why) = hint_names_renamed(&p.statement, &renames) {
            errors.push(format!("{}: {}: {why}", p.place, describe(&p.statement)));
        }
    }
    for p in &mut parsed {
        // Only a name alone is one of this SQL's tables: `other.a` is a table elsewhere.
        let _ = visit_relations_mut(&mut p.statement, |name| {
            if let [only] = name.0.as_mut_slice()
                && let Some(ident) = only.as_ident()
                && let Some(to) = renames.get(&ident.value)
            {
                *only = ObjectNamePart::Identifier(Ident::with_quote('`', to.clone()));
            }
            ControlFlow::<()>::Continue(())
        });
        // Window functions' table arguments (`TUMBLE(TABLE orders, ...)`) follow too.
        crate::dialect::rename_table_arguments(&mut p.statement, |last| {
            if let Some(to) = renames.get(&last.value) {
                *last = Ident::with_quote('`', to.clone());
            }
        });
    }
    let changelogs = Changelogs::of(&parsed, updating_tables);
    // Catalogs and databases, in first-use order; each table's home.
    let mut table_home: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (table, conn) in &homes {
        match home(&mut plan, cfg, conn) {
            Ok(h) => {
                table_home.insert(table.clone(), h);
            }
            Err(e) => errors.push(match created_at.get(table) {
                Some(place) => format!("{place}: table `{table}`: {e}"),
                None => format!("table `{table}`: {e}"),
            }),
        }
    }
    // Where each key was first seen: a key is what a statement writes (verb and table), never
    // its position, so that editing one statement renames no other (and `stopped` stays on
    // the statement it names).
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (mut p, phase) in parsed.into_iter().zip(phases) {
        let mut named = Vec::new();
        let _ = visit_relations(&p.statement, |name| {
            if let [only] = name.0.as_slice()
                && let Some(ident) = only.as_ident()
            {
                named.push(ident.value.clone());
            }
            ControlFlow::<()>::Continue(())
        });
        named.extend(crate::dialect::table_arguments(&p.statement));
        let target = target(&p.statement).unwrap_or_default();
        let home = table_home.get(&target).copied().or_else(|| {
            let homes: BTreeSet<_> = named.iter().filter_map(|n| table_home.get(n)).collect();
            match (homes.len(), plan.databases.len()) {
                (1, _) => homes.into_iter().next().copied(),
                (0, 1) => Some((plan.databases[0].catalog, 0)),
                _ => None,
            }
        });
        match home {
            None => {
                let homes: BTreeSet<_> = named.iter().filter_map(|n| table_home.get(n)).collect();
                let why = if homes.len() > 1 {
                    "its tables live on different Kafka clusters or Schema Registries, and a \
                     view is created in one catalog and database: write one view per cluster"
                } else {
                    "none of its tables is created by the SQL granted, and there is not \
                     exactly one Kafka cluster"
                };
                errors.push(format!(
                    "{}: {}: no catalog and database for it: {why}",
                    p.place,
                    describe(&p.statement)
                ));
            }
            Some(h) => {
                if let Err(why) = qualify_elsewhere(&mut p.statement, h, &table_home, &plan) {
                    errors.push(format!("{}: {}: {why}", p.place, describe(&p.statement)));
                    continue;
                }
            }
        }
        let source = match &p.statement {
            Statement::Insert(i) => i.source.as_deref(),
            Statement::CreateTable(t) => t.query.as_deref(),
            _ => None,
        };
        if append_only.contains(&target) && source.is_some_and(|q| changelogs.updates(q)) {
            plan.warnings.push(format!(
                "{}: {}: it writes an updating result (an aggregation without a window, \
                 DISTINCT, an outer join, a Top-N or deduplication, or a table with updates, \
                 here or in a view it reads) into `{target}`, an append-only table, \
                 which Flink refuses when the statement runs: declare `{target}` with PRIMARY \
                 KEY (...) NOT ENFORCED on NOT NULL columns and 'changelog.mode' = 'upsert'",
                p.place,
                describe(&p.statement)
            ));
        }
        let verb = match &p.statement {
            Statement::CreateTable(_) => "create",
            Statement::CreateView(_) => "view",
            _ => "insert",
        };
        // A name with nothing DNS can hold (`日本`) keys by the verb alone.
        let key = match slug(&target) {
            t if t.is_empty() => verb.to_string(),
            t => format!("{verb}-{t}"),
        };
        if let Some(first) = keys.get(&key) {
            errors.push(format!(
                "{}: {}: its key `{key}` is also the key of the statement at {first}: a \
                 statement is keyed by what it writes, so that its name survives edits \
                 elsewhere; write both into one statement (UNION ALL), or name the tables \
                 apart",
                p.place,
                describe(&p.statement)
            ));
            continue;
        }
        keys.insert(key.clone(), p.place.to_string());
        let text = flink_text(&p.statement);
        if text.len() > MAX_STATEMENT {
            errors.push(format!(
                "{}: {}: the statement is {} bytes; a FlinkStatement holds at most {MAX_STATEMENT} \
                 (the API server stores objects of about 1.5 MiB): split it, or move shared \
                 parts into views",
                p.place,
                describe(&p.statement),
                text.len()
            ));
            continue;
        }
        // What the statement runs as: its text, and where it resolves its names and runs.
        // A change to any of them is a new statement (`spec` is immutable once running).
        let (catalog, database) = home
            .map(|(c, d)| {
                (
                    plan.catalogs[c].name.as_str(),
                    plan.databases[d].name.as_str(),
                )
            })
            .unwrap_or_default();
        let pool = cfg.compute_pool.name.as_deref().unwrap_or("default-pool");
        let name = format!(
            "{key}-{}",
            hash(&format!("{text}\n{catalog}\n{database}\n{pool}"))
        );
        plan.statements.push(Planned {
            place: p.place,
            phase,
            key,
            name,
            text,
            home,
            wave: 0,
            view: matches!(p.statement, Statement::CreateView(_)).then(|| target.clone()),
            reads: named,
        });
    }
    if let Err(e) = order(&mut plan.statements) {
        errors.push(e);
    }
    plan.statements.sort_by_key(|s| (s.phase, s.wave));
    for (i, stop) in cfg.statements.stopped.iter().enumerate() {
        match plan.statements.iter().find(|s| &s.key == stop) {
            Some(s) if s.phase == Phase::Dml => {}
            Some(s) => errors.push(format!(
                "config.statements.stopped[{i}]: `{stop}` ({}) is DDL, which runs once; only DML \
                 (INSERT INTO) can be stopped",
                s.place
            )),
            None => errors.push(format!(
                "config.statements.stopped[{i}]: no statement `{stop}`; the statements are {}",
                plan.statements
                    .iter()
                    .map(|s| format!("`{}`", s.key))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// The catalog and database of a table's connections, made on first use. Each is named from
/// what it connects to (the Schema Registry's URL; the catalog's and the Kafka cluster's
/// bootstrap servers), never from the order tables come in: adding a file renames nothing.
fn home(plan: &mut Plan, cfg: &Config, conn: &Connections) -> Result<(usize, usize), String> {
    let Some(url) = conn.registry.get("schema.registry.url") else {
        return Err("no Schema Registry ('avro-confluent.url')".into());
    };
    let Some(servers) = conn.kafka.get("bootstrap.servers") else {
        return Err("no Kafka cluster ('properties.bootstrap.servers')".into());
    };
    let url_id = url.trim().trim_end_matches('/').to_ascii_lowercase();
    let servers_id = server_set(servers);
    let mut catalog_config = conn.registry.clone();
    merge(
        &mut catalog_config,
        &cfg.schema_registry.connection_config,
        "schemaRegistry",
    )?;
    let mut database_config = conn.kafka.clone();
    // One cluster however its servers are listed.
    database_config.insert("bootstrap.servers".into(), servers_id.clone());
    merge(&mut database_config, &cfg.kafka.connection_config, "kafka")?;
    let catalog_name = format!("{}-{}", host_label(url), hash(&url_id));
    let catalog = match plan.catalogs.iter().position(|c| c.name == catalog_name) {
        Some(i) if plan.catalogs[i].config != catalog_config => {
            return Err(format!(
                "its Schema Registry ({catalog_name}) is named by another table with other \
                 settings ({}); give every table on one Schema Registry the same options",
                differing(&plan.catalogs[i].config, &catalog_config)
            ));
        }
        Some(i) => i,
        None => {
            plan.catalogs.push(Catalog {
                name: catalog_name,
                config: catalog_config,
            });
            plan.catalogs.len() - 1
        }
    };
    let database_name = format!(
        "{}-{}",
        host_label(&servers_id),
        hash(&format!("{url_id}\n{servers_id}"))
    );
    let database = match plan.databases.iter().position(|d| d.name == database_name) {
        Some(i) if plan.databases[i].config != database_config => {
            return Err(format!(
                "its Kafka cluster ({database_name}) is named by another table with other \
                 settings ({}); give every table on one Kafka cluster the same options",
                differing(&plan.databases[i].config, &database_config)
            ));
        }
        Some(i) => i,
        None => {
            plan.databases.push(Database {
                name: database_name,
                catalog,
                config: database_config,
            });
            plan.databases.len() - 1
        }
    };
    Ok((catalog, database))
}

/// A bootstrap server list as a set: trimmed, lower-cased, sorted, each once.
fn server_set(servers: &str) -> String {
    let set: BTreeSet<String> = servers
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// The keys two connection configs set differently (never their values: they may be URLs
/// with more in them than a message should repeat).
fn differing(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why `topic` is not a name Kafka takes for a topic, if it is not: ASCII letters, digits,
/// `.`, `_` and `-`, at most 249, not `.` or `..`. (This also keeps look-alike names, with
/// accents or invisible characters, from being two tables.)
fn bad_topic(topic: &str) -> Option<&'static str> {
    if topic.is_empty() || topic.len() > 249 {
        return Some("is not 1 to 249 characters long, as Kafka topic names are");
    }
    if topic == "." || topic == ".." {
        return Some("is not a name Kafka takes for a topic");
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Some(
            "has a character Kafka does not take in a topic name (ASCII letters, digits, \
             `.`, `_` and `-` only)",
        );
    }
    None
}

/// Adds the config's non-secret client properties; one the SQL set differently is an error.
fn merge(
    into: &mut BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), String> {
    for (k, v) in extra {
        match into.get(k) {
            Some(have) if have != v => {
                return Err(format!(
                    "the SQL sets '{k}' to one value and config {at}.connectionConfig.{k} to \
                     another (values not repeated); set it in one place"
                ));
            }
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// The first DNS label of the host in a URL or `host:port[,host:port]` list, as a name.
fn host_label(address: &str) -> String {
    let first = address.split(',').next().unwrap_or_default();
    let host = first.split("://").last().unwrap_or_default();
    let label = host.split(['.', ':', '/']).next().unwrap_or_default();
    let s = slug(label);
    if s.is_empty() { "kafka".into() } else { s }
}

/// Lower-case letters, digits and single dashes, at most 40 characters.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(40);
    out.trim_end_matches('-').to_string()
}

/// The first 10 hex digits of the text's sha256.
fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Names each table the statement reads from another catalog or database than `home` (where
/// it runs) by its catalog and database: `` `srb-...`.`kafkab-...`.t2 ``. The SQL named it
/// alone, as one default catalog would hold it; here each cluster is its own database.
fn qualify_elsewhere(
    statement: &mut Statement,
    home: (usize, usize),
    table_home: &BTreeMap<String, (usize, usize)>,
    plan: &Plan,
) -> Result<(), String> {
    let elsewhere = |name: &str| table_home.get(name).filter(|h| **h != home).copied();
    if let Some(t) = crate::dialect::table_arguments(statement)
        .into_iter()
        .find(|t| elsewhere(t).is_some())
    {
        return Err(format!(
            "`TABLE {t}`: the table lives on another Kafka cluster or Schema Registry than the \
             statement runs in, and a table argument is a name alone; read it through a view \
             on its own cluster"
        ));
    }
    let _ = visit_relations_mut(statement, |name| {
        if let [only] = name.0.as_slice()
            && let Some(ident) = only.as_ident()
            && let Some((c, d)) = elsewhere(&ident.value)
        {
            let part = |n: &str| ObjectNamePart::Identifier(Ident::with_quote('`', n));
            *name = sqlparser::ast::ObjectName(vec![
                part(&plan.catalogs[c].name),
                part(&plan.databases[d].name),
                only.clone(),
            ]);
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(())
}

/// The table a statement creates or writes.
fn target(s: &Statement) -> Option<String> {
    match s {
        Statement::CreateTable(t) => Some(tables::table_name(&t.name)),
        Statement::CreateView(v) => Some(tables::table_name(&v.name)),
        // A qualified target is a table elsewhere: its home comes from the tables it reads.
        Statement::Insert(i) => match &i.table {
            sqlparser::ast::TableObject::TableName(n) if n.0.len() == 1 => {
                Some(tables::table_name(n))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Gives each statement its wave (see [`Planned::wave`]). A view waits for the views it
/// reads: CMF validates a view against what exists when it runs, and Argo CD applies a wave's
/// objects together. Longest paths by Kahn's algorithm (no recursion: views may chain
/// thousands deep); a cycle is an error naming a view in it.
fn order(statements: &mut [Planned]) -> Result<(), String> {
    let views: BTreeMap<&str, usize> = statements
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.view.as_deref().map(|n| (n, i)))
        .collect();
    // Edges: a view read -> the statements reading it.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); statements.len()];
    let mut waiting = vec![0usize; statements.len()];
    for (i, s) in statements.iter().enumerate() {
        let read: BTreeSet<usize> = s
            .reads
            .iter()
            .filter_map(|r| views.get(r.as_str()).copied())
            .filter(|&v| v != i)
            .collect();
        // Its own name is read once, as the name it creates; a second time it reads itself.
        if let Some(view) = &s.view
            && s.reads.iter().filter(|r| *r == view).count() > 1
        {
            return Err(format!(
                "{}: `{}` reads the view it creates",
                s.place, s.key
            ));
        }
        waiting[i] = read.len();
        for v in read {
            readers[v].push(i);
        }
    }
    // Tables wave 0, views at least 1, readers one past what they read.
    let mut wave: Vec<i32> = statements
        .iter()
        .map(|s| i32::from(s.view.is_some()))
        .collect();
    let mut ready: Vec<usize> = (0..statements.len()).filter(|&i| waiting[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        let next = wave[i].saturating_add(1);
        for &r in &readers[i] {
            wave[r] = wave[r].max(next);
            waiting[r] -= 1;
            if waiting[r] == 0 {
                ready.push(r);
            }
        }
    }
    if done < statements.len() {
        let stuck = waiting.iter().position(|&w| w > 0).unwrap_or(0);
        return Err(format!(
            "{}: `{}` is in a cycle of views reading each other",
            statements[stuck].place, statements[stuck].key
        ));
    }
    if let Some((&name, &v)) = views.iter().find(|(_, v)| wave[**v] > MAX_VIEW_DEPTH) {
        return Err(format!(
            "{}: the view `{name}` reads views more than {MAX_VIEW_DEPTH} deep; each level is a sync wave \
             Argo CD waits through: read the tables in fewer steps (a CTE in one view)",
            statements[v].place
        ));
    }
    let dml = views
        .values()
        .map(|&v| wave[v])
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    for (s, w) in statements.iter_mut().zip(wave) {
        s.wave = match s.phase {
            Phase::Ddl => w,
            Phase::Dml => dml,
        };
    }
    Ok(())
}

/// How deep views may read views: each level is an Argo CD sync wave, health-gated in turn.
const MAX_VIEW_DEPTH: i32 = 64;

/// How long a statement's text may be: a FlinkStatement is one Kubernetes object, which the
/// API server stores up to about 1.5 MiB with everything else it holds.
const MAX_STATEMENT: usize = 512 * 1024;

/// The statement's text as Flink reads it. sqlparser prints a temporal join's alias before
/// `FOR SYSTEM_TIME AS OF` (`orders AS o FOR SYSTEM_TIME AS OF t`), which Flink refuses;
/// Flink's order is `orders FOR SYSTEM_TIME AS OF t AS o`.
fn flink_text(statement: &Statement) -> String {
    struct Reorder;
    impl VisitorMut for Reorder {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                alias,
                version: Some(TableVersion::ForSystemTimeAsOf(at)),
                ..
            } = factor
                && let Some(a) = alias.take()
            {
                // Printed as written: the expression, then the alias (a word the parser made).
                *at = Expr::Identifier(Ident::new(format!("{at} {a}")));
            }
            ControlFlow::Continue(())
        }
    }
    let mut statement = statement.clone();
    let _ = VisitMut::visit(&mut statement, &mut Reorder);
    statement.to_string()
}

/// Why a hint (`/*+ ... */`) would name a table by a name it no longer has, if one does: the
/// table is renamed to its topic, and the hint's text is not SQL the rename can follow.
fn hint_names_renamed(statement: &Statement, renames: &BTreeMap<String, String>) -> Option<String> {
    struct Hints<'r> {
        renames: &'r BTreeMap<String, String>,
        found: Option<String>,
    }
    impl Hints<'_> {
        fn check(&mut self, hints: &[OptimizerHint]) -> ControlFlow<()> {
            let dialect = crate::dialect::FlinkDialect::default();
            for hint in hints {
                let Ok(tokens) = Tokenizer::new(&dialect, &hint.text).tokenize() else {
                    continue;
                };
                for t in tokens {
                    let name = match &t {
                        Token::Word(w) => &w.value,
                        Token::SingleQuotedString(s) => s,
                        _ => continue,
                    };
                    if let Some(topic) = self.renames.get(name) {
                        self.found = Some(format!(
                            "the hint `{}` names `{name}`, which this SQL renames to its topic \
                             `{topic}`; name the table `{topic}` in its CREATE TABLE, or leave \
                             the hint out",
                            hint.text.trim()
                        ));
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    impl Visitor for Hints<'_> {
        type Break = ();
        fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
            self.check(&select.optimizer_hints)
        }
        fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
            match statement {
                Statement::Insert(i) => self.check(&i.optimizer_hints),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    if renames.is_empty() {
        return None;
    }
    let mut hints = Hints {
        renames,
        found: None,
    };
    let _ = statement.visit(&mut hints);
    hints.found
}

/// A statement's first words, for messages.
fn describe(s: &Statement) -> String {
    let text = s.to_string();
    // Up to the first string literal: an error never shows one (`VALUES ('…')`,
    // `SET 'k' = '…'`).
    let words: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| !w.contains(['\'', '"']))
        .take(3)
        .collect();
    words.join(" ")
}

/// Why renaming tables to their topics (`renames`) in `statement` would change what it means,
/// if it would: a CTE named as a renamed table (its references would be taken for the table's),
/// a CTE or an alias named as the topic a table is renamed to (the table's references would
/// be taken for it), and a column qualified by a renamed table's name (the qualifier would not
/// follow it). Each is refused rather than rewritten into other SQL.
fn unsafe_renames(statement: &Statement, renames: &BTreeMap<String, String>) -> Vec<String> {
    struct Check<'r> {
        renames: &'r BTreeMap<String, String>,
        found: Vec<String>,
    }
    impl Check<'_> {
        /// The table renamed to `name`, if one is.
        fn renamed_to(&self, name: &str) -> Option<&str> {
            self.renames
                .iter()
                .find(|(_, to)| to.as_str() == name)
                .map(|(from, _)| from.as_str())
        }
    }
    impl Visitor for Check<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            for cte in query.with.iter().flat_map(|w| &w.cte_tables) {
                let name = &cte.alias.name.value;
                if let Some(topic) = self.renames.get(name) {
                    self.found.push(format!(
                        "the CTE `{name}` has the name of a table this SQL renames to its topic \
                         `{topic}`; name the CTE otherwise"
                    ));
                } else if let Some(table) = self.renamed_to(name) {
                    self.found.push(format!(
                        "the CTE `{name}` has the name the table `{table}` is renamed to (its \
                         topic): the table's references would read the CTE; name the CTE \
                         otherwise"
                    ));
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            let alias = match factor {
                TableFactor::Table { alias, .. } | TableFactor::Derived { alias, .. } => alias,
                _ => return ControlFlow::Continue(()),
            };
            if let Some(a) = alias
                && let Some(table) = self.renamed_to(&a.name.value)
            {
                self.found.push(format!(
                    "the alias `{}` is the name the table `{table}` is renamed to (its topic): \
                     two names in the query would be one; choose another alias",
                    a.name.value
                ));
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = expr
                && parts.len() >= 2
                && let Some(topic) = self.renames.get(&parts[parts.len() - 2].value)
            {
                let column = parts
                    .iter()
                    .map(|p| p.value.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                self.found.push(format!(
                    "the column `{column}` is qualified by a table this SQL renames to its \
                     topic `{topic}`; qualify it by an alias (`FROM {} AS t`, `t.{}`)",
                    parts[parts.len() - 2].value,
                    parts[parts.len() - 1].value
                ));
            }
            ControlFlow::Continue(())
        }
    }
    let mut check = Check {
        renames,
        found: Vec::new(),
    };
    let _ = statement.visit(&mut check);
    check.found.sort();
    check.found.dedup();
    check.found
}
