//! One Kubernetes object as a plugin sees it, with typed access to its identity and metadata.

use serde_json::{Map, Value};

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
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest(Map<String, Value>);

impl Manifest {
    /// Wraps a JSON object. Use [`Manifest::from_value`] for a value that may not be an object.
    pub fn new(object: Map<String, Value>) -> Self {
        Manifest(object)
    }

    /// Wraps a JSON value, which must be an object.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Manifest(map)),
            _ => None,
        }
    }

    /// A new object with `apiVersion`, `kind`, `metadata.name` and, if given,
    /// `metadata.namespace`.
    pub fn build(api_version: &str, kind: &str, name: &str, namespace: Option<&str>) -> Self {
        let mut m = Manifest(Map::new());
        m.0.insert("apiVersion".into(), api_version.into());
        m.0.insert("kind".into(), kind.into());
        m.set_name(name);
        if let Some(ns) = namespace {
            m.set_namespace(ns);
        }
        m
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The underlying JSON object, mutably.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    /// Unwraps into a JSON value.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// The value at a path of object keys, for example `["spec", "job", "jarURI"]`.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let mut cur = self.0.get(*first)?;
        for key in rest {
            cur = cur.as_object()?.get(*key)?;
        }
        Some(cur)
    }

    /// The value at a path of object keys, creating empty objects on the way (and replacing
    /// non-objects in the way).
    pub fn entry(&mut self, path: &[&str]) -> &mut Value {
        let mut cur: &mut Map<String, Value> = &mut self.0;
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
        let mut cur = &mut self.0;
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
        self.0.insert("apiVersion".into(), api_version.into());
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
}
