//! Reading and writing manifest streams: multi-document YAML or JSON in, canonical YAML out.
//!
//! The host parses YAML once on the way in and writes YAML once on the way out; in between every
//! object is a JSON object. Output is canonical: keys sorted, one `---` before each document,
//! so the same objects always give the same bytes.

use crate::error;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One Kubernetes object.
pub type Object = Map<String, Value>;

/// Parses a YAML or JSON stream into objects: empty documents and comments are skipped,
/// `kind: List` (and `*List`) objects are flattened, and every object must have `apiVersion`,
/// `kind` and `metadata.name` (or `metadata.generateName`). `origin` names the stream in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    visit(text, origin, |obj| {
        objects.push(obj);
        Ok(())
    })?;
    Ok(objects)
}

/// [`parse`], one object at a time: `f` gets each object as soon as its document is read, so
/// a large YAML stream is never held as parsed values all at once.
pub fn visit(text: &str, origin: &str, mut f: impl FnMut(Object) -> Result<()>) -> Result<()> {
    if is_json_stream(text) {
        // Parsed one value at a time: a million objects are never held parsed together.
        let values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for (index, value) in values.enumerate() {
            // `is_json_stream` read it all already.
            let value = value.map_err(|e| error::input(format!("{origin}: invalid JSON: {e}")))?;
            if !value.is_null() {
                push_each(value, origin, index + 1, &mut f)?;
            }
        }
        return Ok(());
    }
    visit_yaml(text, origin, Position::default(), f).map(|_| ())
}

/// Whether `text` is a stream of concatenated JSON values, checked without keeping any of
/// them (see [`json_values`] for why a JSON-looking stream may still be YAML).
fn is_json_stream(text: &str) -> bool {
    let trimmed = text.trim_start();
    (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::Deserializer::from_str(text)
            .into_iter::<serde::de::IgnoredAny>()
            .all(|v| v.is_ok())
}

/// Where a piece of a longer YAML stream starts: lines and documents before it.
#[derive(Debug, Clone, Copy, Default)]
struct Position {
    /// Lines before the piece.
    lines: usize,
    /// Documents before the piece.
    documents: usize,
}

/// Visits the objects of a YAML piece that starts at `at` of its stream (errors give the
/// stream's document numbers and lines). Returns the number of documents in the piece.
fn visit_yaml(
    text: &str,
    origin: &str,
    at: Position,
    mut f: impl FnMut(Object) -> Result<()>,
) -> Result<usize> {
    yaml_documents(text, origin, at, |number, value| {
        push_each(value, origin, number, &mut f)
    })
}

/// Calls `f` with each non-empty document of a YAML piece that starts at `at` of its stream,
/// and the document's number in the stream. Returns the number of documents in the piece.
fn yaml_documents(
    text: &str,
    origin: &str,
    at: Position,
    mut f: impl FnMut(usize, Value) -> Result<()>,
) -> Result<usize> {
    let mut documents = 0;
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let number = at.documents + index + 1;
        documents = index + 1;
        let value =
            Value::deserialize(doc).map_err(|e| yaml_error(&e, origin, number, at.lines))?;
        if !value.is_null() {
            f(number, value)?;
        }
    }
    Ok(documents)
}

/// Hands each object of document `index` (a `List` is flattened) to `f`.
fn push_each(
    value: Value,
    origin: &str,
    index: usize,
    f: &mut impl FnMut(Object) -> Result<()>,
) -> Result<()> {
    let mut objects = Vec::new();
    push_value(value, origin, index, &mut objects)?;
    objects.into_iter().try_for_each(f)
}

/// Parses a YAML or JSON stream into its documents, as they are (empty documents skipped).
pub fn parse_values(text: &str, origin: &str) -> Result<Vec<Value>> {
    if let Some(values) = json_values(text) {
        return Ok(values);
    }
    let mut values = Vec::new();
    yaml_documents(text, origin, Position::default(), |_, value| {
        values.push(value);
        Ok(())
    })?;
    Ok(values)
}

/// A stream of concatenated JSON values is not YAML, so a stream that looks like JSON is read
/// as JSON first. YAML flow mappings also start with `{`, so on any JSON error this gives
/// `None` and the caller reads YAML, whose parser reads JSON documents too and gives the
/// better message. Nulls are dropped like empty documents.
fn json_values(text: &str) -> Option<Vec<Value>> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
        return None;
    }
    let values: std::result::Result<Vec<Value>, _> = serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect();
    values
        .ok()
        .map(|values| values.into_iter().filter(|v| !v.is_null()).collect())
}

/// An invalid YAML document as an input error naming document `number` and its line
/// (`lines` before the piece it was read from).
fn yaml_error(e: &serde_yaml::Error, origin: &str, number: usize, lines: usize) -> anyhow::Error {
    let at = e
        .location()
        .map(|l| format!(" at line {} column {}", lines + l.line(), l.column()))
        .unwrap_or_default();
    error::input(format!(
        "{origin}: document {number}: invalid YAML{at}: {}",
        strip_location(&e.to_string())
    ))
}

/// serde_yaml appends " at line L column C" itself; the caller puts the location first.
fn strip_location(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

fn push_value(value: Value, origin: &str, index: usize, out: &mut Vec<Object>) -> Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for item in items {
                push_value(item, origin, index, out)?;
            }
            Ok(())
        }
        Value::Object(mut obj) => {
            let is_list = obj
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && obj.get("items").is_some_and(Value::is_array);
            if is_list {
                if let Some(Value::Array(items)) = obj.remove("items") {
                    for item in items {
                        push_value(item, origin, index, out)?;
                    }
                }
                return Ok(());
            }
            validate(&obj)
                .map_err(|why| error::input(format!("{origin}: document {index}: {why}")))?;
            out.push(obj);
            Ok(())
        }
        other => Err(error::input(format!(
            "{origin}: document {index}: expected a Kubernetes object (a mapping), found {}",
            type_name(&other)
        ))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Checks that an object has the identity every Kubernetes object needs. Returns why not.
pub fn validate(obj: &Object) -> std::result::Result<(), String> {
    for key in ["apiVersion", "kind"] {
        match obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => return Err(format!("{key} must be a non-empty string")),
            None => return Err(format!("missing {key}")),
        }
    }
    let meta = match obj.get("metadata") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(format!("{}: metadata must be a mapping", describe(obj))),
        None => return Err(format!("{}: missing metadata", describe(obj))),
    };
    let named = |k: &str| matches!(meta.get(k), Some(Value::String(s)) if !s.is_empty());
    if !named("name") && !named("generateName") {
        return Err(format!("{}: missing metadata.name", describe(obj)));
    }
    if let Some(ns) = meta.get("namespace")
        && !ns.is_string()
    {
        return Err(format!(
            "{}: metadata.namespace must be a string",
            describe(obj)
        ));
    }
    Ok(())
}

fn str_of<'a>(obj: &'a Object, path: &[&str]) -> &'a str {
    let mut cur = obj.get(path[0]);
    for key in &path[1..] {
        cur = cur.and_then(|v| v.get(*key));
    }
    cur.and_then(Value::as_str).unwrap_or("")
}

/// `Kind/namespace/name` (or `Kind/name`) for messages, made safe to print (the names come
/// from untrusted input).
pub fn describe(obj: &Object) -> String {
    let kind = str_of(obj, &["kind"]);
    let name = match str_of(obj, &["metadata", "name"]) {
        "" => str_of(obj, &["metadata", "generateName"]),
        n => n,
    };
    describe_parts(kind, str_of(obj, &["metadata", "namespace"]), name)
}

/// `Kind/namespace/name`, or `Kind/name` when `namespace` is empty, each part made safe to
/// print ([`crate::text::safe`]).
pub fn describe_parts(kind: &str, namespace: &str, name: &str) -> String {
    use crate::text::safe;
    match namespace {
        "" => format!("{}/{}", safe(kind), safe(name)),
        ns => format!("{}/{}/{}", safe(kind), safe(ns), safe(name)),
    }
}

/// The identity that makes two objects the same object: group, kind, namespace, name (`None` for an object
/// named only by `generateName`).
pub fn identity(obj: &Object) -> Option<(String, String, String, String)> {
    identity_ref(obj)
        .map(|(g, k, ns, n)| (g.to_string(), k.to_string(), ns.to_string(), n.to_string()))
}

/// [`identity`], borrowed from the object: no allocation, for sets over large streams.
pub fn identity_ref(obj: &Object) -> Option<(&str, &str, &str, &str)> {
    let name = str_of(obj, &["metadata", "name"]);
    if name.is_empty() {
        return None; // generateName objects are distinct by construction
    }
    let group = str_of(obj, &["apiVersion"])
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or("");
    Some((
        group,
        str_of(obj, &["kind"]),
        str_of(obj, &["metadata", "namespace"]),
        name,
    ))
}

/// Writes objects as a YAML stream: `---` before each document, keys sorted.
pub fn write(objects: &[Object]) -> Result<String> {
    let mut out = String::new();
    for obj in objects {
        out.push_str("---\n");
        crate::emit::mapping_document(&mut out, obj);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_stream_with_comments_empty_docs_and_lists() {
        let text = "# leading comment\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n# only a comment\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: c}\n";
        let objs = parse(text, "stdin").unwrap();
        let names: Vec<_> = objs.iter().map(describe).collect();
        assert_eq!(names, ["ConfigMap/a", "ConfigMap/b", "Secret/c"]);
    }

    #[test]
    fn json_stream() {
        let text = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}} {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"#;
        assert_eq!(parse(text, "stdin").unwrap().len(), 2);
    }

    #[test]
    fn malformed_yaml_names_line_and_column() {
        let err = parse("apiVersion: v1\nkind: [unclosed\n", "stdin")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("stdin: document 1: invalid YAML at line"),
            "{err}"
        );
    }

    #[test]
    fn objects_need_identity() {
        let err = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "in.yaml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "in.yaml: document 1: ConfigMap/: missing metadata.name"
        );
        let err = parse("- 1\n", "in.yaml").unwrap_err().to_string();
        assert!(err.contains("expected a Kubernetes object"), "{err}");
        let err = parse("kind: X\nmetadata: {name: a}\n", "in.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("missing apiVersion"), "{err}");
    }

    #[test]
    fn output_is_canonical() {
        let a = parse(
            "{kind: ConfigMap, apiVersion: v1, metadata: {name: a}, data: {z: '1', b: '2'}}",
            "s",
        )
        .unwrap();
        let b = parse(
            "apiVersion: v1\ndata:\n  b: '2'\n  z: '1'\nkind: ConfigMap\nmetadata:\n  name: a\n",
            "s",
        )
        .unwrap();
        assert_eq!(write(&a).unwrap(), write(&b).unwrap());
        assert!(
            write(&a)
                .unwrap()
                .starts_with("---\napiVersion: v1\ndata:\n  b: '2'\n")
        );
    }
}
