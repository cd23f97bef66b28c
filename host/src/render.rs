//! Running a pipeline: resolve the cluster and target, then pass the stream through each plugin
//! in order, validating configs, granting files and collecting diagnostics.

use crate::error;
use crate::held::{Entry, Held, Id};
use crate::pipeline::{PipelineFile, Target};
use crate::runtime::{Runtime, wit};
use crate::schema;
use crate::secrets;
use crate::start::{self, Loader, Ready};
use crate::stream::{self, Object};
use anyhow::Result;
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

/// Where a run's input stream comes from.
pub enum Input {
    /// No input (render, Argo CD: the pipeline's resources and plugins make the stream).
    None,
    /// Objects already parsed and checked (a KRM `ResourceList`'s items).
    Objects(Vec<Object>),
    /// A YAML or JSON stream (Helm's rendered chart on stdin), parsed one object at a time
    /// after the plugins are described: an object no plugin selects is written out as it is
    /// read, and the text is dropped once parsed.
    Text {
        /// The stream.
        text: String,
        /// Its name in errors, for example `stdin`.
        origin: String,
    },
}

/// What a pipeline run produced.
#[derive(Debug)]
pub struct Rendered {
    /// The output stream.
    pub stream: Held,
    /// The number of objects the input had.
    pub input_objects: usize,
    /// Every diagnostic, in plugin order.
    pub diagnostics: Vec<Reported>,
    /// The cluster rendered.
    pub cluster: String,
}

/// Runs `pipeline` (whose relative paths start at `base`) over `input`.
pub fn run<'r>(
    rt: &'r Runtime,
    pipeline: &'r PipelineFile,
    base: &Path,
    opts: &Options,
    input: Input,
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
    let mut plugins = start::plan(rt, pipeline, base, opts, generates)?;

    // The input, held as JSON where a plugin will be given it and as final YAML elsewhere.
    let selected = |id: &Id| plugins.iter().any(|p| p.selects(id.group(), id.kind()));
    let hold = |obj: &Object| Entry::new(obj, selected);
    let mut stream = Held::new();
    match input {
        Input::None => {}
        Input::Objects(objects) => {
            for obj in &objects {
                stream.push(hold(obj)?);
            }
        }
        Input::Text { text, origin } => {
            stream::visit(&text, &origin, |obj| {
                stream.push(hold(&obj)?);
                Ok(())
            })?;
        }
    }
    let input_objects = stream.len();
    if let Some(why) = stream.duplicates() {
        return Err(error::input(format!("input: {why}")));
    }
    if generates {
        for res in &pipeline.spec.resources {
            let path = confined(base, res, "spec.resources")?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| error::input(format!("spec.resources: cannot read {res}: {e}")))?;
            stream::visit(&text, res, |obj| {
                secrets::check_objects("spec.resources", std::slice::from_ref(&obj))?;
                stream.push(hold(&obj)?);
                Ok(())
            })?;
        }
        if let Some(why) = stream.duplicates() {
            return Err(error::input(format!("spec.resources: {why}")));
        }
    }

    let mut diagnostics = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        let mut loader = Loader::spawn(scope, rt, &mut plugins);
        for plugin in plugins {
            // A plugin with a `select` sees only its objects; the host keeps the rest.
            let given: Vec<bool> = stream
                .ids()
                .map(|id| plugin.selects(id.group(), id.kind()))
                .collect();
            let Ready {
                index,
                spec,
                name,
                info,
                select,
                start,
            } = plugin;
            let at = format!("spec.plugins[{index}]");
            let mut config = spec.config_for(cluster_values.config.get(&name));
            if let Some(overrides) = opts.overrides.get(&name) {
                let schema: Value =
                    serde_json::from_str(&info.config_schema).unwrap_or(Value::Null);
                for (path, raw) in overrides {
                    crate::argocd::apply_override(&name, &schema, &mut config, path, raw)?;
                }
            }
            schema::validate_cached(rt.cache(), &name, &info.config_schema, &config)?;
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
            tracing::debug!(
                plugin = name.as_str(),
                given = given.iter().filter(|g| **g).count(),
                of = given.len(),
                "objects passed to the plugin"
            );
            // The given objects' JSON moves to the plugin: the host keeps no copy while it runs.
            let manifests = stream.take_given(&given)?;
            let mut instance = loader.instance(&name, start)?;
            let out = instance.run(&ctx, &manifests)?;
            // The plugin's memory and the JSON it was given go before its output is read.
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
            let mut returned = out
                .manifests
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    Entry::returned(text).map_err(|why| {
                        error::plugin(format!("plugin {name}: returned manifest {}{why}", i + 1))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if opts.mode == wit::Mode::PostRender {
                stream.restore_helm_files(&given, &mut returned, &name)?;
            }
            if generates {
                for entry in &returned {
                    secrets::check_objects(
                        &format!("plugin {name}"),
                        std::slice::from_ref(&entry.object()?),
                    )?;
                }
            }
            if select.is_some() {
                stream.merge(&name, &given, returned)?;
            } else {
                stream.replace(returned);
            }
            if let Some(why) = stream.duplicates() {
                return Err(error::plugin(format!("plugin {name}: returned {why}")));
            }
        }
        Ok(())
    })?;
    // How the stream wires together, where the run sees enough of the cluster (wiring.rs).
    if let Some(view) = crate::wiring::View::for_mode(opts.mode, &namespace) {
        crate::wiring::report(&stream.objects()?, &view, &mut diagnostics)?;
    }
    Ok(Rendered {
        stream,
        input_objects,
        diagnostics,
        cluster,
    })
}

/// Helm 4 splits a post-rendered stream back into its template files by this annotation, so
/// every object must carry it.
pub const HELM_FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

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
