//! Running a pipeline over a stream, in phases: start the plugins, read the input, call each
//! plugin in order (its config, its files, its objects), review and merge what it returns,
//! then check how the stream wires together.
//!
//! This module knows nothing of where the stream comes from or goes to: an integration
//! (`integration/`) hands it a [`Plan`], an [`Input`] and its [`Hooks`], and writes the
//! [`Rendered`] result.

use crate::error;
use crate::files::{self, Root};
use crate::held::{Entry, Held, Id, Returned};
use crate::plan::Plan;
use crate::policy::Policy;
use crate::report::{self, Reported};
use crate::runtime::{Instance, Runtime, wit};
use crate::scope::Scope;
use crate::start::{self, Loader, Ready};
use crate::stream::{self, Object};
use crate::{schema, secrets};
use anyhow::Result;

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

/// What an integration adds to a run between a plugin's return and the merge. Both default to
/// nothing.
pub trait Hooks {
    /// Checks one object a plugin returned, as it is read: `head` is its `apiVersion`, `kind`
    /// and `metadata`, dropped right after (a large release's heads are never held together).
    fn returned_object(&self, _plugin: &str, _entry: &Entry, _head: &Object) -> Result<()> {
        Ok(())
    }

    /// Reviews everything a plugin returned before it joins the stream; `given` marks the
    /// objects of `stream` it was given.
    fn returned(
        &self,
        _plugin: &str,
        _stream: &Held,
        _given: &[bool],
        _returned: &mut [Returned],
    ) -> Result<()> {
        Ok(())
    }
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

/// Runs the planned pipeline over `input`, with the integration's `hooks`.
pub fn run(rt: &Runtime, plan: &Plan<'_>, input: Input, hooks: &dyn Hooks) -> Result<Rendered> {
    let mut plugins = start::plan(rt, plan)?;
    let mut stream = Held::new(Scope::new(&plan.namespace));
    let input_objects = read(plan, &plugins, input, &mut stream)?;
    let mut diagnostics = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        let mut loader = Loader::spawn(scope, rt, &mut plugins);
        for plugin in plugins {
            let (mut call, start) = Call::prepare(rt, plan, plugin, &stream)?;
            let instance = loader.instance(&call.name, start)?;
            let out = call.invoke(instance, &mut stream)?;
            report::report(
                &call.name,
                out.diagnostics,
                &mut diagnostics,
                &report::Given {
                    granted: &call.ctx.files,
                    config: &call.config,
                    entry: &call.entry,
                },
            )?;
            call.merge(plan, out.manifests, &mut stream, hooks)?;
        }
        Ok(())
    })?;
    check(plan, &stream, &mut diagnostics)?;
    Ok(Rendered {
        stream,
        input_objects,
        diagnostics,
        cluster: plan.cluster.clone(),
    })
}

/// Reads the input and, in render modes, `spec.resources` into `stream`: each object held as
/// JSON where a plugin of the run will be given it, as its final YAML elsewhere. Returns the
/// number of input objects.
fn read(plan: &Plan<'_>, plugins: &[Ready<'_>], input: Input, stream: &mut Held) -> Result<usize> {
    let selected = |id: &Id| plugins.iter().any(|p| p.selects(id.group(), id.kind()));
    let hold = |obj: &Object| Entry::new(obj, selected);
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
    if plan.generates {
        for res in &plan.pipeline.spec.resources {
            let text = plan.root.read_text(res, "spec.resources")?;
            stream::visit(&text, res, |obj| {
                secrets::check_objects("spec.resources", std::slice::from_ref(&obj))?;
                stream.push(hold(&obj)?)
            })?;
        }
        if let Some(why) = stream.duplicates() {
            return Err(error::input(format!("spec.resources: {why}")));
        }
    }
    Ok(input_objects)
}

/// One plugin's turn: what it is given and may write.
struct Call {
    name: String,
    /// The config it runs with (its errors may blame a field of it).
    config: serde_json::Value,
    /// Its pipeline entry, for messages: `flinkwasm.yaml spec.plugins[N]`.
    entry: String,
    /// The objects of the stream it is given.
    given: Vec<bool>,
    /// Whether it sees only some objects (its output is then merged into the rest).
    selects: bool,
    policy: Policy,
    ctx: wit::Context,
    /// Its output limit, which the YAML its output makes counts against.
    output_bytes: usize,
    /// The given objects' fingerprints, once their JSON went to the plugin.
    taken: Option<crate::held::Given>,
}

impl Call {
    /// Resolves the plugin's config (checked against its schema and for secret values), its
    /// granted files, its policy and the objects it is given; hands back how its instance
    /// comes to be.
    fn prepare<'r>(
        rt: &Runtime,
        plan: &Plan<'_>,
        plugin: Ready<'r>,
        stream: &Held,
    ) -> Result<(Call, start::Start<'r>)> {
        let at = format!("spec.plugins[{}]", plugin.index);
        let spec = plugin.spec;
        let name = plugin.name;
        let config = plan.config(&name, spec, &plugin.info.config_schema)?;
        let trusted = spec.builtin.is_some();
        // Secrets first: a secret where the schema wants another type is still a secret in
        // Git, and should be named as one.
        secrets::check_config(&name, &format!("{at}.config"), &config)?;
        schema::validate_cached(
            rt.cache(),
            &name,
            &plugin.info.config_schema,
            &config,
            trusted,
        )?;
        let files = granted_files(&plan.root, &name, &spec.files, &format!("{at}.files"))?;
        let given = stream
            .ids()
            .map(|id| {
                plugin
                    .select
                    .as_ref()
                    .is_none_or(|s| s.matches_type(id.group(), id.kind()))
            })
            .collect();
        let call = Call {
            output_bytes: spec.limits.resolve(&format!("{at}.limits"))?.output_bytes,
            policy: policy_of(spec, &at)?,
            ctx: plan.context(&config, files),
            selects: plugin.select.is_some(),
            given,
            taken: None,
            entry: format!("{} {at}", crate::pipeline::FILE_NAME),
            config,
            name,
        };
        Ok((call, plugin.start))
    }

    /// Calls the plugin with its given objects, whose JSON moves out of the stream into it: the
    /// host keeps no copy while it runs, and the plugin's memory goes before its output is read.
    fn invoke(&mut self, mut instance: Instance<'_>, stream: &mut Held) -> Result<wit::RunOutput> {
        tracing::debug!(
            plugin = self.name.as_str(),
            given = self.given.iter().filter(|g| **g).count(),
            of = self.given.len(),
            "objects passed to the plugin"
        );
        let mut taken = stream.take_given(&self.given)?;
        let manifests = std::mem::take(&mut taken.texts);
        self.taken = Some(taken);
        let out = instance.run(&self.ctx, &manifests)?;
        drop(instance);
        drop(manifests);
        Ok(out)
    }

    /// Reads what the plugin returned, reviews it (the integration's hooks, the emission
    /// policy, secret values in render modes) and merges it into the stream.
    fn merge(
        self,
        plan: &Plan<'_>,
        manifests: Vec<String>,
        stream: &mut Held,
        hooks: &dyn Hooks,
    ) -> Result<()> {
        let name = &self.name;
        let mut cost = 0usize;
        let entries = manifests
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let (entry, head, one) = Entry::returned(text).map_err(|why| {
                    error::plugin(format!("plugin {name}: returned manifest {}{why}", i + 1))
                })?;
                cost = cost.saturating_add(one);
                if cost > self.output_bytes {
                    return Err(error::plugin(format!(
                        "plugin {name}: its output, written as YAML, comes to more than its \
                         output limit of {} by returned manifest {} (YAML indents every line by \
                         its depth, so JSON nested deep and wide grows many times over)",
                        crate::runtime::mib(self.output_bytes),
                        i + 1
                    )));
                }
                hooks.returned_object(name, &entry, &head)?;
                Ok(entry)
            })
            .collect::<Result<Vec<_>>>()?;
        let taken = self
            .taken
            .ok_or_else(|| anyhow::anyhow!("plugin {name}: merged before it ran"))?;
        let mut returned = stream.review(&self.given, &taken, entries);
        hooks.returned(name, stream, &self.given, &mut returned)?;
        check_policy(stream, name, &self.policy, &returned)?;
        if plan.generates {
            for r in &returned {
                let at = format!("plugin {name}");
                secrets::check_objects(&at, std::slice::from_ref(&r.entry.object()?))?;
            }
        }
        if self.selects {
            stream.merge(name, &self.given, returned)?;
        } else {
            stream.replace(returned)?;
        }
        match stream.duplicates() {
            Some(why) => Err(error::plugin(format!("plugin {name}: returned {why}"))),
            None => Ok(()),
        }
    }
}

/// How the stream wires together, where the run sees enough of the cluster (`wiring.rs`).
fn check(plan: &Plan<'_>, stream: &Held, diagnostics: &mut Vec<Reported>) -> Result<()> {
    match crate::wiring::View::for_caller(plan.caller, &plan.namespace, &plan.existing_namespaces) {
        Some(view) => crate::wiring::report(&|f| stream.each_object(f), &view, diagnostics),
        None => Ok(()),
    }
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

/// Every object the plugin wrote (added or changed) must be one its emission policy grants
/// ([`crate::policy`]), in the namespaces the run uses when it was called, and not a list
/// ([`crate::held::is_list`]).
fn check_policy(stream: &Held, plugin: &str, policy: &Policy, returned: &[Returned]) -> Result<()> {
    let mut run_namespaces = stream.namespaces();
    run_namespaces.insert(stream.scope().namespace());
    for r in returned.iter().filter(|r| r.written) {
        let id = &r.entry.id;
        if r.entry.list {
            // Whatever the policy, a list would carry objects past every check.
            return Err(error::plugin(format!(
                "plugin {plugin}: may not write {}: it is a list (a kind ending in `List` or a \
                 top-level `items` field), and kubectl, Helm, kustomize and Argo CD would apply \
                 the objects it holds, which no check has seen; return those objects one by one",
                id.describe()
            )));
        }
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
    Ok(())
}

/// The files granted to a plugin, read from inside the pipeline directory, sorted by path,
/// at most [`files::MAX_GRANTED_BYTES`] together.
fn granted_files(
    root: &Root,
    plugin: &str,
    grants: &[String],
    at: &str,
) -> Result<Vec<wit::GrantedFile>> {
    let mut out = Vec::new();
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
            out.push(wit::GrantedFile { path: rel, content });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}
