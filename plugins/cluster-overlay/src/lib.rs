//! `cluster-overlay`: per-cluster overlays written the way kustomize users (and the seed) write
//! them: `<component>/overlays/<cluster>/kustomization.yaml` plus patch files such as
//! `flink-environment-patch.yaml`.
//!
//! The host grants the overlay files (the plugin's `files:` in `flinkwasm.yaml`); the plugin
//! reads nothing itself. For the run's cluster it applies, in path order, every granted
//! `.../overlays/<cluster>/kustomization.yaml`, then the inline `kustomization` of its config.
//! Within one kustomization the order is kustomize's: strategic merge patches, `patches`,
//! namespace, labels, annotations, JSON 6902 patches.
//!
//! A patch that matches nothing is an error naming the patch file, and so is any kustomization
//! field this plugin does not implement: an overlay is never half applied.

mod json6902;
mod kustomization;
mod select;
mod smp;
mod transform;

use flinkwasm_sdk::prelude::*;
use kustomization::{Kustomization, Patch, Target};
use serde::Deserialize;

/// The plugin type exported to the host.
pub struct ClusterOverlay;

/// The configuration of `cluster-overlay`; the overlays themselves are the granted files.
// `Info::schema_for` derives the plugin's JSON Schema from this type, doc comments included.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Config {
    /// An inline kustomization applied after the granted overlay files (patches inline with
    /// `patch:`).
    // Kept as JSON: the kustomization reader checks its fields and names the ones it does not
    // implement, with the same messages as for an overlay file.
    #[schemars(with = "Option<Map<String, Value>>")]
    kustomization: Option<Value>,
    /// Fail when the cluster has no overlay at all (default false).
    required: Option<bool>,
}

/// Names a kustomization file may have.
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

impl Plugin for ClusterOverlay {
    fn info() -> Info {
        Info::new(
            "cluster-overlay",
            env!("CARGO_PKG_VERSION"),
            "Per-cluster kustomize-style overlays: patches, namespace, labels, annotations",
            Role::Transformer,
        )
        .schema_for::<Config>()
    }

    fn run(ctx: &Context, manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let mut overlay = Overlay {
            ctx,
            manifests,
            diagnostics: Vec::new(),
        };
        let mut applied = 0;
        for (path, text) in &ctx.files {
            let Some(dir) = overlay_dir(path, &ctx.cluster) else {
                continue;
            };
            let k = kustomization::parse(text)
                .map_err(|e| Error::new(format!("overlay {path}: {e}")))?;
            overlay.apply(&k, dir, path)?;
            applied += 1;
        }
        if let Some(inline) = &cfg.kustomization {
            let text = serde_json::to_string(inline)
                .map_err(|e| Error::new(format!("config.kustomization: {e}")))?;
            let k = kustomization::parse(&text)
                .map_err(|e| Error::new(format!("config.kustomization: {e}")))?;
            overlay.apply(&k, "", "config.kustomization")?;
            applied += 1;
        }
        if applied == 0 {
            let message = format!(
                "no overlay for cluster {}: no granted file is .../overlays/{}/kustomization.yaml \
                 and the config has no kustomization",
                ctx.cluster, ctx.cluster
            );
            if cfg.required.unwrap_or(false) {
                return Err(Error::new(message));
            }
            overlay.diagnostics.push(Diagnostic::info(message));
        }
        let mut out = Output::new(overlay.manifests);
        out.diagnostics = overlay.diagnostics;
        Ok(out)
    }
}

/// The overlay directory of `path` when it is the kustomization of `cluster`'s overlay.
fn overlay_dir<'a>(path: &'a str, cluster: &str) -> Option<&'a str> {
    let (dir, file) = path.rsplit_once('/')?;
    if !KUSTOMIZATION_FILES.contains(&file) {
        return None;
    }
    let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
    let is_overlays = parent == "overlays" || parent.ends_with("/overlays");
    (name == cluster && is_overlays).then_some(dir)
}

/// `rel` resolved against `dir`, with `.` and `..` folded.
fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The stream being overlaid and the findings so far.
struct Overlay<'c> {
    ctx: &'c Context,
    manifests: Vec<Manifest>,
    diagnostics: Vec<Diagnostic>,
}

impl Overlay<'_> {
    fn file(&self, dir: &str, rel: &str, origin: &str) -> Result<(String, &str), Error> {
        let path = join(dir, rel);
        match self.ctx.file(&path) {
            Some(text) => Ok((path, text)),
            None => Err(Error::new(format!(
                "{origin}: {rel} ({path}) is not among the files granted to this plugin; add it \
                 (or its directory) to the plugin's files in flinkwasm.yaml"
            ))),
        }
    }

    fn apply(&mut self, k: &Kustomization, dir: &str, origin: &str) -> Result<(), Error> {
        for res in &k.resources {
            let path = join(dir, res);
            if let Some(text) = self.ctx.file(&path) {
                for doc in parse_documents(text, &path)? {
                    let m = Manifest::from_value(doc).ok_or_else(|| {
                        Error::new(format!(
                            "{origin}: resource {res}: a document is not a mapping"
                        ))
                    })?;
                    self.manifests.push(m);
                }
            } else if res.ends_with(".yaml") || res.ends_with(".yml") || res.ends_with(".json") {
                return Err(Error::new(format!(
                    "{origin}: resource {res} ({path}) is not among the files granted to this plugin"
                )));
            }
            // Anything else is a directory: the base, which is the stream this plugin was given.
        }
        for entry in &k.patches_strategic_merge {
            let (name, text) = if entry.trim_start().contains('\n') || entry.contains(':') {
                (
                    format!("{origin}: inline patchesStrategicMerge"),
                    entry.as_str(),
                )
            } else {
                let (path, text) = self.file(dir, entry, origin)?;
                (path, text)
            };
            let name = name.to_string();
            for doc in parse_documents(text, &name)? {
                self.smp(&doc, None, &name)?;
            }
        }
        for (i, patch) in k.patches.iter().enumerate() {
            let (name, text) = self.patch_text(patch, dir, origin, "patches", i)?;
            let docs = parse_documents(&text, &name)?;
            match docs.as_slice() {
                [Value::Array(_)] => {
                    let Some(target) = &patch.target else {
                        return Err(Error::new(format!(
                            "{name}: a JSON 6902 patch needs a target"
                        )));
                    };
                    self.json6902(&docs[0], target, &name)?;
                }
                _ => {
                    for doc in &docs {
                        self.smp(doc, patch.target.as_ref(), &name)?;
                    }
                }
            }
        }
        if let Some(ns) = &k.namespace {
            for m in &mut self.manifests {
                transform::namespace(m, ns);
            }
        }
        for m in &mut self.manifests {
            transform::labels(m, &k.common_labels, true, true);
            for l in &k.labels {
                transform::labels(
                    m,
                    &l.pairs,
                    l.include_selectors,
                    l.include_selectors || l.include_templates,
                );
            }
            transform::annotations(m, &k.common_annotations);
        }
        for (i, patch) in k.patches_json6902.iter().enumerate() {
            let (name, text) = self.patch_text(patch, dir, origin, "patchesJson6902", i)?;
            let Some(target) = &patch.target else {
                return Err(Error::new(format!(
                    "{name}: patchesJson6902 needs a target"
                )));
            };
            let docs = parse_documents(&text, &name)?;
            let [ops] = docs.as_slice() else {
                return Err(Error::new(format!(
                    "{name}: expected one list of operations"
                )));
            };
            self.json6902(ops, target, &name)?;
        }
        Ok(())
    }

    fn patch_text(
        &self,
        patch: &Patch,
        dir: &str,
        origin: &str,
        field: &str,
        i: usize,
    ) -> Result<(String, String), Error> {
        if patch
            .options
            .as_ref()
            .is_some_and(|o| o.values().any(|v| *v))
        {
            return Err(Error::new(format!(
                "{origin}: {field}[{i}].options (allowNameChange, allowKindChange) are not supported"
            )));
        }
        match (&patch.path, &patch.patch) {
            (Some(p), None) => {
                let (path, text) = self.file(dir, p, origin)?;
                Ok((path, text.to_string()))
            }
            (None, Some(inline)) => {
                Ok((format!("{origin}: {field}[{i}] (inline)"), inline.clone()))
            }
            _ => Err(Error::new(format!(
                "{origin}: {field}[{i}] needs exactly one of path and patch"
            ))),
        }
    }

    /// Applies a strategic merge patch to its target (or, without one, to the object it names).
    fn smp(&mut self, patch: &Value, target: Option<&Target>, name: &str) -> Result<(), Error> {
        let Some(p) = Manifest::from_value(patch.clone()) else {
            return Err(Error::new(format!(
                "{name}: a strategic merge patch must be a mapping"
            )));
        };
        let mut matched = 0;
        let mut delete = Vec::new();
        for (index, m) in self.manifests.iter_mut().enumerate() {
            let hit = match target {
                Some(t) => t
                    .matches(m)
                    .map_err(|e| Error::new(format!("{name}: {e}")))?,
                None => {
                    m.api_version() == p.api_version()
                        && m.kind() == p.kind()
                        && m.name() == p.name()
                        && p.namespace().is_none_or(|ns| m.namespace() == Some(ns))
                }
            };
            if !hit {
                continue;
            }
            matched += 1;
            let builtin = smp::is_builtin(m.api_version());
            let mut body = patch.clone();
            if target.is_some()
                && let Value::Object(b) = &mut body
            {
                // A targeted patch applies to each selected object whatever it names.
                if let Some(Value::Object(meta)) = b.get_mut("metadata") {
                    meta.remove("name");
                    meta.remove("namespace");
                    if meta.is_empty() {
                        b.remove("metadata");
                    }
                }
                b.remove("apiVersion");
                b.remove("kind");
            }
            let mut value = std::mem::replace(m, Manifest::new(Map::new())).into_value();
            let outcome = smp::apply(&mut value, &body, builtin);
            let patched = Manifest::from_value(value).ok_or_else(|| {
                Error::new(format!("{name}: the patch made the object not a mapping"))
            })?;
            *m = patched;
            if outcome == smp::Outcome::Deleted {
                delete.push(index);
            }
        }
        if matched == 0 {
            return Err(no_match(name, Some(&p.reference()), target));
        }
        for index in delete.into_iter().rev() {
            self.manifests.remove(index);
        }
        Ok(())
    }

    fn json6902(&mut self, ops: &Value, target: &Target, name: &str) -> Result<(), Error> {
        let ops: Vec<json6902::Op> = serde_json::from_value(ops.clone())
            .map_err(|e| Error::new(format!("{name}: not a JSON 6902 patch: {e}")))?;
        let mut matched = 0;
        for m in &mut self.manifests {
            if !target
                .matches(m)
                .map_err(|e| Error::new(format!("{name}: {e}")))?
            {
                continue;
            }
            matched += 1;
            let reference = m.reference();
            let mut value = m.clone().into_value();
            json6902::apply(&mut value, &ops).map_err(|e| {
                Error::from(Diagnostic::error(format!("{name}: {e}")).on(reference.clone()))
            })?;
            *m = Manifest::from_value(value).ok_or_else(|| {
                Error::new(format!("{name}: the patch made the object not a mapping"))
            })?;
        }
        if matched == 0 {
            return Err(no_match(name, None, Some(target)));
        }
        Ok(())
    }
}

fn no_match(name: &str, what: Option<&ResourceRef>, target: Option<&Target>) -> Error {
    let wanted = match (target, what) {
        (Some(_), _) | (None, None) => format!(
            "target {}",
            describe_target(target.cloned().unwrap_or_default())
        ),
        (None, Some(what)) => format!(
            "{} {}{}",
            what.kind,
            what.namespace
                .as_deref()
                .map(|ns| format!("{ns}/"))
                .unwrap_or_default(),
            what.name
        ),
    };
    Error::from(Diagnostic::error(format!(
        "patch {name} matches nothing: no object in the stream is {wanted}"
    )))
}

fn describe_target(t: Target) -> String {
    let parts = [
        ("group", &t.group),
        ("version", &t.version),
        ("kind", &t.kind),
        ("name", &t.name),
        ("namespace", &t.namespace),
        ("labelSelector", &t.label_selector),
        ("annotationSelector", &t.annotation_selector),
    ];
    let set: Vec<String> = parts
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    format!("{{{}}}", set.join(", "))
}

/// Every YAML document of `text` (empty ones skipped).
fn parse_documents(text: &str, name: &str) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(doc).map_err(|e| Error::new(format!("{name}: {e}")))?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

flinkwasm_sdk::export_plugin!(ClusterOverlay);
