//! The stream as a pipeline run holds it between plugins.
//!
//! Every object is held as text, never as parsed values: as compact JSON (what plugins are given
//! and what they return, passed on without re-encoding), or, once no plugin of the run will be
//! given it, as its final YAML document. Its identity and Helm file are read once, when it
//! enters. A large Helm release is therefore parsed one object at a time, and an object no
//! plugin selects is written out as it is read.

use crate::error;
use crate::returned::Refusal;
use crate::scope::Scope;
use crate::stream::{self, Object};
use anyhow::Result;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;

/// Helm 4 splits a post-rendered stream back into its template files by this annotation, so
/// every object must carry it; the stream reads it once per object, as part of its identity
/// (the rules a plugin must keep about it are `annotations.rs`').
pub const HELM_FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

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

    /// Group, kind, the namespace the object lands in (see [`Scope::landing`]) and name: what
    /// makes two objects the same object on the cluster (`None` for an object named only by
    /// `generateName`, distinct by construction).
    pub fn key<'a>(&'a self, scope: &'a Scope) -> Option<Key<'a>> {
        (!self.name().is_empty()).then(|| {
            (
                self.group(),
                self.kind(),
                scope.landing(self.group(), self.kind(), self.namespace()),
                self.name(),
            )
        })
    }

    /// `Kind/namespace/name` (or `Kind/name`) for messages, like [`stream::describe`].
    pub fn describe(&self) -> String {
        let name = match self.name() {
            "" => self.generate_name(),
            name => name,
        };
        stream::describe_parts(self.kind(), self.namespace(), name)
    }
}

/// What makes an object itself on the cluster: group, kind, namespace (as it lands), name.
pub type Key<'a> = (&'a str, &'a str, &'a str, &'a str);

/// One object of the stream.
#[derive(Debug)]
pub struct Entry {
    /// Its identity, read when it entered.
    pub id: Id,
    /// Whether the Go tools would take it as a list and apply the objects it holds instead
    /// ([`is_list`]).
    pub list: bool,
    body: Body,
}

/// Whether the Go tools take `obj` as a list of objects rather than as one: kubectl's and
/// Helm's resource builder and Argo CD take any object with a top-level `items` field
/// (`Unstructured.IsList`), kustomize and kpt a kind ending in `List`. What such an object
/// holds is applied, yet no identity, scope or policy check has seen it.
pub fn is_list(obj: &Object) -> bool {
    obj.contains_key("items") || is_list_kind(obj)
}

fn is_list_kind(obj: &Object) -> bool {
    obj.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
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
        if let Err(why) = readable_keys(obj) {
            return Err(error::input(format!("{} {why}", id.describe())));
        }
        within_bound(obj, &id)?;
        let body = if selected(&id) {
            Body::Json(json_of(obj)?)
        } else {
            Body::Yaml(yaml_of(obj))
        };
        Ok(Entry {
            id,
            list: is_list(obj),
            body,
        })
    }

    /// An object a plugin returned, as JSON text, checked in one pass without being kept
    /// parsed ([`crate::returned::check`]: syntax, depth, numbers, keys the Go readers drop).
    /// Returns the entry, the object's head (`apiVersion`, `kind`, `metadata`) and what it
    /// costs the host ([`crate::returned::Checked::cost`]).
    pub fn returned(text: String) -> std::result::Result<(Entry, Object, usize), Refusal> {
        let checked = crate::returned::check(&text)?;
        let (head, cost) = (checked.head, checked.cost);
        stream::validate(&head).map_err(Refusal::Identity)?;
        let entry = Entry {
            id: Id::of(&head),
            list: checked.items || is_list_kind(&head),
            body: Body::Json(text),
        };
        Ok((entry, head, cost))
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
    pub(crate) fn set_helm_file(&mut self, file: String) -> Result<()> {
        let Body::Json(text) = &mut self.body else {
            return Ok(());
        };
        let mut obj: Object = parse_json(text)?;
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
            Body::Json(text) => {
                parse_json(text).map_err(|e| anyhow::anyhow!("{}: {e}", self.id.describe()))
            }
            Body::Yaml(text) => stream::parse(text, &self.id.describe())?
                .pop()
                .ok_or_else(|| anyhow::anyhow!("{}: empty document", self.id.describe())),
        }
    }

    /// What holding the entry costs: its text and [`OBJECT_OVERHEAD`].
    fn size(&self) -> usize {
        OBJECT_OVERHEAD
            + match &self.body {
                Body::Json(t) | Body::Yaml(t) => t.len(),
            }
    }

    /// Writes the entry as its final YAML document.
    fn finish(&mut self) -> Result<()> {
        if let Body::Json(text) = &self.body {
            let obj: Object =
                parse_json(text).map_err(|e| anyhow::anyhow!("{}: {e}", self.id.describe()))?;
            within_bound(&obj, &self.id)?;
            self.body = Body::Yaml(yaml_of(&obj));
        }
        Ok(())
    }
}

/// Refuses what the Go YAML readers would not read back as written (see [`crate::returned`]):
/// `<<` keys, keys longer than go-yaml accepts, strings with characters they refuse. Returns
/// why, naming where.
fn readable_keys(obj: &Object) -> std::result::Result<(), String> {
    fn map<'a>(m: &'a Object, path: &mut Vec<&'a str>) -> std::result::Result<(), String> {
        for (k, child) in m {
            text(k, path)?;
            if k == "<<" || !crate::emit::key_fits(k) {
                let at = match path.is_empty() {
                    true => String::new(),
                    false => format!(" under {}", crate::text::safe(&path.join("."))),
                };
                return Err(if k == "<<" {
                    format!(
                        "has a key `<<`{at}: the Go YAML readers (kubectl, Helm, Argo CD) take it \
                         as a merge key and drop it; write the keys out"
                    )
                } else {
                    format!(
                        "has a key of {} characters{at}, longer than the Go YAML readers accept \
                         (1,024)",
                        k.chars().count()
                    )
                });
            }
            path.push(k);
            value(child, path)?;
            path.pop();
        }
        Ok(())
    }
    fn text(s: &str, path: &[&str]) -> std::result::Result<(), String> {
        match s.chars().find(|c| crate::emit::go_unreadable(*c)) {
            None => Ok(()),
            Some(c) => Err(format!(
                "has a string with the character U+{:04X} at {}, which the Go YAML readers \
                 (kubectl kustomize, kpt) do not read back; remove it",
                c as u32,
                crate::text::safe(&path.join("."))
            )),
        }
    }
    fn value<'a>(v: &'a Value, path: &mut Vec<&'a str>) -> std::result::Result<(), String> {
        match v {
            Value::Object(m) => map(m, path),
            Value::Array(items) => items.iter().try_for_each(|item| value(item, path)),
            Value::String(s) => text(s, path),
            _ => Ok(()),
        }
    }
    map(obj, &mut Vec::new())
}

/// Parses a held JSON text. Held texts were checked on the way in: nested at most
/// [`crate::returned::MAX_DEPTH`] levels, which serde_json's own limit (one level less) would
/// refuse.
fn parse_json(text: &str) -> Result<Object> {
    use serde::Deserialize as _;
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let obj = Object::deserialize(&mut de)?;
    de.end()?;
    Ok(obj)
}

// Texts are written into one reused buffer and then copied to an allocation of their exact
// size: growing each text in place would leave a trail of freed smaller buffers between the
// long-lived ones, and on a large stream that fragmentation is a third of the peak memory.
thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `total` with `entry` counted, or an error once the stream passes its bound.
fn charge(total: usize, entry: &Entry) -> Result<usize> {
    let total = total.saturating_add(entry.size());
    if total > max_stream() {
        return Err(error::input(format!(
            "the stream comes to more than {} MiB (its YAML, and {} bytes for each object) by \
             {}; split it, or raise FLINKWASM_MAX_OUTPUT",
            max_stream() >> 20,
            OBJECT_OVERHEAD,
            entry.id.describe()
        )));
    }
    Ok(total)
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

/// The most a run's stream may come to as YAML, with [`OBJECT_OVERHEAD`] for each object,
/// unless `FLINKWASM_MAX_OUTPUT` says otherwise: far above any stack or chart, and a bound on
/// what a hostile input or repository makes the host hold (YAML indents every line to its
/// depth, so a small input can become a large stream).
pub const DEFAULT_MAX_STREAM: usize = 256 << 20;

/// What the host keeps of each object besides its text (its identity, its slot, the
/// allocator's share), counted with it: a million tiny objects cost far more than their bytes.
pub const OBJECT_OVERHEAD: usize = 1024;

/// The bound on the stream: `FLINKWASM_MAX_OUTPUT`, else [`DEFAULT_MAX_STREAM`].
fn max_stream() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| match std::env::var("FLINKWASM_MAX_OUTPUT") {
        Ok(v) => crate::pipeline::parse_bytes(&v).unwrap_or_else(|| {
            tracing::warn!(
                "FLINKWASM_MAX_OUTPUT={} is not a size such as 256Mi; using 256Mi",
                crate::text::safe(&v)
            );
            DEFAULT_MAX_STREAM
        }),
        Err(_) => DEFAULT_MAX_STREAM,
    })
}

/// Refuses `obj` when its YAML alone could pass the stream's bound, before it is written.
fn within_bound(obj: &Object, id: &Id) -> Result<()> {
    let cost = crate::emit::document_cost(obj);
    if cost > max_stream() {
        return Err(error::input(format!(
            "{} would come to about {} MiB as YAML, more than the {} MiB a stream may be \
             (FLINKWASM_MAX_OUTPUT); YAML indents every line to its depth",
            id.describe(),
            cost >> 20,
            max_stream() >> 20
        )));
    }
    Ok(())
}

/// The stream of a pipeline run, in order, and where its objects land.
#[derive(Debug, Default)]
pub struct Held {
    entries: Vec<Entry>,
    scope: Scope,
    /// What the objects read so far cost (their text and [`OBJECT_OVERHEAD`] each).
    read_bytes: usize,
}

/// The objects a plugin is given, out of the stream while it runs: their JSON (which moves
/// into the plugin) and a fingerprint of each, so the host can tell afterwards which objects
/// the plugin changed without keeping a copy of them.
pub struct Given {
    /// The JSON texts, in stream order.
    pub texts: Vec<String>,
    /// Each given object's fingerprint, by its place in the stream (0 for the others).
    prints: Vec<u64>,
    /// Keyed with a secret of this process: a plugin cannot make a changed object print as
    /// the one it was given.
    hasher: std::hash::RandomState,
}

impl Given {
    fn print(&self, text: &str) -> u64 {
        use std::hash::BuildHasher as _;
        self.hasher.hash_one(text)
    }
}

/// What the host knows of a returned object before it joins the stream.
pub struct Returned {
    /// The object.
    pub entry: Entry,
    /// The place in the stream of the given object with the same identity, if any.
    pub origin: Option<usize>,
    /// Whether the plugin added the object or changed it (false: returned as given).
    pub written: bool,
}

impl Held {
    /// An empty stream whose objects land as `scope` says.
    pub fn new(scope: Scope) -> Held {
        Held {
            entries: Vec::new(),
            scope,
            read_bytes: 0,
        }
    }

    /// Where the stream's objects land.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Appends an entry (learning the scope of the kind it defines, if it is a CRD).
    pub fn push(&mut self, entry: Entry) -> Result<()> {
        self.read_bytes = charge(self.read_bytes, &entry)?;
        self.learn(&entry)?;
        self.entries.push(entry);
        Ok(())
    }

    fn learn(&mut self, entry: &Entry) -> Result<()> {
        if entry.id.kind() == "CustomResourceDefinition" {
            self.scope.learn(&entry.object()?);
        }
        Ok(())
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

    /// The identity of the object at `index`.
    pub fn id(&self, index: usize) -> Option<&Id> {
        self.entries.get(index).map(|e| &e.id)
    }

    /// The namespaces the stream uses: where its namespaced objects land, and the Namespace
    /// objects it holds.
    pub fn namespaces(&self) -> std::collections::BTreeSet<&str> {
        let mut out = std::collections::BTreeSet::new();
        for id in self.ids() {
            match self.scope.landing(id.group(), id.kind(), id.namespace()) {
                "" if id.group().is_empty() && id.kind() == "Namespace" => {
                    out.insert(id.name());
                }
                "" => {}
                ns => {
                    out.insert(ns);
                }
            }
        }
        out
    }

    /// Objects that are the same object on the cluster, as one message naming each.
    pub fn duplicates(&self) -> Option<String> {
        let mut seen: HashMap<_, usize> = HashMap::with_capacity(self.entries.len());
        let mut dups = Vec::new();
        for (i, id) in self.ids().enumerate() {
            if let Some(key) = id.key(&self.scope)
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
    pub fn take_given(&mut self, given: &[bool]) -> Result<Given> {
        let mut out = Given {
            texts: Vec::new(),
            prints: vec![0; self.entries.len()],
            hasher: std::hash::RandomState::new(),
        };
        for (i, (e, _)) in self
            .entries
            .iter_mut()
            .zip(given)
            .enumerate()
            .filter(|(_, (_, g))| **g)
        {
            let text = e.take_json().ok_or_else(|| {
                anyhow::anyhow!(
                    "{} was written out early, yet a plugin selects it",
                    e.id.describe()
                )
            })?;
            out.prints[i] = out.print(&text);
            out.texts.push(text);
        }
        Ok(out)
    }

    /// What a plugin returned, matched with what it was given: for each object, the given
    /// object with its identity (as the cluster compares them) and whether the plugin wrote
    /// it (added or changed it) or returned it as given.
    pub fn review(&self, given: &[bool], prints: &Given, returned: Vec<Entry>) -> Vec<Returned> {
        let given_at: HashMap<_, usize> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(i, _)| given.get(*i).copied().unwrap_or(false))
            .filter_map(|(i, e)| Some((e.id.key(&self.scope)?, i)))
            .collect();
        returned
            .into_iter()
            .map(|entry| {
                let origin = entry
                    .id
                    .key(&self.scope)
                    .and_then(|k| given_at.get(&k).copied());
                let written = match (origin, &entry.body) {
                    (Some(i), Body::Json(text)) => {
                        prints.prints.get(i) != Some(&prints.print(text))
                    }
                    _ => true,
                };
                Returned {
                    entry,
                    origin,
                    written,
                }
            })
            .collect()
    }

    /// The stream after a plugin that was given the objects `given` marks: a withheld object
    /// stays where it was, a returned object takes the place of the given object it came from
    /// ([`Returned::origin`]), given objects not returned are gone, and the objects the plugin
    /// added follow at the end. An object returned with the identity of a withheld one is an
    /// attempt to replace what the plugin was not given, and fails the run.
    pub fn merge(&mut self, plugin: &str, given: &[bool], returned: Vec<Returned>) -> Result<()> {
        {
            let withheld: std::collections::HashSet<_> = self
                .entries
                .iter()
                .zip(given)
                .filter(|(_, g)| !**g)
                .filter_map(|(e, _)| e.id.key(&self.scope))
                .collect();
            if let Some(forged) = returned.iter().find(|r| {
                r.entry
                    .id
                    .key(&self.scope)
                    .is_some_and(|k| withheld.contains(&k))
            }) {
                return Err(error::plugin(format!(
                    "plugin {plugin}: returned {}, an object it was not given (outside its \
                     select); a plugin may only change the objects it selects (objects are \
                     compared as the cluster compares them: group, kind, the namespace they \
                     land in, name)",
                    forged.entry.id.describe()
                )));
            }
        }
        for r in &returned {
            self.learn(&r.entry)?;
        }
        let before = std::mem::take(&mut self.entries);
        let mut placed: Vec<Option<Entry>> = before
            .into_iter()
            .zip(given)
            .map(|(e, g)| (!*g).then_some(e))
            .collect();
        let mut added = Vec::new();
        for r in returned {
            match r.origin {
                Some(i) if placed[i].is_none() && given[i] => placed[i] = Some(r.entry),
                _ => added.push(r.entry),
            }
        }
        self.entries = placed.into_iter().flatten().chain(added).collect();
        Ok(())
    }

    /// Replaces the whole stream (a plugin given every object returns the whole stream).
    pub fn replace(&mut self, returned: Vec<Returned>) -> Result<()> {
        for r in &returned {
            self.learn(&r.entry)?;
        }
        self.entries = returned.into_iter().map(|r| r.entry).collect();
        Ok(())
    }

    /// Writes every object as its final YAML document, one at a time, so the JSON and the
    /// YAML of the whole stream are never held together.
    pub fn finish(&mut self) -> Result<()> {
        let mut total = 0;
        for entry in &mut self.entries {
            entry.finish()?;
            total = charge(total, entry)?;
        }
        Ok(())
    }

    /// Writes the stream (after [`Held::finish`]) as canonical YAML, `---` before each object.
    pub fn write_to(&self, out: &mut dyn Write) -> Result<()> {
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

    /// Calls `f` with each object in order, parsed one at a time: a check that reads the
    /// stream never holds it all parsed, which for many small objects is many times its size.
    pub fn each_object(&self, f: &mut dyn FnMut(&Object)) -> Result<()> {
        for entry in &self.entries {
            f(&entry.object()?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> Object {
        stream::parse(text, "t").unwrap().pop().unwrap()
    }

    fn held(scope: &str) -> Held {
        Held::new(Scope::new(scope))
    }

    #[test]
    fn json_and_yaml_entries_write_the_same_bytes() {
        let o = obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {on: 'yes'}}");
        let mut held = held("default");
        held.push(Entry::new(&o, |_| true).unwrap()).unwrap();
        held.push(Entry::new(&o, |_| false).unwrap()).unwrap();
        let text = held.to_yaml().unwrap();
        let (a, b) = text[4..].split_once("---\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(text, stream::write(&[o.clone(), o]).unwrap());
    }

    #[test]
    fn returned_text_is_checked_without_full_parse() {
        let (e, head, _) = Entry::returned(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","annotations":{"postrenderer.helm.sh/postrender-filename":"t/d.yaml"}},"spec":{}}"#.into(),
        )
        .unwrap();
        let scope = Scope::new("default");
        assert_eq!(e.id.key(&scope), Some(("apps", "Deployment", "n", "d")));
        assert_eq!(e.id.helm_file(), Some("t/d.yaml"));
        assert!(head.get("spec").is_none(), "only the head is parsed");
        assert_eq!(
            Entry::returned("[1, 2, 3]".into())
                .err()
                .unwrap()
                .to_string(),
            " is not a JSON object"
        );
        assert_eq!(
            Entry::returned(r#"{"kind":"X","metadata":{"name":"a"}}"#.into())
                .err()
                .unwrap()
                .to_string(),
            ": missing apiVersion"
        );
    }

    #[test]
    fn input_keys_the_go_readers_drop_are_refused() {
        let o = obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {'<<': x}}");
        let err = Entry::new(&o, |_| true).unwrap_err().to_string();
        assert!(
            err.contains("ConfigMap/a has a key `<<` under data"),
            "{err}"
        );
    }

    #[test]
    fn duplicates_are_found_as_the_cluster_compares_objects() {
        let objs = stream::parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: y}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r, namespace: z}}\n", "s").unwrap();
        let mut held = held("x");
        for o in &objs {
            held.push(Entry::new(o, |_| false).unwrap()).unwrap();
        }
        assert_eq!(
            held.duplicates().unwrap(),
            "duplicate objects: ConfigMap/a (objects 1 and 3), ClusterRole/z/r (objects 4 and 5)"
        );
    }

    #[test]
    fn merge_keeps_withheld_in_place_and_refuses_forgery_in_any_namespace_spelling() {
        let a = obj("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}");
        let b = obj("{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}");
        let mut held = held("default");
        held.push(Entry::new(&a, |_| true).unwrap()).unwrap();
        held.push(Entry::new(&b, |_| false).unwrap()).unwrap();
        let given = [true, false];
        let mut taken = held.take_given(&given).unwrap();
        let mut back: Vec<Entry> = std::mem::take(&mut taken.texts)
            .into_iter()
            .map(|t| Entry::returned(t).unwrap().0)
            .collect();
        back.push(
            Entry::returned(
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#.into(),
            )
            .unwrap()
            .0,
        );
        let reviewed = held.review(&given, &taken, back);
        assert_eq!(
            reviewed
                .iter()
                .map(|r| (r.origin, r.written))
                .collect::<Vec<_>>(),
            [(Some(0), false), (None, true)],
            "the given object came back unchanged; the other is new"
        );
        held.merge("p", &given, reviewed).unwrap();
        let names: Vec<_> = held.ids().map(Id::describe).collect();
        assert_eq!(names, ["ConfigMap/a", "Deployment/web", "ConfigMap/c"]);

        // The withheld Deployment has no namespace; `namespace: default` is the same object.
        let given = [false, false, false];
        let taken = held.take_given(&given).unwrap();
        let forged = vec![
            Entry::returned(
                r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"}}"#
                    .into(),
            )
            .unwrap()
            .0,
        ];
        let reviewed = held.review(&given, &taken, forged);
        let err = held.merge("p", &given, reviewed).unwrap_err();
        assert!(
            err.to_string()
                .contains("returned Deployment/default/web, an object it was not given"),
            "{err}"
        );
    }
}
