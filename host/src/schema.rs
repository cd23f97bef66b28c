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
pub fn validate_cached(cache: &Cache, plugin: &str, schema: &str, config: &Value) -> Result<()> {
    let key = check_key(schema, config);
    if cache.passed(&key) {
        return Ok(());
    }
    validate(plugin, schema, config)?;
    cache.record_pass(&key);
    Ok(())
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
                _ => format!("{path}: {e}"),
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
        assert!(
            err.starts_with("plugin p: invalid config: config.list[1]: 1 is not of type"),
            "{err}"
        );
    }

    #[test]
    fn empty_schema_means_empty_object() {
        assert!(validate("p", "", &json!({})).is_ok());
        assert!(validate("p", "", &json!({"x": 1})).is_err());
    }
}
