//! The stream as a pipeline run holds it between plugins.
//!
//! Every object is held as text, never as parsed values: as compact JSON (what plugins are given
//! and what they return, passed on without re-encoding), or, once no plugin of the run will be
//! given it, as its final YAML document. Its identity and Helm file are read once, when it
//! enters. A large Helm release is therefore parsed one object at a time, and an object no
//! plugin selects is written out as it is read.

use crate::error;
use crate::render::HELM_FILENAME;
use crate::stream::{self, Object};
use anyhow::Result;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;

/// What the host knows of an object without parsing it again: group, kind, namespace,
/// name, `generateName` and Helm's file annotation, in one allocation (a large release has
/// tens of thousands of objects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id {
    /// The fields one after another.
    text: Box<str>,
    /// Where each field ends in `text`.
    ends: [u32; 6],
    /// Whether the object has Helm's file annotation (the last field).
    has_helm_file: bool,
}

impl Id {
    /// The identity of a parsed object that passed [`stream::validate`].
    pub fn of(obj: &Object) -> Id {
        let meta = obj.get("metadata").and_then(Value::as_object);
        fn text<'a>(m: Option<&'a Object>, key: &str) -> &'a str {
            m.and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
        }
        let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let helm_file = meta
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(HELM_FILENAME))
            .and_then(Value::as_str);
        Id::new(
            [
                api.rsplit_once('/').map(|(g, _)| g).unwrap_or(""),
                text(Some(obj), "kind"),
                text(meta, "namespace"),
                text(meta, "name"),
                text(meta, "generateName"),
            ],
            helm_file,
        )
    }

    fn new(fields: [&str; 5], helm_file: Option<&str>) -> Id {
        let mut text = String::new();
        let mut ends = [0u32; 6];
        for (i, field) in fields.iter().chain([&helm_file.unwrap_or("")]).enumerate() {
            text.push_str(field);
            // Streams are bounded far below 4 GiB (FLINKWASM_MAX_INPUT), so are their fields.
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Id {
            text: text.into_boxed_str(),
            ends,
            has_helm_file: helm_file.is_some(),
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }

    /// API group, `""` for the core group.
    pub fn group(&self) -> &str {
        self.field(0)
    }

    /// Kind.
    pub fn kind(&self) -> &str {
        self.field(1)
    }

    /// `metadata.namespace`, `""` when unset.
    pub fn namespace(&self) -> &str {
        self.field(2)
    }

    /// `metadata.name`, `""` for an object named only by `generateName`.
    pub fn name(&self) -> &str {
        self.field(3)
    }

    /// `metadata.generateName`, `""` when unset.
    pub fn generate_name(&self) -> &str {
        self.field(4)
    }

    /// Helm's `postrenderer.helm.sh/postrender-filename` annotation, if set.
    pub fn helm_file(&self) -> Option<&str> {
        self.has_helm_file.then(|| self.field(5))
    }

    /// The same identity with Helm's file annotation set to `file`.
    fn with_helm_file(&self, file: &str) -> Id {
        Id::new(
            [
                self.group(),
                self.kind(),
                self.namespace(),
                self.name(),
                self.generate_name(),
            ],
            Some(file),
        )
    }

    /// Group, kind, namespace and name: what makes two objects the same object (`None` for
    /// an object named only by `generateName`, distinct by construction).
    pub fn key(&self) -> Option<(&str, &str, &str, &str)> {
        (!self.name().is_empty())
            .then(|| (self.group(), self.kind(), self.namespace(), self.name()))
    }

    /// `Kind/namespace/name` (or `Kind/name`) for messages, like [`stream::describe`].
    pub fn describe(&self) -> String {
        let name = match self.name() {
            "" => self.generate_name(),
            name => name,
        };
        match self.namespace() {
            "" => format!("{}/{name}", self.kind()),
            ns => format!("{}/{ns}/{name}", self.kind()),
        }
    }
}

/// One object of the stream.
#[derive(Debug)]
pub struct Entry {
    /// Its identity, read when it entered.
    pub id: Id,
    body: Body,
}

#[derive(Debug)]
enum Body {
    /// Compact JSON: what a plugin is given.
    Json(String),
    /// The final YAML document, `---` line included: no plugin of the run is given it.
    Yaml(String),
}

impl Entry {
    /// A parsed object (already validated): kept as JSON when `selected` says a plugin will
    /// be given it, else written as its final YAML document at once.
    pub fn new(obj: &Object, selected: impl FnOnce(&Id) -> bool) -> Result<Entry> {
        let id = Id::of(obj);
        let body = if selected(&id) {
            Body::Json(json_of(obj)?)
        } else {
            Body::Yaml(yaml_of(obj))
        };
        Ok(Entry { id, body })
    }

    /// An object a plugin returned, as JSON text: checked to be a JSON object with a
    /// Kubernetes identity without parsing all of it. An error is the end of a sentence that
    /// names the manifest (` is not JSON: …`, `: missing apiVersion`).
    pub fn returned(text: String) -> std::result::Result<Entry, String> {
        // serde reads a struct from a JSON array too, so only an object may reach `Head`.
        if !text.trim_start().starts_with('{') {
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                Ok(_) => " is not a JSON object".to_string(),
                Err(e) => format!(" is not JSON: {e}"),
            });
        }
        let head: Head = serde_json::from_str(&text).map_err(|e| format!(" is not JSON: {e}"))?;
        // Reading the head checks the whole text's syntax but not its depth; the full parse
        // when the object is written out must not fail.
        if depth(&text) > MAX_DEPTH {
            return Err(format!(" is nested deeper than {MAX_DEPTH} levels"));
        }
        let mut obj = Object::new();
        for (key, value) in [
            ("apiVersion", head.api_version),
            ("kind", head.kind),
            ("metadata", head.metadata),
        ] {
            if let Some(value) = value {
                obj.insert(key.to_string(), value);
            }
        }
        stream::validate(&obj).map_err(|why| format!(": {why}"))?;
        Ok(Entry {
            id: Id::of(&obj),
            body: Body::Json(text),
        })
    }

    /// The JSON text a plugin is given, taken out of the entry (which is then empty until its
    /// slot is filled again). `None` for an entry already written as YAML.
    fn take_json(&mut self) -> Option<String> {
        match &mut self.body {
            Body::Json(text) => Some(std::mem::take(text)),
            Body::Yaml(_) => None,
        }
    }

    /// Sets Helm's file annotation to `file` (the object lacks it).
    fn set_helm_file(&mut self, file: String) -> Result<()> {
        let Body::Json(text) = &mut self.body else {
            return Ok(());
        };
        let mut obj: Object = serde_json::from_str(text).map_err(anyhow::Error::from)?;
        if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
            let ann = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if !ann.is_object() {
                *ann = Value::Object(Default::default());
            }
            if let Value::Object(ann) = ann {
                ann.insert(HELM_FILENAME.to_string(), Value::String(file.clone()));
            }
        }
        *text = serde_json::to_string(&obj).map_err(anyhow::Error::from)?;
        self.id = self.id.with_helm_file(&file);
        Ok(())
    }

    /// The object, parsed again.
    pub fn object(&self) -> Result<Object> {
        match &self.body {
            Body::Json(text) => serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", self.id.describe())),
            Body::Yaml(text) => stream::parse(text, &self.id.describe())?
                .pop()
                .ok_or_else(|| anyhow::anyhow!("{}: empty document", self.id.describe())),
        }
    }

    /// Writes the entry as its final YAML document.
    fn finish(&mut self) -> Result<()> {
        if let Body::Json(text) = &self.body {
            let obj: Object = serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", self.id.describe()))?;
            self.body = Body::Yaml(yaml_of(&obj));
        }
        Ok(())
    }
}

/// The three fields an identity needs; every other field is skipped unparsed.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "apiVersion")]
    api_version: Option<Value>,
    kind: Option<Value>,
    metadata: Option<Value>,
}

/// The deepest nesting serde_json parses (its recursion limit).
const MAX_DEPTH: usize = 128;

/// The deepest nesting of arrays and objects in JSON text (strings skipped).
fn depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

// Texts are written into one reused buffer and then copied to an allocation of their exact
// size: growing each text in place would leave a trail of freed smaller buffers between the
// long-lived ones, and on a large stream that fragmentation is a third of the peak memory.
thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The object as compact JSON, in an exactly sized allocation.
fn json_of(obj: &Object) -> Result<String> {
    SCRATCH.with_borrow_mut(|buf| {
        buf.clear();
        // A JSON map of JSON values always serialises, as UTF-8.
        serde_json::to_writer(&mut *buf, obj).map_err(anyhow::Error::from)?;
        String::from_utf8(buf.clone()).map_err(anyhow::Error::from)
    })
}

/// The object as its final YAML document (`---` line included), in an exactly sized
/// allocation.
fn yaml_of(obj: &Object) -> String {
    YAML_SCRATCH.with_borrow_mut(|out| {
        out.clear();
        out.push_str("---\n");
        crate::emit::mapping_document(out, obj);
        out.clone()
    })
}

thread_local! {
    static YAML_SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The stream of a pipeline run, in order.
#[derive(Debug, Default)]
pub struct Held {
    entries: Vec<Entry>,
}

impl Held {
    /// An empty stream.
    pub fn new() -> Held {
        Held::default()
    }

    /// Appends an entry.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the stream has no object.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The objects' identities, in order.
    pub fn ids(&self) -> impl Iterator<Item = &Id> {
        self.entries.iter().map(|e| &e.id)
    }

    /// Objects with the same group, kind, namespace and name, as one message naming each.
    pub fn duplicates(&self) -> Option<String> {
        let mut seen: HashMap<_, usize> = HashMap::with_capacity(self.entries.len());
        let mut dups = Vec::new();
        for (i, id) in self.ids().enumerate() {
            if let Some(key) = id.key()
                && let Some(first) = seen.insert(key, i)
            {
                dups.push(format!(
                    "{} (objects {} and {})",
                    id.describe(),
                    first + 1,
                    i + 1
                ));
            }
        }
        (!dups.is_empty()).then(|| format!("duplicate objects: {}", dups.join(", ")))
    }

    /// Takes out the JSON of the objects `given` marks, in order, for a plugin. Their entries
    /// stay, empty, until [`Held::merge`] fills or drops them.
    pub fn take_given(&mut self, given: &[bool]) -> Result<Vec<String>> {
        self.entries
            .iter_mut()
            .zip(given)
            .filter(|(_, g)| **g)
            .map(|(e, _)| {
                e.take_json().ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} was written out early, yet a plugin selects it",
                        e.id.describe()
                    )
                })
            })
            .collect()
    }

    /// Puts Helm's file annotation back on every object a plugin returned without one: the
    /// annotation of the given object with its identity (`given` marks what the plugin was
    /// given; their entries keep their identities while it runs), else
    /// `flinkwasm/<plugin>.yaml`. Nothing to do for a stream without them (Helm 3, plain
    /// stdin), and nothing is built while the plugin runs.
    pub fn restore_helm_files(
        &self,
        given: &[bool],
        returned: &mut [Entry],
        plugin: &str,
    ) -> Result<()> {
        if returned.iter().all(|e| e.id.helm_file().is_some())
            || !self.ids().any(|id| id.helm_file().is_some())
        {
            return Ok(());
        }
        let files: HashMap<String, &str> = self
            .entries
            .iter()
            .zip(given)
            .filter(|(_, g)| **g)
            .filter_map(|(e, _)| Some((e.id.describe(), e.id.helm_file()?)))
            .collect();
        for entry in returned.iter_mut().filter(|e| e.id.helm_file().is_none()) {
            let file = files
                .get(&entry.id.describe())
                .map(|f| f.to_string())
                .unwrap_or_else(|| format!("flinkwasm/{plugin}.yaml"));
            entry.set_helm_file(file)?;
        }
        Ok(())
    }

    /// The stream after a plugin that was given the objects `given` marks: a withheld object
    /// stays where it was, a returned object takes the place of the given object with its
    /// identity, given objects not returned are gone, and the objects the plugin added follow
    /// at the end. An object returned with the identity of a withheld one is an attempt to
    /// replace what the plugin was not given, and fails the run.
    pub fn merge(&mut self, plugin: &str, given: &[bool], returned: Vec<Entry>) -> Result<()> {
        let before = std::mem::take(&mut self.entries);
        {
            let withheld: std::collections::HashSet<_> = before
                .iter()
                .zip(given)
                .filter(|(_, g)| !**g)
                .filter_map(|(e, _)| e.id.key())
                .collect();
            if let Some(forged) = returned
                .iter()
                .find(|e| e.id.key().is_some_and(|k| withheld.contains(&k)))
            {
                return Err(error::plugin(format!(
                    "plugin {plugin}: returned {}, an object it was not given (outside its \
                     select); a plugin may only change the objects it selects",
                    forged.id.describe()
                )));
            }
        }
        // Where each returned object goes: the slot of the given object with its identity.
        let slots: Vec<Option<usize>> = {
            let given_at: HashMap<_, usize> = before
                .iter()
                .enumerate()
                .filter(|(i, _)| given[*i])
                .filter_map(|(i, e)| Some((e.id.key()?, i)))
                .collect();
            returned
                .iter()
                .map(|e| e.id.key().and_then(|k| given_at.get(&k).copied()))
                .collect()
        };
        let mut placed: Vec<Option<Entry>> = before
            .into_iter()
            .zip(given)
            .map(|(e, g)| (!*g).then_some(e))
            .collect();
        let mut added = Vec::new();
        for (entry, slot) in returned.into_iter().zip(slots) {
            match slot {
                Some(i) if placed[i].is_none() => placed[i] = Some(entry),
                _ => added.push(entry),
            }
        }
        self.entries = placed.into_iter().flatten().chain(added).collect();
        Ok(())
    }

    /// Replaces the whole stream (a plugin given every object returns the whole stream).
    pub fn replace(&mut self, entries: Vec<Entry>) {
        self.entries = entries;
    }

    /// Writes every object as its final YAML document, one at a time, so the JSON and the
    /// YAML of the whole stream are never held together.
    pub fn finish(&mut self) -> Result<()> {
        self.entries.iter_mut().try_for_each(Entry::finish)
    }

    /// Writes the stream (after [`Held::finish`]) as canonical YAML, `---` before each object.
    pub fn write_to(&self, out: &mut impl Write) -> Result<()> {
        for entry in &self.entries {
            match &entry.body {
                Body::Yaml(text) => out.write_all(text.as_bytes())?,
                Body::Json(_) => anyhow::bail!(
                    "{}: written before the stream was finished",
                    entry.id.describe()
                ),
            }
        }
        Ok(())
    }

    /// The stream as canonical YAML text.
    pub fn to_yaml(&mut self) -> Result<String> {
        self.finish()?;
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        // Only the emitter's UTF-8 text was written.
        String::from_utf8(out).map_err(anyhow::Error::from)
    }

    /// The objects, parsed again (for callers that need values: KRM's `ResourceList`, checks).
    pub fn objects(&self) -> Result<Vec<Object>> {
        self.entries.iter().map(Entry::object).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> Object {
        stream::parse(text, "t").unwrap().pop().unwrap()
    }

    #[test]
    fn json_and_yaml_entries_write_the_same_bytes() {
        let o = obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {on: 'yes'}}");
        let mut held = Held::new();
        held.push(Entry::new(&o, |_| true).unwrap());
        held.push(Entry::new(&o, |_| false).unwrap());
        let text = held.to_yaml().unwrap();
        let (a, b) = text[4..].split_once("---\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(text, stream::write(&[o.clone(), o]).unwrap());
    }

    #[test]
    fn returned_text_is_checked_without_full_parse() {
        let e = Entry::returned(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","annotations":{"postrenderer.helm.sh/postrender-filename":"t/d.yaml"}},"spec":{}}"#.into(),
        )
        .unwrap();
        assert_eq!(e.id.key(), Some(("apps", "Deployment", "n", "d")));
        assert_eq!(e.id.helm_file(), Some("t/d.yaml"));
        assert_eq!(
            Entry::returned("[1]".into()).unwrap_err(),
            " is not a JSON object"
        );
        assert_eq!(
            Entry::returned("[1, 2, 3]".into()).unwrap_err(),
            " is not a JSON object"
        );
        assert!(
            Entry::returned("{oops".into())
                .unwrap_err()
                .starts_with(" is not JSON")
        );
        let deep = format!(
            r#"{{"apiVersion":"v1","kind":"X","metadata":{{"name":"a"}},"x":{}1{}}}"#,
            "[".repeat(130),
            "]".repeat(130)
        );
        assert!(
            Entry::returned(deep)
                .unwrap_err()
                .contains("deeper than 128")
        );
        assert_eq!(
            Entry::returned(r#"{"kind":"X","metadata":{"name":"a"}}"#.into()).unwrap_err(),
            ": missing apiVersion"
        );
    }

    #[test]
    fn duplicates_are_found_by_group_kind_namespace_name() {
        let objs = stream::parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: y}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n", "s").unwrap();
        let mut held = Held::new();
        for o in &objs {
            held.push(Entry::new(o, |_| false).unwrap());
        }
        assert_eq!(
            held.duplicates().unwrap(),
            "duplicate objects: ConfigMap/x/a (objects 1 and 3)"
        );
    }

    #[test]
    fn merge_keeps_withheld_in_place_and_refuses_forgery() {
        let a = obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}");
        let b = obj("{apiVersion: v1, kind: Secret, metadata: {name: b}}");
        let mut held = Held::new();
        held.push(Entry::new(&a, |_| true).unwrap());
        held.push(Entry::new(&b, |_| false).unwrap());
        let given = [true, false];
        let json = held.take_given(&given).unwrap();
        let mut back: Vec<Entry> = json
            .into_iter()
            .map(|t| Entry::returned(t).unwrap())
            .collect();
        back.push(
            Entry::new(
                &obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"),
                |_| true,
            )
            .unwrap(),
        );
        held.merge("p", &given, back).unwrap();
        let names: Vec<_> = held.ids().map(Id::describe).collect();
        assert_eq!(names, ["ConfigMap/a", "Secret/b", "ConfigMap/c"]);

        let forged = vec![Entry::new(&b, |_| true).unwrap()];
        let err = held.merge("p", &[false, false, false], forged).unwrap_err();
        assert!(
            err.to_string()
                .contains("returned Secret/b, an object it was not given")
        );
    }
}
