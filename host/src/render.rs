//! Running a pipeline: resolve the cluster and target, then pass the stream through each plugin
//! in order, validating configs, granting files and collecting diagnostics.

use crate::error;
use crate::pipeline::{Limits, PipelineFile, PluginSpec, Select, Source, Target};
use crate::runtime::{Instance, Plugin, Runtime, wit};
use crate::schema;
use crate::secrets;
use crate::source;
use crate::stream::{self, Object};
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The Kubernetes version assumed when nothing names one (Helm's and Argo CD's are overridable).
pub const DEFAULT_KUBE_VERSION: &str = "1.31.0";

/// How to run a pipeline.
#[derive(Debug, Clone)]
pub struct Options {
    /// How the host was invoked; plugins see it.
    pub mode: wit::Mode,
    /// The cluster to render (else the pipeline's default).
    pub cluster: Option<String>,
    /// Overrides of the target (from the command line or the caller's environment); they win
    /// over the cluster's and the pipeline's values.
    pub target: Target,
    /// Values used only where neither the cluster nor the pipeline names one (for example
    /// the Argo CD Application's name and namespace).
    pub defaults: Target,
    /// Run only these plugins (by pipeline name), in pipeline order; empty means all.
    pub only: Vec<String>,
    /// Per-plugin config overrides (dotted path, string value), typed by the plugin's schema
    /// and applied last: Argo CD Application parameters.
    pub overrides: BTreeMap<String, Vec<(String, String)>>,
}

/// A diagnostic reported by a plugin, with the plugin's name.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The plugin's name in the pipeline.
    pub plugin: String,
    /// What it said.
    pub diagnostic: wit::Diagnostic,
}

impl Reported {
    /// One line: `plugin NAME: Kind/ns/name field: message`.
    pub fn line(&self) -> String {
        let d = &self.diagnostic;
        let mut s = format!("plugin {}: ", self.plugin);
        if let Some(r) = &d.object {
            match &r.namespace {
                Some(ns) => s.push_str(&format!("{}/{ns}/{}", r.kind, r.name)),
                None => s.push_str(&format!("{}/{}", r.kind, r.name)),
            }
            s.push(' ');
        }
        if let Some(f) = &d.field {
            s.push_str(f);
            s.push(' ');
        }
        if d.object.is_some() || d.field.is_some() {
            s.truncate(s.trim_end().len());
            s.push_str(": ");
        }
        s.push_str(&d.message);
        s
    }
}

/// What a pipeline run produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The output stream.
    pub objects: Vec<Object>,
    /// Every diagnostic, in plugin order.
    pub diagnostics: Vec<Reported>,
    /// The cluster rendered.
    pub cluster: String,
}

/// Runs `pipeline` (whose relative paths start at `base`) over `input`.
pub fn run(
    rt: &Runtime,
    pipeline: &PipelineFile,
    base: &Path,
    opts: &Options,
    input: Vec<Object>,
) -> Result<Rendered> {
    let cluster = pipeline.cluster_name(opts.cluster.as_deref())?;
    let cluster_values = pipeline
        .spec
        .clusters
        .get(&cluster)
        .cloned()
        .unwrap_or_default();
    let target = opts
        .target
        .or(&cluster_values.target)
        .or(&pipeline.spec.target)
        .or(&opts.defaults);
    let mut api_versions = target
        .api_versions
        .clone()
        .unwrap_or_else(|| vec!["v1".to_string()]);
    api_versions.sort();
    api_versions.dedup();
    let namespace = target
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let release = target
        .release
        .clone()
        .unwrap_or_else(|| pipeline.metadata.name.clone());
    let kube_version = target
        .kube_version
        .clone()
        .unwrap_or_else(|| DEFAULT_KUBE_VERSION.to_string())
        .trim_start_matches('v')
        .to_string();

    for name in opts.only.iter().chain(opts.overrides.keys()) {
        if !pipeline
            .spec
            .plugins
            .iter()
            .any(|p| &p.display_name() == name)
        {
            let known: Vec<_> = pipeline
                .spec
                .plugins
                .iter()
                .map(|p| p.display_name())
                .collect();
            return Err(error::input(format!(
                "no plugin `{name}` in the pipeline; it has: {}",
                known.join(", ")
            )));
        }
    }

    let generates = matches!(opts.mode, wit::Mode::Render | wit::Mode::ArgocdCmp);
    let mut objects = input;
    if let Some(why) = stream::duplicates(&objects) {
        return Err(error::input(format!("input: {why}")));
    }
    if generates {
        for res in &pipeline.spec.resources {
            let path = confined(base, res, "spec.resources")?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| error::input(format!("spec.resources: cannot read {res}: {e}")))?;
            objects.extend(stream::parse(&text, res)?);
        }
        if let Some(why) = stream::duplicates(&objects) {
            return Err(error::input(format!("spec.resources: {why}")));
        }
        secrets::check_objects("spec.resources", &objects)?;
    }

    let selected: Vec<(usize, &PluginSpec, String)> = pipeline
        .spec
        .plugins
        .iter()
        .enumerate()
        .map(|(index, spec)| (index, spec, spec.display_name()))
        .filter(|(_, _, name)| opts.only.is_empty() || opts.only.contains(name))
        .collect();
    let sources = selected
        .iter()
        .map(|(index, spec, _)| spec.source(*index, base))
        .collect::<Result<Vec<_>>>()?;
    let named: Vec<(&str, &Source)> = selected
        .iter()
        .zip(&sources)
        .map(|((_, _, name), source)| (name.as_str(), source))
        .collect();
    let loaded = load_all(rt, &named)?;

    let mut diagnostics = Vec::new();
    for ((index, spec, name), (plugin, _)) in selected.into_iter().zip(loaded) {
        let at = format!("spec.plugins[{index}]");
        let limits = spec.limits.resolve(&format!("{at}.limits"))?;
        let mut instance = plugin.instantiate(rt, limits)?;
        let info = instance.describe()?;
        if info.role == wit::Role::Generator && !generates {
            tracing::debug!(
                plugin = name.as_str(),
                "generator skipped outside render mode"
            );
            continue;
        }

        let mut config = spec.config_for(cluster_values.config.get(&name));
        if let Some(overrides) = opts.overrides.get(&name) {
            let schema: Value = serde_json::from_str(&info.config_schema).unwrap_or(Value::Null);
            for (path, raw) in overrides {
                crate::argocd::apply_override(&name, &schema, &mut config, path, raw)?;
            }
        }
        schema::validate(&name, &info.config_schema, &config)?;
        secrets::check_config(&name, &format!("{at}.config"), &config)?;

        let mut files = Vec::with_capacity(spec.files.len());
        for f in &spec.files {
            let path = confined(base, f, &format!("{at}.files"))?;
            for (rel, full) in expand(&path, f)? {
                let content = std::fs::read_to_string(&full).map_err(|e| {
                    error::input(format!(
                        "plugin {name}: cannot read granted file {rel}: {e}"
                    ))
                })?;
                files.push(wit::GrantedFile { path: rel, content });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);

        let ctx = wit::Context {
            cluster: cluster.clone(),
            namespace: namespace.clone(),
            release: release.clone(),
            mode: opts.mode,
            capabilities: wit::Capabilities {
                kube_version: kube_version.clone(),
                api_versions: api_versions.clone(),
            },
            config: config.to_string(),
            files,
        };
        // A plugin with a `select` (the pipeline's, else its own) sees only its objects; the
        // host keeps the rest.
        let select = spec.select.clone().or_else(|| {
            info.select.as_ref().map(|s| Select {
                groups: s.groups.clone(),
                kinds: s.kinds.clone(),
            })
        });
        let given: Vec<bool> = objects
            .iter()
            .map(|o| select.as_ref().is_none_or(|s| s.matches(o)))
            .collect();
        tracing::debug!(
            plugin = name.as_str(),
            given = given.iter().filter(|g| **g).count(),
            of = objects.len(),
            "objects passed to the plugin"
        );
        // A JSON map of JSON values always serialises.
        let manifests: Vec<String> = objects
            .iter()
            .zip(&given)
            .filter(|(_, g)| **g)
            .map(|(o, _)| serde_json::to_string(o))
            .collect::<Result<_, _>>()
            .context("serialising the stream for a plugin")?;
        // Only a given object can come back with its identity, so only theirs are remembered.
        let helm_files = (opts.mode == wit::Mode::PostRender)
            .then(|| HelmFiles::of(&objects, &given))
            .flatten();
        // Given the whole stream, the plugin returns the whole stream: the host's copy is not
        // needed while it runs, and on a large stream it is most of the memory.
        let before = if select.is_some() {
            std::mem::take(&mut objects)
        } else {
            drop(std::mem::take(&mut objects));
            Vec::new()
        };
        let out = instance.run(&ctx, &manifests)?;
        // The plugin's memory and the JSON copies go before the output is decoded.
        drop(instance);
        drop(manifests);

        let mut errors = Vec::new();
        for d in out.diagnostics {
            let r = Reported {
                plugin: name.clone(),
                diagnostic: d,
            };
            match r.diagnostic.severity {
                wit::Severity::Error => errors.push(r.line()),
                wit::Severity::Warning => tracing::warn!("{}", r.line()),
                wit::Severity::Info => tracing::info!("{}", r.line()),
            }
            diagnostics.push(r);
        }
        if !errors.is_empty() {
            return Err(error::plugin(errors.join("\n")));
        }
        let mut returned = decode_output(&name, out.manifests)?;
        if let Some(files) = &helm_files {
            files.restore(&mut returned, &name);
        }
        objects = if select.is_some() {
            merge_selected(&name, before, &given, returned)?
        } else {
            returned
        };
        if let Some(why) = stream::duplicates(&objects) {
            return Err(error::plugin(format!("plugin {name}: returned {why}")));
        }
        if generates {
            secrets::check_objects(&format!("plugin {name}"), &objects)?;
        }
    }
    Ok(Rendered {
        objects,
        diagnostics,
        cluster,
    })
}

/// The stream after a plugin that was given only some objects: the withheld ones stay where
/// they were, a returned object takes the place of the given object with its identity, given
/// objects not returned are gone, and the objects the plugin added follow at the end. An object
/// returned with the identity of a withheld one is an attempt to replace what the plugin was
/// not given, and fails the run.
fn merge_selected(
    plugin: &str,
    before: Vec<Object>,
    given: &[bool],
    returned: Vec<Object>,
) -> Result<Vec<Object>> {
    let withheld: std::collections::HashSet<_> = before
        .iter()
        .zip(given)
        .filter(|(_, g)| !**g)
        .filter_map(|(o, _)| stream::identity_ref(o))
        .collect();
    if let Some(forged) = returned
        .iter()
        .find(|o| stream::identity_ref(o).is_some_and(|id| withheld.contains(&id)))
    {
        return Err(error::plugin(format!(
            "plugin {plugin}: returned {}, an object it was not given (outside its select); \
             a plugin may only change the objects it selects",
            stream::describe(forged)
        )));
    }
    // Where each returned object goes: the slot of the given object with its identity.
    let slots: Vec<Option<usize>> = {
        let given_at: std::collections::HashMap<_, usize> = before
            .iter()
            .enumerate()
            .filter(|(i, _)| given[*i])
            .filter_map(|(i, o)| Some((stream::identity_ref(o)?, i)))
            .collect();
        returned
            .iter()
            .map(|o| stream::identity_ref(o).and_then(|id| given_at.get(&id).copied()))
            .collect()
    };
    let mut placed: Vec<Option<Object>> = before
        .into_iter()
        .zip(given)
        .map(|(o, g)| (!*g).then_some(o))
        .collect();
    let mut added = Vec::new();
    for (obj, slot) in returned.into_iter().zip(slots) {
        match slot {
            Some(i) if placed[i].is_none() => placed[i] = Some(obj),
            _ => added.push(obj),
        }
    }
    Ok(placed.into_iter().flatten().chain(added).collect())
}

/// Helm 4 splits a post-rendered stream back into its template files by this annotation, so
/// every object must carry it.
pub const HELM_FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

fn helm_filename(obj: &Object) -> Option<&str> {
    obj.get("metadata")?
        .get("annotations")?
        .get(HELM_FILENAME)?
        .as_str()
}

/// Helm's file annotation of every object of a stream, to put back on objects a plugin returns
/// without it: the object's own (same identity) when it had one, else
/// `flinkwasm/<plugin>.yaml` for an object the plugin added.
struct HelmFiles(std::collections::HashMap<String, String>);

impl HelmFiles {
    /// The annotations of the given objects of a stream; `None` for a stream without them
    /// (Helm 3, plain stdin). Only a given object can come back with its identity, so only
    /// theirs are remembered.
    fn of(objects: &[Object], given: &[bool]) -> Option<HelmFiles> {
        if !objects.iter().any(|o| helm_filename(o).is_some()) {
            return None;
        }
        Some(HelmFiles(
            objects
                .iter()
                .zip(given)
                .filter(|(_, g)| **g)
                .filter_map(|(o, _)| Some((stream::describe(o), helm_filename(o)?.to_string())))
                .collect(),
        ))
    }

    /// Puts the annotation back on every object of `after` that lacks it.
    fn restore(&self, after: &mut [Object], plugin: &str) {
        for obj in after.iter_mut() {
            if helm_filename(obj).is_some() {
                continue;
            }
            let file = self
                .0
                .get(&stream::describe(obj))
                .cloned()
                .unwrap_or_else(|| format!("flinkwasm/{plugin}.yaml"));
            let meta = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(meta) = meta {
                let ann = meta
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(ann) = ann {
                    ann.insert(HELM_FILENAME.to_string(), Value::String(file));
                }
            }
        }
    }
}

/// A plugin fetched, loaded, instantiated and described: what every command that runs or
/// inspects a plugin starts from.
pub struct Started<'r> {
    /// The running instance.
    pub instance: Instance<'r>,
    /// What `describe()` said.
    pub info: wit::PluginInfo,
    /// The component's sha256, lower-case hex.
    pub digest: String,
}

/// Fetches `source` (pin-checked), loads it (precompiled, cached or compiled), instantiates it
/// under `limits` and calls `describe()`.
pub fn start<'r>(
    rt: &'r Runtime,
    name: &str,
    source: &Source,
    limits: Limits,
) -> Result<Started<'r>> {
    let (plugin, digest) = load(rt, name, source)?;
    let mut instance = plugin.instantiate(rt, limits)?;
    let info = instance.describe()?;
    Ok(Started {
        instance,
        info,
        digest,
    })
}

/// Fetches `source` (pin-checked) and loads it. Returns the plugin and its component's sha256.
fn load(rt: &Runtime, name: &str, source: &Source) -> Result<(Plugin, String)> {
    let component = source::fetch(name, source)?;
    let plugin = rt.load(
        name,
        &component.bytes,
        &component.digest,
        component.precompiled,
    )?;
    Ok((plugin, component.digest))
}

/// Loads every plugin of a pipeline at once, one thread each: loading (deserialising machine
/// code, or compiling on a cold cache) is most of a warm render's time, and the plugins do
/// not depend on each other until they run. The first failure in pipeline order is returned,
/// so errors do not depend on thread timing.
fn load_all(rt: &Runtime, plugins: &[(&str, &Source)]) -> Result<Vec<(Plugin, String)>> {
    if plugins.len() < 2 {
        return plugins.iter().map(|(n, s)| load(rt, n, s)).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = plugins
            .iter()
            .map(|(name, source)| scope.spawn(move || load(rt, name, source)))
            .collect();
        handles
            .into_iter()
            .zip(plugins)
            .map(|(h, (name, _))| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("plugin {name}: loading it panicked"))?
            })
            .collect()
    })
}

/// Parses a plugin's returned manifests, each of which must be a Kubernetes object.
fn decode_output(plugin: &str, manifests: Vec<String>) -> Result<Vec<Object>> {
    manifests
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                error::plugin(format!(
                    "plugin {plugin}: returned manifest {} is not JSON: {e}",
                    i + 1
                ))
            })?;
            let Value::Object(obj) = value else {
                return Err(error::plugin(format!(
                    "plugin {plugin}: returned manifest {} is not a JSON object",
                    i + 1
                )));
            };
            stream::validate(&obj).map_err(|why| {
                error::plugin(format!(
                    "plugin {plugin}: returned manifest {}: {why}",
                    i + 1
                ))
            })?;
            Ok(obj)
        })
        .collect()
}

/// `rel` resolved under `base`, refused if it escapes it (like kustomize's load restrictor):
/// a pipeline from a repository may not read the machine's other files.
fn confined(base: &Path, rel: &str, at: &str) -> Result<PathBuf> {
    let root = base.canonicalize().map_err(|e| {
        error::input(format!(
            "{at}: cannot resolve the pipeline directory {}: {e}",
            base.display()
        ))
    })?;
    let path = root.join(rel);
    let real = path
        .canonicalize()
        .map_err(|e| error::input(format!("{at}: cannot read {rel}: {e}")))?;
    if !real.starts_with(&root) {
        return Err(error::input(format!(
            "{at}: {rel} is outside the pipeline directory; only files below it may be used"
        )));
    }
    Ok(real)
}

/// A granted path: a file, or every file below a directory (sorted), with pipeline-relative names.
fn expand(path: &Path, rel: &str) -> Result<Vec<(String, PathBuf)>> {
    if !path.is_dir() {
        return Ok(vec![(
            rel.trim_start_matches("./").to_string(),
            path.to_path_buf(),
        )]);
    }
    let mut out = Vec::new();
    let mut stack = vec![(
        rel.trim_start_matches("./")
            .trim_end_matches('/')
            .to_string(),
        path.to_path_buf(),
    )];
    while let Some((rel, dir)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| error::input(format!("cannot list granted directory {rel}: {e}")))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| error::input(format!("cannot list granted directory {rel}: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            let p = entry.path();
            if p.is_dir() {
                stack.push((child, p));
            } else {
                out.push((child, p));
            }
        }
    }
    out.sort();
    Ok(out)
}
