//! A plugin's config schema derived from its config type, so the config is written once: the
//! serde type the plugin reads is the JSON Schema (draft 2020-12) the host validates against.
//!
//! The derived schema keeps the promises the host and its users rely on:
//!
//! - every subschema is inlined (no `$ref`): the host types Argo CD parameters by walking
//!   `properties` down a dotted path, and `flinkwasm plugins inspect` shows one readable tree;
//! - an object with known keys refuses every other key (`additionalProperties: false`), even
//!   where the type forgot `#[serde(deny_unknown_fields)]`;
//! - an `Option` field may be left out but is never `null`: serde would read `null` as absent,
//!   and the schema would then say one thing while a merge patch means another;
//! - doc comments become descriptions, with rustdoc's line breaks folded into spaces (a blank
//!   line still separates paragraphs).

use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// The JSON Schema of `T`, titled `title` (the plugin's name).
pub fn of<T: JsonSchema>(title: &str) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut schema = settings
        .with_transform(Strict)
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.to_value()
}

/// The house rules above, applied to every subschema.
#[derive(Debug, Clone, Copy)]
struct Strict;

impl Transform for Strict {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(obj) = schema.as_object_mut() {
            not_null(obj);
            if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
                obj.insert("additionalProperties".into(), Value::Bool(false));
            }
            if let Some(Value::String(text)) = obj.get_mut("description") {
                *text = fold_lines(text);
            }
        }
        transform_subschemas(self, schema);
    }
}

/// Takes `null` out of what a schema accepts, in each of the shapes schemars gives an `Option`.
fn not_null(obj: &mut Map<String, Value>) {
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    // `{"anyOf": [T, {"type": "null"}]}` (with the field's metadata beside it) becomes T.
    let nullable_any_of = obj
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() == 2 && a.iter().any(is_null));
    if nullable_any_of
        && let Some(Value::Array(options)) = obj.remove("anyOf")
        && let Some(Value::Object(inner)) = options.into_iter().find(|v| !is_null(v))
    {
        for (key, value) in inner {
            // The field's own description wins over its type's.
            obj.entry(key).or_insert(value);
        }
    }
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            obj.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// Rustdoc's wrapped lines as one line per paragraph.
fn fold_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// An example config.
    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Example {
        /// Where it goes,
        /// on two lines.
        namespace: Option<String>,
        /// A port.
        #[schemars(range(min = 1))]
        port: Option<u16>,
        /// Nested settings.
        #[serde(default)]
        nested: Option<Nested>,
        /// Required.
        name: String,
    }

    /// Nested settings.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        /// Turn it on.
        enabled: Option<bool>,
    }

    #[test]
    fn inlined_strict_and_never_null() {
        let schema = of::<Example>("example");
        assert_eq!(schema["title"], "example");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["required"], json!(["name"]));
        let props = &schema["properties"];
        assert_eq!(props["namespace"]["type"], "string");
        assert_eq!(
            props["namespace"]["description"],
            "Where it goes, on two lines."
        );
        assert_eq!(props["port"]["type"], "integer");
        assert_eq!(props["port"]["minimum"], 1);
        assert_eq!(props["nested"]["type"], "object");
        assert_eq!(props["nested"]["description"], "Nested settings.");
        assert_eq!(props["nested"]["additionalProperties"], false);
        assert_eq!(props["nested"]["properties"]["enabled"]["type"], "boolean");
        assert!(
            !schema.to_string().contains("$ref") && !schema.to_string().contains("null"),
            "{schema}"
        );
    }
}
