//! Validating a plugin's configuration against the JSON Schema its `describe()` returns.

use crate::error;
use crate::runtime::Cache;
use anyhow::Result;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

/// [`validate`], skipped for a schema and config that passed before on this machine (recorded
/// in `cache`, keyed by their sha256 and flinkwasm's version). Compiling a schema, which
/// jsonschema starts by checking against its meta-schema, is about a quarter of a warm render;
/// the result depends only on the two texts, so it is remembered like compiled code is.
///
/// A schema from an external plugin is compiled in an isolated process ([`validate_isolated`]);
/// a built-in's (`trusted`) in this one.
pub fn validate_cached(
    cache: &Cache,
    plugin: &str,
    schema: &str,
    config: &Value,
    trusted: bool,
) -> Result<()> {
    let key = check_key(schema, config);
    if cache.passed(&key) {
        return Ok(());
    }
    if trusted {
        validate(plugin, schema, config)?;
    } else {
        validate_isolated(plugin, schema, config)?;
    }
    cache.record_pass(&key);
    Ok(())
}

/// The bounds of compiling and applying an external plugin's schema: its size is already at
/// most [`crate::runtime::MAX_SCHEMA_BYTES`], and a legitimate schema compiles in milliseconds.
const ISOLATED: crate::isolate::Bounds = crate::isolate::Bounds {
    memory: 256 << 20,
    timeout: std::time::Duration::from_secs(10),
    output: 1 << 20,
};

/// The isolated job's name (`flinkwasm __isolate check-config`).
pub const JOB: &str = "check-config";

/// [`validate`] in an isolated child process ([`crate::isolate`]): a plugin chose the schema,
/// and a schema can be made slow or large to compile (deep `$ref` chains, patterns), so its
/// compile is bounded in memory and time like a component's.
pub fn validate_isolated(plugin: &str, schema: &str, config: &Value) -> Result<()> {
    use crate::isolate::Failure;
    let input = serde_json::to_vec(
        &serde_json::json!({"plugin": plugin, "schema": schema, "config": config}),
    )?;
    let out = crate::isolate::run(JOB, &input, ISOLATED).map_err(|f| {
        let why = match f {
            Failure::Time => format!("took longer than {:?} to compile", ISOLATED.timeout),
            Failure::Memory | Failure::TooLarge => {
                format!("needed more than {} MiB to compile", ISOLATED.memory >> 20)
            }
            Failure::Refused(why) | Failure::Broken(why) => crate::text::safe(&why).into_owned(),
        };
        error::plugin(format!("plugin {plugin}: its config schema {why}"))
    })?;
    let verdict: Verdict = serde_json::from_slice(&out)
        .map_err(|e| anyhow::anyhow!("plugin {plugin}: the isolated schema check answered {e}"))?;
    match verdict {
        Verdict::Pass => Ok(()),
        Verdict::Config(message) => Err(error::input(message)),
        Verdict::Schema(message) => Err(error::plugin(message)),
    }
}

/// What an isolated schema check found.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    /// The config passed.
    Pass,
    /// The config does not match the schema: the input error's message.
    Config(String),
    /// The schema itself is broken: the plugin error's message.
    Schema(String),
}

/// The child's side of [`validate_isolated`]: reads `{"schema", "config"}`, answers a
/// [`Verdict`] as JSON.
pub fn check_in_child(input: &[u8]) -> std::result::Result<Vec<u8>, String> {
    #[derive(serde::Deserialize)]
    struct Job {
        plugin: String,
        schema: String,
        config: Value,
    }
    let job: Job = serde_json::from_slice(input).map_err(|e| format!("bad job: {e}"))?;
    let verdict = match validate(&job.plugin, &job.schema, &job.config) {
        Ok(()) => Verdict::Pass,
        Err(e) => {
            let message = e.to_string();
            match crate::error::exit_code(&e) {
                3 => Verdict::Config(message),
                _ => Verdict::Schema(message),
            }
        }
    };
    serde_json::to_vec(&verdict).map_err(|e| e.to_string())
}

/// The name [`validate_cached`] records a passed check under: the sha256 of flinkwasm's
/// version, the schema text and the config's canonical JSON.
pub fn check_key(schema: &str, config: &Value) -> String {
    crate::runtime::record_key(
        "config",
        &[
            "flinkwasm config check",
            env!("CARGO_PKG_VERSION"),
            schema,
            &config.to_string(),
        ],
    )
}

/// Checks `config` against `schema` (JSON text; empty means "an empty object only"). Every
/// violation is listed, each with the dotted path of the key, as one input error.
pub fn validate(plugin: &str, schema: &str, config: &Value) -> Result<()> {
    let schema: Value = if schema.trim().is_empty() {
        serde_json::json!({"type": "object", "additionalProperties": false})
    } else {
        serde_json::from_str(schema).map_err(|e| {
            error::plugin(format!(
                "plugin {plugin}: its config schema is not JSON: {e}"
            ))
        })?
    };
    let validator = jsonschema::validator_for(&schema).map_err(|e| {
        error::plugin(format!(
            "plugin {plugin}: its config schema is invalid: {e}"
        ))
    })?;
    let mut problems: Vec<String> = validator
        .iter_errors(config)
        .map(|e| {
            let path = dotted(e.instance_path().as_str());
            match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                    .iter()
                    .map(|k| format!("{path}.{k}: unknown key"))
                    .collect::<Vec<_>>()
                    .join("; "),
                // Never the value itself: a config may hold a credential where a name was
                // expected (a JAAS line in `secretRef`, a number as a password), and this
                // message goes to CI logs and Argo CD's UI.
                _ => format!("{path}: {}", e.masked_with("the value")),
            }
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort();
    Err(error::input(format!(
        "plugin {plugin}: invalid config: {}",
        problems.join("; ")
    )))
}

/// `/kafka/bootstrapServers` → `config.kafka.bootstrapServers`; `/a/0` → `config.a[0]`.
fn dotted(pointer: &str) -> String {
    let mut out = String::from("config");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"{"type":"object","additionalProperties":false,"properties":{
        "kafka":{"type":"object","additionalProperties":false,"properties":{"bootstrapServers":{"type":"string"}}},
        "list":{"type":"array","items":{"type":"string"}}}}"#;

    #[test]
    fn unknown_keys_and_wrong_types_name_the_path() {
        assert!(
            validate(
                "p",
                SCHEMA,
                &json!({"kafka": {"bootstrapServers": "k:9092"}})
            )
            .is_ok()
        );
        let err = validate("p", SCHEMA, &json!({"kafka": {"bootstrapServerz": "x"}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "plugin p: invalid config: config.kafka.bootstrapServerz: unknown key"
        );
        let err = validate("p", SCHEMA, &json!({"list": ["a", 1]}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            r#"plugin p: invalid config: config.list[1]: the value is not of type "string""#
        );
    }

    #[test]
    fn a_wrong_value_is_named_by_its_path_never_repeated() {
        // A password typed as a number, a JAAS line pasted where a name goes: the message
        // names the field and what it must be, never what it holds.
        let schema = r#"{"type":"object","properties":{
            "password":{"type":"string"},
            "secretRef":{"type":"string","pattern":"^[a-z0-9-]+$"},
            "mode":{"enum":["a","b"]}}}"#;
        for config in [
            json!({"password": 73572113}),
            json!({"password": ["hunter2"]}),
            json!({"secretRef": "PlainLoginModule required password=\"hunter2\";"}),
            json!({"mode": "hunter2"}),
        ] {
            let err = validate("p", schema, &config).unwrap_err().to_string();
            assert!(err.contains("the value"), "{err}");
            assert!(
                !err.contains("hunter2") && !err.contains("73572113"),
                "{err}"
            );
        }
    }

    #[test]
    fn empty_schema_means_empty_object() {
        assert!(validate("p", "", &json!({})).is_ok());
        assert!(validate("p", "", &json!({"x": 1})).is_err());
    }
}
