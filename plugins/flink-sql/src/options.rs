//! Where each `WITH` option of a Flink `CREATE TABLE` goes when the table becomes a table of a
//! CMF Kafka catalog: to the table's Kafka cluster (FlinkKafkaDatabase), to its Schema Registry
//! (FlinkKafkaCatalog), into the table's name (`topic`), renamed on the table, kept, refused as
//! a credential, or refused as having no place. Nothing is dropped silently.

/// What becomes of one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Replaced by `'connector' = 'confluent'` (the catalog's own connector), with extra table
    /// options it implies.
    Connector(Vec<(&'static str, &'static str)>),
    /// The Kafka topic: in a Kafka catalog a table's name is its topic.
    Topic,
    /// Into the Kafka cluster's `connectionConfig` under this key.
    Database(String),
    /// Into the Schema Registry's `connectionConfig` under this key.
    Catalog(&'static str),
    /// Kept on the table, under this key and with this value.
    Table(String, String),
    /// A credential: refused, and its value is never repeated.
    Secret,
    /// No place in a catalog table: refused, with why.
    Nowhere(String),
}

/// Kafka client properties (`properties.<key>`) that describe the connection and move to the
/// Kafka cluster's database.
const KAFKA_CONNECTION: &[&str] = &[
    "bootstrap.servers",
    "security.protocol",
    "sasl.mechanism",
    "ssl.endpoint.identification.algorithm",
    "client.dns.lookup",
];

/// Options a Confluent catalog table takes as they are.
const TABLE: &[&str] = &[
    "changelog.mode",
    "kafka.cleanup-policy",
    "kafka.max-message-size",
    "kafka.partitions",
    "kafka.retention.size",
    "kafka.retention.time",
    "scan.bounded.mode",
    "scan.bounded.timestamp-millis",
    "scan.startup.mode",
    "scan.startup.specific-offsets",
    "scan.startup.timestamp-millis",
    "value.fields-include",
];

/// Parts of a key that mark a credential.
const SECRET_MARKS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "jaas",
    "user-info",
    "user.info",
    "token",
    "credential",
    "api-key",
    "apikey",
    "private",
];

/// Whether `key` names a credential (the option's value must not be in SQL).
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // Where credentials come from is not one.
    if key.ends_with("credentials.source") || key.ends_with("credentials-source") {
        return false;
    }
    SECRET_MARKS.iter().any(|m| key.contains(m)) || key.ends_with("ssl.key.password")
}

/// Flink's format names to the Confluent catalog's.
fn format(value: &str) -> Option<&'static str> {
    match value {
        "avro-confluent" | "avro-registry" => Some("avro-registry"),
        "json-registry" => Some("json-registry"),
        "protobuf-confluent" | "proto-registry" => Some("proto-registry"),
        "raw" => Some("raw"),
        _ => None,
    }
}

/// Whether `value` is a URL with credentials in it (`http://user:password@host`).
pub fn has_userinfo(value: &str) -> bool {
    value.split(',').any(|part| {
        part.split_once("://").is_some_and(|(_, rest)| {
            rest.split(['/', '?', '#'])
                .next()
                .is_some_and(|authority| authority.contains('@'))
        })
    })
}

/// The fate of option `key` = `value`.
pub fn fate(key: &str, value: &str) -> Fate {
    // A password in a URL is a credential whatever the option's name.
    if is_secret(key) || has_userinfo(value) {
        return Fate::Secret;
    }
    match key {
        "connector" => match value {
            "kafka" | "confluent" => Fate::Connector(Vec::new()),
            "upsert-kafka" => Fate::Connector(vec![("changelog.mode", "upsert")]),
            other => Fate::Nowhere(format!(
                "connector `{other}` is not a Kafka topic; a Kafka catalog's tables are its \
                 topics (`kafka` or `upsert-kafka`)"
            )),
        },
        "topic" => Fate::Topic,
        "format" | "value.format" | "key.format" => {
            let to = if key == "format" { "value.format" } else { key };
            match format(value) {
                Some(f) => Fate::Table(to.to_string(), f.to_string()),
                None => Fate::Nowhere(format!(
                    "format `{value}` has no schema in Schema Registry; a Kafka catalog reads \
                     `avro-confluent`, `json-registry`, `protobuf-confluent` or `raw`"
                )),
            }
        }
        _ if key.ends_with("avro-confluent.url")
            || key.ends_with("avro-confluent.schema-registry.url")
            || key.ends_with("json-registry.url")
            || key.ends_with("protobuf-confluent.url") =>
        {
            Fate::Catalog("schema.registry.url")
        }
        _ if key.ends_with("avro-confluent.basic-auth.credentials-source") => {
            Fate::Catalog("basic.auth.credentials.source")
        }
        _ => {
            if let Some(prop) = key.strip_prefix("properties.") {
                if KAFKA_CONNECTION.contains(&prop) {
                    return Fate::Database(prop.to_string());
                }
                return Fate::Nowhere(format!(
                    "Kafka client property `{prop}` is not a connection setting the catalog's \
                     database takes ({})",
                    KAFKA_CONNECTION.join(", ")
                ));
            }
            if TABLE.contains(&key) {
                return Fate::Table(key.to_string(), value.to_string());
            }
            Fate::Nowhere("it is not an option of the Kafka connector a catalog table takes".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_options_each_have_a_place() {
        assert_eq!(fate("connector", "kafka"), Fate::Connector(vec![]));
        assert_eq!(fate("topic", "orders"), Fate::Topic);
        assert_eq!(
            fate("properties.bootstrap.servers", "k:9092"),
            Fate::Database("bootstrap.servers".into())
        );
        assert_eq!(
            fate("format", "avro-confluent"),
            Fate::Table("value.format".into(), "avro-registry".into())
        );
        assert_eq!(
            fate("avro-confluent.url", "http://sr:8081"),
            Fate::Catalog("schema.registry.url")
        );
    }

    #[test]
    fn credentials_and_homeless_options_are_refused() {
        assert_eq!(fate("properties.sasl.jaas.config", "x"), Fate::Secret);
        assert_eq!(
            fate("avro-confluent.basic-auth.user-info", "u:p"),
            Fate::Secret
        );
        assert_eq!(
            fate("properties.ssl.truststore.password", "x"),
            Fate::Secret
        );
        assert!(matches!(fate("properties.group.id", "g"), Fate::Nowhere(_)));
        assert!(!is_secret("basic.auth.credentials.source"));
        assert!(matches!(
            fate("sink.partitioner", "fixed"),
            Fate::Nowhere(_)
        ));
        assert!(matches!(fate("connector", "filesystem"), Fate::Nowhere(_)));
        assert!(matches!(fate("format", "csv"), Fate::Nowhere(_)));
    }
}
