//! Running a pipeline: resolve the cluster and target, then pass the stream through each plugin
//! in order, validating configs, granting files and collecting diagnostics.

use crate::error;
use crate::files::{self, Root};
use crate::held::{Entry, Held, Id};
use crate::pipeline::{PipelineFile, Target};
use crate::policy::Policy;
use crate::runtime::{Runtime, wit};
use crate::schema;
use crate::scope::Scope;
use crate::secrets;
use crate::start::{self, Loader, Ready};
use crate::stream::{self, Object};
use anyhow::Result;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

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
    /// One line: `plugin NAME: Kind/ns/name field: message`. Every text the plugin gave is
    /// made safe first ([`crate::text::safe`]): the line cannot be split or forged.
    pub fn line(&self) -> String {
        use crate::text::safe;
        let d = &self.diagnostic;
        let mut s = format!("plugin {}: ", self.plugin);
        if let Some(r) = &d.object {
            match &r.namespace {
                Some(ns) => {
                    s.push_str(&format!("{}/{}/{}", safe(&r.kind), safe(ns), safe(&r.name)))
                }
                None => s.push_str(&format!("{}/{}", safe(&r.kind), safe(&r.name))),
            }
            s.push(' ');
        }
        if let Some(f) = &d.field {
            s.push_str(&safe(f));
            s.push(' ');
        }
        if d.object.is_some() || d.field.is_some() {
            s.truncate(s.trim_end().len());
            s.push_str(": ");
        }
        s.push_str(&safe(&d.message));
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

impl Rendered {
    /// Refuses a run that was given objects and returns none: Helm 4 fails on it, and a KRM
    /// orchestrator (`kpt fn eval`, kustomize) would delete every file of the package.
    pub fn refuse_emptied(&self) -> Result<()> {
        if self.stream.is_empty() && self.input_objects > 0 {
            return Err(error::plugin(format!(
                "the pipeline removed all {} objects; refusing to print an empty stream",
                self.input_objects
            )));
        }
        Ok(())
    }
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
    let root = Root::new(base)?;
    let selected = |id: &Id| plugins.iter().any(|p| p.selects(id.group(), id.kind()));
    let hold = |obj: &Object| Entry::new(obj, selected);
    let mut stream = Held::new(Scope::new(&namespace));
    match input {
        Input::None => {}
        Input::Objects(objects) => {
            for obj in &objects {
                stream.push(hold(obj)?)?;
            }
        }
        Input::Text { text, origin } => {
            stream::visit(&text, &origin, |obj| stream.push(hold(&obj)?))?;
        }
    }
    let input_objects = stream.len();
    if let Some(why) = stream.duplicates() {
        return Err(error::input(format!("input: {why}")));
    }
    if generates {
        for res in &pipeline.spec.resources {
            let text = root.read_text(res, "spec.resources")?;
            stream::visit(&text, res, |obj| {
                secrets::check_objects("spec.resources", std::slice::from_ref(&obj))?;
                stream.push(hold(&obj)?)
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
            let policy = policy_of(spec, &at)?;
            let mut config = spec.config_for(cluster_values.config.get(&name));
            if let Some(overrides) = opts.overrides.get(&name) {
                let schema: Value =
                    serde_json::from_str(&info.config_schema).unwrap_or(Value::Null);
                for (path, raw) in overrides {
                    crate::argocd::apply_override(&name, &schema, &mut config, path, raw)?;
                }
            }
            let trusted = spec.builtin.is_some();
            schema::validate_cached(rt.cache(), &name, &info.config_schema, &config, trusted)?;
            secrets::check_config(&name, &format!("{at}.config"), &config)?;

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
                files: granted_files(&root, &name, &spec.files, &format!("{at}.files"))?,
            };
            tracing::debug!(
                plugin = name.as_str(),
                given = given.iter().filter(|g| **g).count(),
                of = given.len(),
                "objects passed to the plugin"
            );
            // The given objects' JSON moves to the plugin: the host keeps no copy while it runs.
            let mut taken = stream.take_given(&given)?;
            let manifests = std::mem::take(&mut taken.texts);
            let mut instance = loader.instance(&name, start)?;
            let out = instance.run(&ctx, &manifests)?;
            // The plugin's memory and the JSON it was given go before its output is read.
            drop(instance);
            drop(manifests);

            report(&name, out.diagnostics, &mut diagnostics)?;
            let returned = out
                .manifests
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    let (entry, head) = Entry::returned(text).map_err(|why| {
                        error::plugin(format!("plugin {name}: returned manifest {}{why}", i + 1))
                    })?;
                    // The head is read here and dropped: a large release's heads are never
                    // held together.
                    if opts.mode == wit::Mode::Krm {
                        crate::annotations::krm_path(&name, &entry, &head)?;
                    }
                    Ok(entry)
                })
                .collect::<Result<Vec<_>>>()?;
            let mut returned = stream.review(&given, &taken, returned);
            check_returned(&stream, &name, opts.mode, &policy, &given, &mut returned)?;
            if generates {
                for r in &returned {
                    secrets::check_objects(
                        &format!("plugin {name}"),
                        std::slice::from_ref(&r.entry.object()?),
                    )?;
                }
            }
            if select.is_some() {
                stream.merge(&name, &given, returned)?;
            } else {
                stream.replace(returned)?;
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

/// What plugin `spec` may write: the pipeline's `emit:`, else the built-in's declaration,
/// else the default for external plugins.
fn policy_of(spec: &crate::pipeline::PluginSpec, at: &str) -> Result<Policy> {
    if let Some(emit) = &spec.emit {
        return Policy::from_spec(emit, &format!("{at}.emit"));
    }
    Ok(match &spec.builtin {
        Some(name) => crate::builtin::policy(name),
        None => Policy::external_default(),
    })
}

/// The files granted to a plugin, read from inside the pipeline directory, sorted by path,
/// at most [`files::MAX_GRANTED_BYTES`] together.
fn granted_files(
    root: &Root,
    plugin: &str,
    grants: &[String],
    at: &str,
) -> Result<Vec<wit::GrantedFile>> {
    let mut files = Vec::new();
    let mut total = 0u64;
    for grant in grants {
        for (rel, real) in root.expand(grant, at)? {
            let bytes = files::read_regular(&real, &rel, at, files::MAX_FILE_BYTES)?;
            total += bytes.len() as u64;
            if total > files::MAX_GRANTED_BYTES {
                return Err(error::input(format!(
                    "{at}: the granted files hold more than {} MiB together",
                    files::MAX_GRANTED_BYTES >> 20
                )));
            }
            let content = String::from_utf8(bytes).map_err(|e| {
                error::input(format!(
                    "plugin {plugin}: cannot read granted file {}: it is not UTF-8 text \
                     (invalid byte at offset {})",
                    crate::text::safe(&rel),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            files.push(wit::GrantedFile { path: rel, content });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

/// Logs and keeps a plugin's diagnostics; its error diagnostics fail the run, one line each.
fn report(name: &str, found: Vec<wit::Diagnostic>, kept: &mut Vec<Reported>) -> Result<()> {
    let mut errors = Vec::new();
    for d in found {
        let r = Reported {
            plugin: name.to_string(),
            diagnostic: d,
        };
        match r.diagnostic.severity {
            wit::Severity::Error => errors.push(r.line()),
            wit::Severity::Warning => tracing::warn!("{}", r.line()),
            wit::Severity::Info => tracing::info!("{}", r.line()),
        }
        kept.push(r);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(error::plugin(errors.join("\n")))
    }
}

/// The places in the stream of the objects a plugin was given.
fn given_places(given: &[bool]) -> impl Iterator<Item = usize> + '_ {
    given
        .iter()
        .enumerate()
        .filter(|(_, g)| **g)
        .map(|(i, _)| i)
}

/// What a plugin returned, checked before it joins the stream: Helm's file annotation stays
/// the host's ([`crate::annotations`]; KRM paths are checked as the objects are read), and
/// every object the plugin wrote is one its emission policy grants ([`crate::policy`]).
fn check_returned(
    stream: &Held,
    plugin: &str,
    mode: wit::Mode,
    policy: &Policy,
    given: &[bool],
    returned: &mut [crate::held::Returned],
) -> Result<()> {
    let helm_files =
        mode == wit::Mode::PostRender && stream.ids().any(|id| id.helm_file().is_some());
    let given_files: std::collections::HashSet<&str> = match helm_files {
        true => given_places(given)
            .filter_map(|i| stream.id(i).and_then(crate::held::Id::helm_file))
            .collect(),
        false => Default::default(),
    };
    let mut run_namespaces = stream.namespaces();
    run_namespaces.insert(stream.scope().namespace());
    for r in returned.iter_mut() {
        if helm_files {
            let original = r
                .origin
                .map(|i| stream.id(i).and_then(crate::held::Id::helm_file));
            crate::annotations::helm_file(plugin, original, &given_files, r)?;
        }
        if r.written {
            let id = &r.entry.id;
            let lands = stream
                .scope()
                .landing(id.group(), id.kind(), id.namespace());
            policy
                .allows(
                    stream.scope(),
                    id.group(),
                    id.kind(),
                    lands,
                    id.name(),
                    &run_namespaces,
                )
                .map_err(|rule| {
                    error::plugin(format!(
                        "plugin {plugin}: may not write {}: {rule}",
                        id.describe()
                    ))
                })?;
        }
    }
    Ok(())
}

pub use crate::annotations::HELM_FILENAME;
