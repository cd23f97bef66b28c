//! Keeping secret values out of what flinkwasm writes.
//!
//! A pipeline file and its overlays live in Git, and what `render` writes is applied by Argo CD
//! or stored as a build artifact: neither may carry a password. Credentials reach the stack only
//! as names of Kubernetes Secrets (`secretRef`, `secretKeyRef`); the values stay in the cluster
//! (or in a tool made for them, such as Sealed Secrets or External Secrets).
//!
//! Two checks enforce this when flinkwasm assembles manifests (`render`, Argo CD):
//! - [`check_config`]: a plugin's configuration may not hold a secret-looking key with a value
//!   (`password`, `token`, `clientSecret`, a JAAS line with `password=`...);
//! - [`check_objects`]: the stream, after `spec.resources` are read and after every plugin, may
//!   not hold a Secret with `data`/`stringData`, an environment variable whose name says it is a
//!   secret with a literal `value`, or anywhere a literal password in a JAAS setting or a URL
//!   (`s3://key:secret@bucket`, `http://user:password@host`).
//!
//! Neither error repeats the value it found. References are fine: `$(VAR)` and `${VAR}` are
//! expanded by Kubernetes or the job, never by flinkwasm. Post-render is exempt: a chart may
//! legitimately render Secrets, and Helm keeps them in the cluster, not in Git.

use crate::error;
use crate::stream::{self, Object};
use anyhow::Result;
use serde_json::Value;

/// Key names (lower-case, without `-`/`_`/`.`) that hold a secret value.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "clientsecret",
    "token",
    "accesstoken",
    "apikey",
    "apisecret",
    "privatekey",
    "jaasconfig",
    "credentials",
    "keystorepassword",
    "truststorepassword",
    "encryptionkey",
    // Flink's S3 options (`s3.secret-key`), Hadoop's (`fs.s3a.secret.key`), AWS's
    // (`AWS_SECRET_ACCESS_KEY`).
    "secretkey",
    "secretaccesskey",
    "credential",
    "authorization",
    // Schema Registry's `basic.auth.user.info` (`user:password`).
    "userinfo",
    // Kafka's PEM private key (`ssl.keystore.key`).
    "keystorekey",
    // Azure's storage keys (`AZURE_STORAGE_KEY`, `accountKey`, `sharedKey`).
    "storagekey",
    "accountkey",
    "sharedkey",
];

/// Name fragments of environment variables that hold a secret value.
const SECRET_ENV: &[&str] = &[
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "JAAS",
    "CREDENTIAL",
];
/// Name endings of environment variables that say where or how, not what
/// (`..._CREDENTIALS_SOURCE`, `..._PASSWORD_FILE`).
const NOT_SECRET_ENV: &[&str] = &[
    "_SOURCE",
    "_LOCATION",
    "_PATH",
    "_FILE",
    "_REF",
    "_NAME",
    "_TYPE",
    "_MECHANISM",
];

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// True for a key that names a secret value: it ends with a secret word (`password`,
/// `s3.secret-key`, `apiKey`). A reference to a secret names it and ends otherwise
/// (`secretRef`, `passwordKey`, `secretName`, `encryptionKeySecretRef`, `tokenPath`), so it is
/// not one.
fn secret_key(key: &str) -> bool {
    let k = normalise(key);
    SECRET_KEYS.iter().any(|s| k.ends_with(&normalise(s)))
        // Hadoop's Azure storage key, `fs.azure.account.key.<account>.blob.core.windows.net`:
        // the account name follows the secret word.
        || key.to_ascii_lowercase().starts_with("fs.azure.account.key.")
}

/// URL schemes whose user part is itself a credential (an access key, a token), with or
/// without a password after it.
const KEY_AS_USER: &[&str] = &[
    "http", "https", "s3", "s3a", "s3n", "gs", "wasb", "wasbs", "abfs", "abfss", "oss", "ftp",
    "ftps",
];

/// Query parameter names (normalised as keys are) that carry a credential (`?token=`,
/// `?X-Amz-Signature=`, `?private_token=`, `?key=`).
const SECRET_QUERY: &[&str] = &[
    "token",
    "signature",
    "sig",
    "secret",
    "password",
    "passwd",
    "pwd",
    "credential",
    "key",
    "auth",
    "authorization",
];

/// A URL with a credential in it anywhere in `text`: userinfo with a password
/// (`http://u:p@host`, `%3A` decoded), any userinfo where the scheme takes a key or token as
/// the user (`s3://AKIA...@bucket`, `https://token@host`), or a query parameter named like a
/// credential (`?token=...`). References (`$(VAR)`) are not credentials.
fn url_credentials(text: &str) -> bool {
    text.match_indices("://").any(|(i, _)| {
        let scheme: String = text[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        let rest = &text[i + 3..];
        let end = rest
            .find(|c: char| matches!(c, '\'' | '"' | '`' | ')' | ',' | ';') || c.is_whitespace())
            .unwrap_or(rest.len());
        let url = &rest[..end];
        let authority = url.split(['/', '?', '#']).next().unwrap_or("");
        let userinfo = authority
            .rsplit_once('@')
            .map(|(u, _)| u.replace("%3A", ":").replace("%3a", ":"));
        let in_userinfo = userinfo.is_some_and(|u| match u.split_once(':') {
            Some((_, password)) => !password.is_empty() && !only_references(password),
            None => !u.is_empty() && !only_references(&u) && KEY_AS_USER.contains(&scheme.as_str()),
        });
        let in_query = url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(""))
            .is_some_and(|query| {
                query.split('&').any(|pair| {
                    pair.split_once('=').is_some_and(|(k, v)| {
                        let k = normalise(k);
                        !v.is_empty()
                            && !only_references(v)
                            && SECRET_QUERY.iter().any(|s| k.ends_with(s))
                    })
                })
            });
        in_userinfo || in_query
    })
}

/// URI schemes written without `//` whose text may hold an `@`.
const NO_AUTHORITY: &[&str] = &["mailto", "urn", "tel", "sip", "sips", "data", "news"];

/// A `user:password@host` written without a scheme (`AKIA:secret@bucket/cp`,
/// `//u:p@host`): a word whose part before its first `@` holds a `:` but no `/` (an image's
/// `registry:5000/repo@sha256:...` has one), the password not only references.
fn bare_userinfo(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | ',' | ';' | '(' | ')'))
        .filter(|word| !word.contains("://"))
        .any(|word| {
            word.trim_start_matches('/')
                .split_once('@')
                .and_then(|(before, _)| (!before.contains('/')).then_some(before))
                .and_then(|before| before.split_once(':'))
                .is_some_and(|(user, password)| {
                    // `mailto:user@host` and the like name an address, not a login.
                    !NO_AUTHORITY.contains(&user.to_ascii_lowercase().as_str())
                        && !password.is_empty()
                        && !only_references(password)
                })
        })
}

/// A JVM system property with a secret value (`-Ds3.secret-key=...`, `-Djavax.net.ssl.
/// keyStorePassword=...`) anywhere in `text`, as `env.java.opts` carries them.
fn secret_property(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        word.strip_prefix("-D")
            .and_then(|p| p.split_once('='))
            .is_some_and(|(k, v)| {
                let v = v.trim_matches(['"', '\'']);
                secret_key(k) && !v.is_empty() && !only_references(v)
            })
    })
}

/// An Azure connection string with its key (`AccountKey=...`, `SharedAccessKey=...`).
fn azure_key(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["accountkey=", "sharedaccesskey=", "sharedaccesssignature="]
        .iter()
        .any(|k| {
            lower.match_indices(k).any(|(i, _)| {
                let v = text[i + k.len()..].split(';').next().unwrap_or("");
                !v.trim().is_empty() && !only_references(v)
            })
        })
}

/// A string that is a secret wherever it is: a JAAS line, a URL with a credential, a JVM
/// property with a secret value, an Azure connection string's key.
fn secret_text(text: &str) -> bool {
    literal_jaas_password(text)
        || url_credentials(text)
        || bare_userinfo(text)
        || secret_property(text)
        || azure_key(text)
}

/// True for a string that is only references (`$(VAR)`, `${VAR}`) or empty.
fn only_references(text: &str) -> bool {
    let mut rest = text.trim();
    while let Some(start) = rest.find(['$']) {
        let after = &rest[start + 1..];
        let close = match after.chars().next() {
            Some('(') => after.find(')'),
            Some('{') => after.find('}'),
            _ => return false,
        };
        match close {
            Some(end) => {
                if !rest[..start].trim().is_empty() {
                    return false;
                }
                rest = &after[end + 1..];
            }
            None => return false,
        }
    }
    rest.trim().is_empty()
}

/// A JAAS setting with a literal password (`password="hunter2"`), as opposed to one whose
/// password is a reference.
fn literal_jaas_password(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find("password=") else {
        return false;
    };
    let value = text[at + "password=".len()..]
        .trim_start_matches('"')
        .split(['"', ';', ' '])
        .next()
        .unwrap_or("");
    !value.is_empty() && !only_references(value)
}

/// Checks a plugin's configuration. `plugin` and `at` (for example `spec.plugins[1].config`)
/// name where it came from.
pub fn check_config(plugin: &str, at: &str, config: &Value) -> Result<()> {
    let mut found = Vec::new();
    walk_config(config, "config", &mut found);
    match found.first() {
        None => Ok(()),
        Some(path) => Err(error::input(format!(
            "plugin {plugin}: {path} ({at}) holds a secret value inline; a pipeline file is kept in \
             Git, so put the value in a Kubernetes Secret and name the Secret instead \
             (secretRef)"
        ))),
    }
}

/// Refuses secret values in a pipeline's own values (a chart's `spec.chart.values`, at `at`),
/// by the rules of [`check_config`].
pub fn check_values(at: &str, values: &Value) -> Result<()> {
    let mut found = Vec::new();
    walk_config(values, at, &mut found);
    match found.first() {
        None => Ok(()),
        Some(path) => Err(error::input(format!(
            "{path} holds a secret value inline; a pipeline file is kept in Git, so put the \
             value in a Kubernetes Secret and point the chart at it"
        ))),
    }
}

fn walk_config(v: &Value, path: &str, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{path}.{k}");
                match child {
                    Value::String(s) if secret_key(k) && !only_references(s) => found.push(p),
                    // A password typed as a number (`password: 73572113`), or values in a list.
                    Value::Number(_) if secret_key(k) => found.push(p),
                    Value::Array(items) if secret_key(k) && items.iter().any(literal) => {
                        found.push(p)
                    }
                    Value::String(s) if secret_text(s) => found.push(p),
                    _ => walk_config(child, &p, found),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk_config(child, &format!("{path}[{i}]"), found);
            }
        }
        Value::String(s) if secret_text(s) => found.push(path.to_string()),
        _ => {}
    }
}

/// A value in a list under a secret-named key that is itself a secret: a string that is not
/// only references, or a number.
fn literal(v: &Value) -> bool {
    match v {
        Value::String(s) => !only_references(s),
        Value::Number(_) => true,
        _ => false,
    }
}

/// Checks the objects of the stream. `origin` says what produced them (`spec.resources`, or
/// `plugin cluster-overlay`).
pub fn check_objects(origin: &str, objects: &[Object]) -> Result<()> {
    for obj in objects {
        if let Some(field) = secret_in_object(obj) {
            return Err(error::input(format!(
                "{origin}: {} {field} holds a secret value; rendered manifests are kept in Git \
                 and applied as they are, so keep the value in a Kubernetes Secret created \
                 outside the pipeline and refer to it (secretKeyRef, secretRef)",
                stream::describe(obj)
            )));
        }
    }
    Ok(())
}

/// The first field of `obj` that holds a secret value.
fn secret_in_object(obj: &Object) -> Option<String> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let core = obj.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if kind == "Secret" && core {
        for field in ["data", "stringData"] {
            if obj
                .get(field)
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
            {
                return Some(field.to_string());
            }
        }
    }
    let mut at = Vec::new();
    walk_map(obj, &mut at)
}

/// A step of the path to a field: a key or an array index.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The dotted path of `at` (`spec.containers[0].env`): built only for a finding.
fn dotted(at: &[Step]) -> String {
    let mut path = String::new();
    for step in at {
        match step {
            Step::Key(k) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn walk_map<'a>(map: &'a Object, at: &mut Vec<Step<'a>>) -> Option<String> {
    // An environment variable: {name, value}.
    if let (Some(Value::String(name)), Some(Value::String(value))) =
        (map.get("name"), map.get("value"))
    {
        let upper = name.to_ascii_uppercase();
        if SECRET_ENV.iter().any(|s| upper.contains(s))
            && !NOT_SECRET_ENV.iter().any(|s| upper.ends_with(s))
            && !only_references(value)
            && !literal_free_jaas(value)
        {
            return Some(format!("{}.value (variable {name})", dotted(at)));
        }
    }
    for (k, child) in map {
        at.push(Step::Key(k));
        let found = walk(child, at);
        at.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

fn walk<'a>(v: &'a Value, at: &mut Vec<Step<'a>>) -> Option<String> {
    match v {
        Value::Object(map) => walk_map(map, at),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, child)| {
            at.push(Step::Index(i));
            let found = walk(child, at);
            at.pop();
            found
        }),
        // Strings in lists too: a container's `args`, a statement's text.
        Value::String(s) if secret_text(s) => Some(dotted(at)),
        _ => None,
    }
}

/// A JAAS line whose credentials are all references (the stack's own
/// `KAFKA_SASL_JAAS_CONFIG`).
fn literal_free_jaas(value: &str) -> bool {
    value.contains("LoginModule") && !literal_jaas_password(value) && value.contains("$(")
}

#[cfg(test)]
mod tests {

    #[test]
    fn chart_values_are_held_to_the_rules_of_plugin_configs() {
        let refused = super::check_values(
            "spec.chart.values",
            &serde_json::json!({"auth": {"password": "hunter2"}}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            refused.contains("spec.chart.values.auth.password"),
            "{refused}"
        );
        assert!(!refused.contains("hunter2"), "{refused}");
        let jaas = serde_json::json!({"jaas": "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";"});
        assert!(super::check_values("spec.chart.values", &jaas).is_err());
        let refs = serde_json::json!({"passwordSecretRef": "kafka-creds", "operatorPod": {"priorityClassName": "high"}});
        assert!(super::check_values("spec.chart.values", &refs).is_ok());
    }
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_not_values() {
        for k in [
            "secretRef",
            "passwordKey",
            "secretName",
            "usernameKey",
            "tlsSecretRef",
            "encryptionKeySecretRef",
            "encryptionKeyProperty",
        ] {
            assert!(!secret_key(k), "{k}");
        }
        for k in [
            "password",
            "keystore-password",
            "clientSecret",
            "token",
            "apiKey",
            "sasl.jaas.config",
            "encryptionKey",
            "s3.secret-key",
            "fs.s3a.secret.key",
            "AWS_SECRET_ACCESS_KEY",
            "credential",
            "authorization",
            "ssl.keystore.key",
            "basic.auth.user.info",
        ] {
            assert!(secret_key(k), "{k}");
        }
        for k in [
            "AWS_ACCESS_KEY_ID",
            "tokenPath",
            "credentialsSource",
            "basic.auth.credentials.source",
            "passwordFile",
        ] {
            assert!(!secret_key(k), "{k}");
        }
    }

    #[test]
    fn config_values_are_refused_and_references_pass() {
        let bad = json!({"values": {"cmf": {"ssl": {"keystore-password": "hunter2"}}}});
        let err = check_config("cmf", "spec.plugins[1].config", &bad).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("config.values.cmf.ssl.keystore-password"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        let ok = json!({"kafka": {"authentication": {"type": "plain", "secretRef": "kafka-creds", "passwordKey": "pw"}}});
        assert!(check_config("flink-environment", "x", &ok).is_ok());
        let jaas = json!({"flinkConfiguration": {"properties.sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";"}});
        assert!(check_config("flink-environment", "x", &jaas).is_err());
        let reference = json!({"flinkConfiguration": {"x": "PlainLoginModule required password=\"${KAFKA_SASL_PASSWORD}\";"}});
        assert!(check_config("flink-environment", "x", &reference).is_ok());
    }

    #[test]
    fn secrets_that_are_not_strings_are_refused_too() {
        for bad in [
            json!({"kafka": {"ssl.key.password": 73572113}}),
            json!({"sasl.jaas.config": ["PlainLoginModule required password=\"hunter2\";"]}),
            json!({"password": ["hunter2"]}),
        ] {
            let err = check_config("flink-sql", "x", &bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("holds a secret value inline"), "{err}");
            assert!(
                !err.contains("hunter2") && !err.contains("73572113"),
                "{err}"
            );
        }
        let refs = json!({"password": ["$(KAFKA_PASSWORD)"], "token": {"secretRef": "t"}});
        assert!(check_config("p", "x", &refs).is_ok());
    }

    #[test]
    fn objects_with_secret_values_are_refused() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "x"}});
        assert!(secret_in_object(secret.as_object().unwrap()).is_some());
        let empty = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"});
        assert!(secret_in_object(empty.as_object().unwrap()).is_none());
        let env = json!({"kind": "FlinkEnvironment", "metadata": {"name": "e"}, "spec": {"c": [{"name": "KAFKA_PASSWORD", "value": "hunter2"}]}});
        let field = secret_in_object(env.as_object().unwrap()).unwrap();
        assert!(
            field.contains("KAFKA_PASSWORD") && !field.contains("hunter2"),
            "{field}"
        );
        let ours = json!({"kind": "FlinkEnvironment", "metadata": {"name": "e"}, "spec": {"c": [
            {"name": "KAFKA_SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "k", "key": "password"}}},
            {"name": "KAFKA_SASL_JAAS_CONFIG", "value": "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$(KAFKA_SASL_USERNAME)\" password=\"$(KAFKA_SASL_PASSWORD)\";"},
            {"name": "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "value": "$(SCHEMA_REGISTRY_USERNAME):$(SCHEMA_REGISTRY_PASSWORD)"}
        ]}});
        assert_eq!(secret_in_object(ours.as_object().unwrap()), None);
    }

    #[test]
    fn urls_with_passwords_are_secrets_wherever_they_are() {
        let pool = json!({"kind": "FlinkComputePool", "spec": {"clusterSpec": {"flinkConfiguration":
            {"state.checkpoints.dir": "s3://AKIAX:hunter2@bucket/cp"}}}});
        assert_eq!(
            secret_in_object(pool.as_object().unwrap()).as_deref(),
            Some("spec.clusterSpec.flinkConfiguration.state.checkpoints.dir")
        );
        let statement = json!({"kind": "FlinkStatement", "spec": {"statement":
            "INSERT INTO t SELECT 'http://u:hunter2@host', x FROM s"}});
        assert!(secret_in_object(statement.as_object().unwrap()).is_some());
        let args = json!({"kind": "Pod", "spec": {"args": ["--url=jdbc:mysql://u:p@db:3306/x"]}});
        assert_eq!(
            secret_in_object(args.as_object().unwrap()).as_deref(),
            Some("spec.args[0]")
        );
        for bad in [
            "s3://hunter2@bucket/cp",
            "https://ghp_hunter2@github.com/acme/x.git",
            "s3://AKIAX%3Ahunter2@bucket/cp",
            "https://git.example.com/x.git?private_token=hunter2",
            "https://bucket.s3.amazonaws.com/o?X-Amz-Signature=abc&X-Amz-Date=1",
            "-Xmx1g -Ds3.secret-key=hunter2",
            "-Dfs.s3a.secret.key=\"hunter2\"",
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=hunter2==;",
            "AKIAX:hunter2@bucket/cp",
            "//u:hunter2@host/x",
            "s3:\\\\AKIAX:hunter2@bucket",
        ] {
            assert!(secret_text(bad), "{bad}");
        }
        for fine in [
            "http://kafka:9092/path",
            "ssh://git@github.com/acme/x.git",
            "kafka://user@host:9092",
            "https://example.com/search?q=token",
            "https://docs.example.com/page#password",
            "-Ds3.secret-key=$(S3_SECRET_KEY) -Dkey.path=/etc/x",
            "registry.example.com:5000/flink@sha256:0123abcd",
            "git@github.com:acme/gitops.git",
            "mailto:platform@example.com",
            "$(KAFKA_USER):$(KAFKA_PASSWORD)@kafka:9092",
            "http://$(USER):$(PASSWORD)@host",
            "see https://example.com/a:b@c",
            "mailto:a:b@c",
        ] {
            assert!(!secret_text(fine), "{fine}");
        }
        let azure = json!({"computePool": {"flinkConfiguration":
            {"fs.azure.account.key.x.blob.core.windows.net": "hunter2=="}}});
        let err = check_config("flink-sql", "x", &azure)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(!secret_key(
            "fs.azure.account.keyprovider.x.blob.core.windows.net"
        ));
    }
}
