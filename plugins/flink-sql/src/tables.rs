//! A Flink `CREATE TABLE ... WITH ('connector' = 'kafka', ...)` made a table of a CMF Kafka
//! catalog: its connection options move to its Kafka cluster and Schema Registry, its topic
//! becomes its name, the rest is renamed, kept or refused ([`crate::options`]). Every move is
//! a note; every refusal names the file, line, statement and option.

use crate::options::{self, Fate};
use crate::parse::Place;
use sqlparser::ast::{
    CreateTable, CreateTableOptions, Expr, Ident, ObjectName, ObjectNamePart, SqlOption, Value,
};
use std::collections::BTreeMap;

/// The connections a catalog table lives on, as its options named them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Connections {
    /// The Kafka cluster's `connectionConfig` (at least `bootstrap.servers` when named).
    pub kafka: BTreeMap<String, String>,
    /// The Schema Registry's `connectionConfig` (at least `schema.registry.url` when named).
    pub registry: BTreeMap<String, String>,
}

/// What lowering one table found.
#[derive(Debug, Default)]
pub struct Lowered {
    /// Its connections.
    pub connections: Connections,
    /// Its topic, when the options named one.
    pub topic: Option<String>,
    /// Notes: each moved or renamed option.
    pub notes: Vec<String>,
    /// Refusals.
    pub errors: Vec<String>,
}

/// The last part of a table's name, as written (unquoted).
pub fn table_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(ObjectNamePart::as_ident)
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

/// Lowers `table` (starting at `place`) in place: its `WITH` options become the catalog
/// table's, and what moves out is returned.
pub fn lower(table: &mut CreateTable, place: &Place) -> Lowered {
    let name = table_name(&table.name);
    let what = format!("CREATE TABLE {name}");
    let mut out = Lowered::default();
    let options = match std::mem::take(&mut table.table_options) {
        CreateTableOptions::With(options) => options,
        CreateTableOptions::None => {
            out.errors.push(format!(
                "{place}: {what}: no WITH options: a table must name its Kafka topic's \
                 connector ('connector' = 'kafka')"
            ));
            return out;
        }
        _ => {
            out.errors.push(format!(
                "{place}: {what}: only Flink's `WITH ('key' = 'value', ...)` options are taken"
            ));
            return out;
        }
    };
    let mut kept: Vec<(String, String)> = vec![("connector".into(), "confluent".into())];
    let mut seen = std::collections::BTreeSet::new();
    for option in options {
        let SqlOption::KeyValue { key, value } = option else {
            out.errors.push(format!(
                "{place}: {what}: option `{option}` is not `'key' = 'value'`"
            ));
            continue;
        };
        let key_text = key
            .0
            .iter()
            .filter_map(ObjectNamePart::as_ident)
            .map(|i| i.value.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let at = key
            .0
            .first()
            .and_then(ObjectNamePart::as_ident)
            .map(|i| place.at(i.span.start.line, i.span.start.column))
            .unwrap_or_else(|| place.clone());
        // Flink refuses an option given twice; taking the last would guess which was meant.
        if !seen.insert(key_text.clone()) {
            out.errors.push(format!(
                "{at}: {what}: option '{key_text}' is given twice; give it once"
            ));
            continue;
        }
        if options::is_secret(&key_text) {
            out.errors.push(format!(
                "{at}: {what}: option '{key_text}' is a credential, and SQL is committed to Git: \
                 put it in the Secret named by the plugin's kafka.secretRef or \
                 schemaRegistry.secretRef (its value is not repeated here)"
            ));
            continue;
        }
        let Expr::Value(v) = &value else {
            out.errors.push(format!(
                "{at}: {what}: option '{key_text}' is not a string literal"
            ));
            continue;
        };
        let (Value::SingleQuotedString(text) | Value::DoubleQuotedString(text)) = &v.value else {
            out.errors.push(format!(
                "{at}: {what}: option '{key_text}' is not a string literal"
            ));
            continue;
        };
        let moved = |to: &str| format!("{at}: {what}: option '{key_text}' moved to {to}");
        match options::fate(&key_text, text) {
            Fate::Connector(implied) => {
                if text != "confluent" {
                    out.notes.push(format!(
                        "{at}: {what}: 'connector' = '{text}' became 'confluent': the table is \
                         a topic of the catalog's Kafka cluster"
                    ));
                }
                for (k, v) in implied {
                    kept.push((k.into(), v.into()));
                    out.notes
                        .push(format!("{at}: {what}: '{k}' = '{v}' added for '{text}'"));
                }
            }
            Fate::Topic => {
                out.notes.push(if text == &name {
                    format!("{at}: {what}: option 'topic' dropped: the table's name is its topic")
                } else {
                    format!(
                        "{at}: {what}: option 'topic' became the table's name `{text}` (a \
                         catalog table's name is its topic); statements naming `{name}` follow"
                    )
                });
                out.topic = Some(text.clone());
            }
            Fate::Database(k) => {
                out.notes.push(moved(&format!(
                    "its FlinkKafkaDatabase's spec.kafkaCluster.connectionConfig.{k}"
                )));
                if let Some(have) = out.connections.kafka.get(&k).filter(|h| *h != text) {
                    out.errors.push(format!(
                        "{at}: {what}: option '{key_text}' says '{text}' but the table already \
                         named '{have}' for the Kafka cluster's '{k}'"
                    ));
                    continue;
                }
                out.connections.kafka.insert(k, text.clone());
            }
            Fate::Catalog(k) => {
                out.notes.push(moved(&format!(
                    "its FlinkKafkaCatalog's spec.srInstance.connectionConfig.{k}"
                )));
                if let Some(have) = out.connections.registry.get(k).filter(|h| *h != text) {
                    out.errors.push(format!(
                        "{at}: {what}: option '{key_text}' says '{text}' but the table already \
                         named '{have}' for the Schema Registry's '{k}'"
                    ));
                    continue;
                }
                out.connections.registry.insert(k.into(), text.clone());
            }
            Fate::Table(k, v) => {
                if k != key_text || &v != text {
                    out.notes.push(format!(
                        "{at}: {what}: '{key_text}' = '{text}' became '{k}' = '{v}'"
                    ));
                }
                if let Some(dup) = kept.iter().find(|(have, _)| *have == k) {
                    out.errors.push(format!(
                        "{at}: {what}: option '{k}' given twice ('{}' and '{v}')",
                        dup.1
                    ));
                    continue;
                }
                kept.push((k, v));
            }
            // A credential key was refused above, before its value was read: this is a
            // credential in the value (an address's user and password, a URL's query).
            Fate::Secret => out.errors.push(format!(
                "{at}: {what}: option '{key_text}' holds a credential in its value (a user \
                 name and password before a host, or a URL's query or fragment): give \
                 credentials through the Secret named by the plugin's kafka.secretRef or \
                 schemaRegistry.secretRef (the value is not repeated here)"
            )),
            Fate::Invalid(why) => out.errors.push(format!(
                "{at}: {what}: option '{key_text}': {why} (the value is not repeated here)"
            )),
            Fate::Nowhere(why) => out.errors.push(format!(
                "{at}: {what}: option '{key_text}' has no place in a catalog table: {why}"
            )),
        }
    }
    table.table_options = CreateTableOptions::With(
        kept.into_iter()
            .map(|(k, v)| SqlOption::KeyValue {
                key: ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote('\'', k))]),
                value: Expr::value(Value::SingleQuotedString(v)),
            })
            .collect(),
    );
    out
}
