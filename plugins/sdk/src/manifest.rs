//! One Kubernetes object as a plugin sees it, with typed access to its identity and metadata.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::cell::OnceCell;

/// Names one Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
}

/// A Kubernetes object: a JSON object with `apiVersion`, `kind` and `metadata`.
///
/// An object the host gave is kept as the JSON text it came in until something needs more than
/// its identity and metadata; one that nothing changed goes back as that same text. A plugin
/// that only checks most of its objects (and reads them with [`Manifest::peek`]) therefore
/// never holds them parsed, which on a large Helm release is most of its memory.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The whole object, once parsed (always set when `text` is `None`).
    map: OnceCell<Map<String, Value>>,
    /// The object as the host gave it, while nothing changed it.
    text: Option<String>,
    /// `apiVersion`, `kind` and `metadata` read from `text` (used while `map` is unset).
    head: Head,
}

/// The identity and labels of an object kept as text (everything else is skipped unparsed).
#[derive(Debug, Clone, Default, Deserialize)]
struct Head {
    #[serde(rename = "apiVersion", default)]
    api_version: Value,
    #[serde(default)]
    kind: Value,
    #[serde(default)]
    metadata: HeadMeta,
}

/// The part of `metadata` in [`Head`].
#[derive(Debug, Clone, Default, Deserialize)]
struct HeadMeta {
    #[serde(default)]
    name: Value,
    #[serde(default)]
    namespace: Value,
    /// Where the labels are in the text: plugins pick objects by them, so they are parsed
    /// on first use, not copied.
    #[serde(skip)]
    labels: Option<(u32, u32)>,
    #[serde(skip)]
    labels_parsed: OnceCell<Value>,
}

/// Where `metadata.labels` is in an object's text, read beside [`Head`].
#[derive(Deserialize)]
struct LabelsAt<'a> {
    #[serde(default, borrow)]
    metadata: Option<MetaLabelsAt<'a>>,
}

#[derive(Deserialize)]
struct MetaLabelsAt<'a> {
    #[serde(default, borrow)]
    labels: Option<&'a RawValue>,
}

/// The byte range of `part`, a slice of `text`.
fn range_in(text: &str, part: &str) -> Option<(u32, u32)> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= text.len()).then_some((u32::try_from(start).ok()?, u32::try_from(end).ok()?))
}

impl PartialEq for Manifest {
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl Manifest {
    /// Wraps a JSON object. Use [`Manifest::from_value`] for a value that may not be an object.
    pub fn new(object: Map<String, Value>) -> Self {
        Manifest {
            map: OnceCell::from(object),
            text: None,
            head: Head::default(),
        }
    }

    /// Wraps a JSON value, which must be an object.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Manifest::new(map)),
            _ => None,
        }
    }

    /// An object from the JSON text the host gave: checked to be one JSON object, but parsed
    /// only when something needs more than its identity and metadata. Errors say why.
    pub fn from_json(text: String) -> Result<Self, String> {
        if !text.trim_start().starts_with('{') {
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                Ok(_) => "is not a JSON object".to_string(),
                Err(e) => format!("is not JSON: {e}"),
            });
        }
        // Reading the head checks the whole text's syntax; the host gives objects nested at
        // most 128 deep (the contract), so the full parse later cannot fail either.
        let mut head: Head =
            serde_json::from_str(&text).map_err(|e| format!("is not JSON: {e}"))?;
        let at: LabelsAt<'_> =
            serde_json::from_str(&text).map_err(|e| format!("is not JSON: {e}"))?;
        head.metadata.labels = at
            .metadata
            .and_then(|m| m.labels)
            .and_then(|raw| range_in(&text, raw.get()));
        Ok(Manifest {
            map: OnceCell::new(),
            text: Some(text),
            head,
        })
    }

    /// A new object with `apiVersion`, `kind`, `metadata.name` and, if given,
    /// `metadata.namespace`.
    pub fn build(api_version: &str, kind: &str, name: &str, namespace: Option<&str>) -> Self {
        let mut m = Manifest::new(Map::new());
        m.set_api_version(api_version);
        m.as_map_mut().insert("kind".into(), kind.into());
        m.set_name(name);
        if let Some(ns) = namespace {
            m.set_namespace(ns);
        }
        m
    }

    /// The underlying JSON object (parsed now if it was kept as text).
    pub fn as_map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| match &self.text {
            Some(text) => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => map,
                // `from_json` checked the text is one object; the host bounds its depth.
                _ => unreachable!("manifest text was checked when it was decoded"),
            },
            None => Map::new(),
        })
    }

    /// The underlying JSON object, mutably; the object is then written out anew.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        self.as_map();
        self.text = None;
        match self.map.get_mut() {
            Some(map) => map,
            None => unreachable!("as_map just set it"),
        }
    }

    /// Unwraps into a JSON value.
    pub fn into_value(self) -> Value {
        self.as_map();
        Value::Object(self.map.into_inner().unwrap_or_default())
    }

    /// The object as JSON text: the host's own text when nothing changed it.
    pub fn into_json(self) -> String {
        match self.text {
            Some(text) => text,
            None => self.into_value().to_string(),
        }
    }

    fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// The value at `path` when it is an identity field and the object is kept as text.
    fn head_value(&self, path: &[&str]) -> Option<&Value> {
        if self.map.get().is_some() {
            return None;
        }
        match path {
            ["apiVersion"] => Some(&self.head.api_version),
            ["kind"] => Some(&self.head.kind),
            ["metadata", "name"] => Some(&self.head.metadata.name),
            ["metadata", "namespace"] => Some(&self.head.metadata.namespace),
            ["metadata", "labels"] => Some(self.head_labels()),
            ["metadata", "labels", key] => {
                Some(self.head_labels().get(*key).unwrap_or(&Value::Null))
            }
            _ => None,
        }
    }

    /// The labels of an object kept as text, parsed on first use.
    fn head_labels(&self) -> &Value {
        self.head.metadata.labels_parsed.get_or_init(|| {
            let text = self.text.as_deref().unwrap_or("");
            self.head
                .metadata
                .labels
                .and_then(|(start, end)| text.get(start as usize..end as usize))
                .and_then(|raw| serde_json::from_str(raw).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The value at a path of object keys, for example `["spec", "job", "jarURI"]`.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        if let Some(v) = self.head_value(path) {
            return (!v.is_null()).then_some(v);
        }
        let (first, rest) = path.split_first()?;
        let mut cur = self.as_map().get(*first)?;
        for key in rest {
            cur = cur.as_object()?.get(*key)?;
        }
        Some(cur)
    }

    /// The value at a path, read without keeping the object parsed: for checking an object
    /// the plugin does not change. A plugin that reads many objects this way holds only
    /// their text.
    pub fn peek(&self, path: &[&str]) -> Option<Value> {
        let (first, rest) = path.split_first()?;
        if self.map.get().is_some() || self.head_value(path).is_some() {
            return self.get(path).cloned();
        }
        let text = self.text.as_deref()?;
        let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
            return None;
        };
        let mut cur = map.remove(*first)?;
        for key in rest {
            cur = match cur {
                Value::Object(mut m) => m.remove(*key)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The value at a path of object keys, creating empty objects on the way (and replacing
    /// non-objects in the way).
    pub fn entry(&mut self, path: &[&str]) -> &mut Value {
        let mut cur: &mut Map<String, Value> = self.as_map_mut();
        let Some((last, parents)) = path.split_last() else {
            unreachable!("Manifest::entry needs a non-empty path")
        };
        for key in parents {
            let slot = cur
                .entry((*key).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            cur = match slot {
                Value::Object(map) => map,
                _ => unreachable!("just made an object"),
            };
        }
        cur.entry((*last).to_string()).or_insert(Value::Null)
    }

    /// Sets the value at a path, creating parents as needed.
    pub fn set(&mut self, path: &[&str], value: impl Into<Value>) {
        *self.entry(path) = value.into();
    }

    /// Removes and returns the value at a path.
    pub fn remove(&mut self, path: &[&str]) -> Option<Value> {
        let (last, parents) = path.split_last()?;
        let mut cur = self.as_map_mut();
        for key in parents {
            cur = cur.get_mut(*key)?.as_object_mut()?;
        }
        cur.remove(*last)
    }

    /// `apiVersion`, or `""`.
    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"]).unwrap_or_default()
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or_default()
    }

    /// `kind`, or `""`.
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"]).unwrap_or_default()
    }

    /// `metadata.name`, or `""`.
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"]).unwrap_or_default()
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.str_at(&["metadata", "namespace"])
    }

    /// Sets `apiVersion`.
    pub fn set_api_version(&mut self, api_version: &str) {
        self.as_map_mut()
            .insert("apiVersion".into(), api_version.into());
    }

    /// Sets `metadata.name`.
    pub fn set_name(&mut self, name: &str) {
        self.set(&["metadata", "name"], name);
    }

    /// Sets `metadata.namespace`.
    pub fn set_namespace(&mut self, namespace: &str) {
        self.set(&["metadata", "namespace"], namespace);
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.get(&["metadata", "labels", key])
            .and_then(Value::as_str)
    }

    /// Sets a label.
    pub fn set_label(&mut self, key: &str, value: &str) {
        self.set(&["metadata", "labels", key], value);
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.get(&["metadata", "annotations", key])
            .and_then(Value::as_str)
    }

    /// Sets an annotation.
    pub fn set_annotation(&mut self, key: &str, value: &str) {
        self.set(&["metadata", "annotations", key], value);
    }

    /// The object's identity, for diagnostics.
    pub fn reference(&self) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            name: self.name().to_string(),
            namespace: self.namespace().map(str::to_string),
        }
    }

    /// True when the object's kind is `kind` and its group is `group` (`""` for core).
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind() == kind && self.group() == group
    }
}

/// Selects manifests by group, kind, name and labels. Empty criteria match everything.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    group: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    labels: Vec<(String, String)>,
}

impl Selector {
    /// A selector that matches every manifest.
    pub fn any() -> Self {
        Self::default()
    }

    /// Matches objects of this kind (any group).
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_string());
        self
    }

    /// Matches objects of this API group (`""` for core).
    pub fn group(mut self, group: &str) -> Self {
        self.group = Some(group.to_string());
        self
    }

    /// Matches objects with this name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Matches objects carrying this label value (all given labels must match).
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.to_string(), value.to_string()));
        self
    }

    /// True when `m` matches every criterion.
    pub fn matches(&self, m: &Manifest) -> bool {
        self.group.as_deref().is_none_or(|g| m.group() == g)
            && self.kind.as_deref().is_none_or(|k| m.kind() == k)
            && self.name.as_deref().is_none_or(|n| m.name() == n)
            && self
                .labels
                .iter()
                .all(|(k, v)| m.label(k) == Some(v.as_str()))
    }

    /// The matching manifests, mutably.
    pub fn select_mut<'a>(
        &'a self,
        manifests: &'a mut [Manifest],
    ) -> impl Iterator<Item = &'a mut Manifest> + 'a {
        manifests.iter_mut().filter(move |m| self.matches(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_labels_and_selection() {
        let mut m = Manifest::build("apps/v1", "Deployment", "op", Some("confluent"));
        m.set_label("app", "x");
        m.set(&["spec", "replicas"], 2);
        assert_eq!(m.group(), "apps");
        assert_eq!(m.get(&["spec", "replicas"]), Some(&json!(2)));
        assert!(
            Selector::any()
                .kind("Deployment")
                .label("app", "x")
                .matches(&m)
        );
        assert!(!Selector::any().group("").matches(&m));
        assert_eq!(m.remove(&["spec", "replicas"]), Some(json!(2)));
        let core = Manifest::build("v1", "Service", "s", None);
        assert_eq!(core.group(), "");
        assert_eq!(core.namespace(), None);
    }

    #[test]
    fn text_is_kept_until_changed() {
        let text = r#"{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"labels":{"a":"b"},"name":"c"}}"#;
        let m = Manifest::from_json(text.to_string()).unwrap();
        assert!(m.is("", "ConfigMap"));
        assert_eq!(
            (m.name(), m.namespace(), m.api_version()),
            ("c", None, "v1")
        );
        assert_eq!(m.peek(&["data", "k"]), Some(json!("v")));
        assert!(
            m.map.get().is_none(),
            "identity, labels and peek do not parse"
        );
        assert_eq!(m.get(&["data", "k"]), Some(&json!("v")));
        assert_eq!(
            m.clone().into_json(),
            text,
            "read, not changed: the same text"
        );
        let mut changed = m;
        changed.set(&["data", "k"], "w");
        assert_eq!(
            changed.clone().into_json(),
            text.replace(r#""v""#, r#""w""#)
        );
        assert_eq!(changed.name(), "c");

        assert_eq!(
            Manifest::from_json("[1, 2]".into()).unwrap_err(),
            "is not a JSON object"
        );
        assert!(
            Manifest::from_json("{".into())
                .unwrap_err()
                .starts_with("is not JSON")
        );
    }
}
