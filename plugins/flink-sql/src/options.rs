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
    /// A connection address that is not one (why): refused, its value not repeated.
    Invalid(String),
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

/// Whether `value` may carry a credential as an address: a user name and password before a
/// host (`http://user:password@host`, `user:password@host:9092`), or a URL's query or fragment
/// (`?token=...`), which no connection setting needs.
pub fn credential_in_value(value: &str) -> bool {
    value.split(',').any(|part| {
        let (scheme, rest) = match part.trim().split_once("://") {
            Some((_, rest)) => (true, rest),
            None => (false, part.trim()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority.contains('@') || (scheme && rest.contains(['?', '#']))
    })
}

/// Why `servers` is not a Kafka bootstrap list (`host:port[,host:port]`), if it is not.
fn bad_servers(servers: &str) -> Option<String> {
    let mut parts = servers.split(',').map(str::trim).peekable();
    parts.peek()?;
    for part in parts {
        let Some((host, port)) = part.rsplit_once(':') else {
            return Some("an entry is not host:port".into());
        };
        if !is_host(host) || !is_port(port) {
            return Some(
                "an entry is not host:port (no scheme, user or path: security.protocol says \
                 how to connect)"
                    .into(),
            );
        }
    }
    None
}

/// Why `urls` is not a Schema Registry URL list (`http[s]://host[:port][/path]`), if it is not.
fn bad_registry_urls(urls: &str) -> Option<String> {
    for url in urls.split(',').map(str::trim) {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let Some(rest) = rest else {
            return Some("a Schema Registry URL is http:// or https://".into());
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !authority.ends_with(']') => (h, Some(p)),
            _ => (authority, None),
        };
        if !is_host(host) || !port.is_none_or(is_port) {
            return Some("a Schema Registry URL is http[s]://host[:port][/path]".into());
        }
    }
    None
}

/// A DNS name, an IPv4 address or a bracketed IPv6 address.
fn is_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A TCP port, 1 to 65535, written in decimal.
fn is_port(port: &str) -> bool {
    !port.starts_with('0')
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

/// The fate of option `key` = `value`.
pub fn fate(key: &str, value: &str) -> Fate {
    // A password in a URL is a credential whatever the option's name.
    if is_secret(key) || credential_in_value(value) {
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
            match bad_registry_urls(value) {
                Some(why) => Fate::Invalid(why),
                None => Fate::Catalog("schema.registry.url"),
            }
        }
        _ if key.ends_with("avro-confluent.basic-auth.credentials-source") => {
            Fate::Catalog("schema.registry.basic.auth.credentials.source")
        }
        _ => {
            if let Some(prop) = key.strip_prefix("properties.") {
                if prop == "bootstrap.servers"
                    && let Some(why) = bad_servers(value)
                {
                    return Fate::Invalid(why);
                }
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

    #[test]
    fn an_address_carrying_a_credential_or_no_address_is_refused() {
        for (key, value) in [
            ("properties.bootstrap.servers", "user:hunter2@kafka:9092"),
            ("properties.bootstrap.servers", "a:9092,u@b:9092"),
            ("avro-confluent.url", "http://u:p@sr:8081"),
            ("avro-confluent.url", "http://sr:8081?token=hunter2"),
            ("avro-confluent.url", "http://sr:8081/#hunter2"),
            (
                "avro-confluent.url",
                "http://sr:8081,http://sr2:8081/?access_token=x",
            ),
        ] {
            assert_eq!(fate(key, value), Fate::Secret, "{value}");
        }
        for (key, value) in [
            ("properties.bootstrap.servers", "SASL_SSL://kafka:9092"),
            ("properties.bootstrap.servers", "kafka"),
            ("properties.bootstrap.servers", "kafka:0"),
            ("properties.bootstrap.servers", ""),
            ("avro-confluent.url", "sr:8081"),
            ("avro-confluent.url", "ftp://sr:8081"),
            ("avro-confluent.url", "http://sr:99999"),
        ] {
            assert!(
                matches!(fate(key, value), Fate::Invalid(_)),
                "{value}: {:?}",
                fate(key, value)
            );
        }
        for (key, value) in [
            (
                "properties.bootstrap.servers",
                "a.b:9092, c:9093,[::1]:9094",
            ),
            (
                "avro-confluent.url",
                "https://sr.example.com/api,http://10.0.0.1:8081",
            ),
            ("avro-confluent.url", "http://[::1]:8081"),
        ] {
            assert!(
                matches!(fate(key, value), Fate::Database(_) | Fate::Catalog(_)),
                "{value}: {:?}",
                fate(key, value)
            );
        }
    }
}
