//! The contract's versions the host links, side by side (as Spin links two versions of an
//! interface): `flinkwasm:plugin@0.3.0` (`wit/plugin.wit`), the one the host speaks, and
//! `flinkwasm:plugin@0.2.0` (`wit/0.2.0/plugin.wit`), kept for one release so components built
//! against it keep working. A component is bound to the first world its exports match; a
//! 0.2.0 component's answers are translated to 0.3.0's types here and nowhere else.

use super::sandbox::State;
use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

/// Host bindings generated from `wit/plugin.wit`; the WIT file documents every item.
#[allow(missing_docs)]
pub mod current {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

/// Host bindings generated from the archived `wit/0.2.0/plugin.wit`.
#[allow(missing_docs)]
mod legacy {
    wasmtime::component::bindgen!({
        path: "../wit/0.2.0",
        world: "plugin",
    });
}

use current::flinkwasm::plugin::types as wit;
use legacy::flinkwasm::plugin::types as old;

/// The version of the contract this host speaks.
pub const VERSION: &str = "flinkwasm:plugin@0.3.0";

/// Links both versions' `host` interface.
pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    current::Plugin::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    legacy::Plugin::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

/// A component linked against one version of the world, ready to instantiate.
pub enum Pre {
    /// Built against 0.3.0.
    Current(current::PluginPre<State>),
    /// Built against 0.2.0.
    Legacy(legacy::PluginPre<State>),
}

impl Pre {
    /// Binds `pre` to the world its exports match, 0.3.0 first. The error is 0.3.0's, which
    /// names what the component lacks.
    pub fn new(pre: InstancePre<State>) -> wasmtime::Result<Pre> {
        match current::PluginPre::new(pre.clone()) {
            Ok(bound) => Ok(Pre::Current(bound)),
            Err(e) => legacy::PluginPre::new(pre).map(Pre::Legacy).map_err(|_| e),
        }
    }

    /// A fresh instance in `store`.
    pub fn instantiate(&self, store: &mut Store<State>) -> wasmtime::Result<Bindings> {
        match self {
            Pre::Current(pre) => pre.instantiate(store).map(Bindings::Current),
            Pre::Legacy(pre) => pre.instantiate(store).map(Bindings::Legacy),
        }
    }
}

/// An instance's exports, whichever version it was built against.
pub enum Bindings {
    /// Built against 0.3.0.
    Current(current::Plugin),
    /// Built against 0.2.0.
    Legacy(legacy::Plugin),
}

impl Bindings {
    /// Calls `describe`.
    pub fn describe(&self, store: &mut Store<State>) -> wasmtime::Result<wit::PluginInfo> {
        match self {
            Bindings::Current(b) => b.call_describe(store),
            Bindings::Legacy(b) => b.call_describe(store).map(info),
        }
    }

    /// Calls `run`; a 0.2.0 component gets the context in its old shape.
    pub fn run(
        &self,
        store: &mut Store<State>,
        ctx: &wit::Context,
        manifests: &[String],
    ) -> wasmtime::Result<wit::RunOutput> {
        match self {
            Bindings::Current(b) => b.call_run(store, ctx, manifests),
            Bindings::Legacy(b) => b.call_run(store, &context(ctx), manifests).map(run_output),
        }
    }
}

/// 0.2.0's `mode` for a caller: the four callers 0.2.0 knew by their names; a caller it did
/// not know as the mode that generates the same way.
fn mode(ctx: &wit::Context) -> old::Mode {
    match (ctx.caller.as_str(), ctx.generate) {
        ("render", _) => old::Mode::Render,
        ("post-render", _) => old::Mode::PostRender,
        ("krm", _) => old::Mode::Krm,
        ("argocd-cmp", _) => old::Mode::ArgocdCmp,
        (_, true) => old::Mode::Render,
        (_, false) => old::Mode::PostRender,
    }
}

fn context(ctx: &wit::Context) -> old::Context {
    old::Context {
        cluster: ctx.cluster.clone(),
        namespace: ctx.namespace.clone(),
        release: ctx.release.clone(),
        mode: mode(ctx),
        capabilities: old::Capabilities {
            kube_version: ctx.capabilities.kube_version.clone(),
            api_versions: ctx.capabilities.api_versions.clone(),
        },
        config: ctx.config.clone(),
        files: ctx
            .files
            .iter()
            .map(|f| old::GrantedFile {
                path: f.path.clone(),
                content: f.content.clone(),
            })
            .collect(),
    }
}

fn info(i: old::PluginInfo) -> wit::PluginInfo {
    wit::PluginInfo {
        name: i.name,
        version: i.version,
        description: i.description,
        config_schema: i.config_schema,
        role: match i.role {
            old::Role::Generator => wit::Role::Generator,
            old::Role::Transformer => wit::Role::Transformer,
            old::Role::Both => wit::Role::Both,
        },
        select: i.select.map(|s| wit::Selection {
            groups: s.groups,
            kinds: s.kinds,
        }),
    }
}

fn run_output(out: old::RunOutput) -> wit::RunOutput {
    wit::RunOutput {
        manifests: out.manifests,
        diagnostics: out.diagnostics.into_iter().map(diagnostic).collect(),
    }
}

fn diagnostic(d: old::Diagnostic) -> wit::Diagnostic {
    wit::Diagnostic {
        severity: match d.severity {
            old::Severity::Error => wit::Severity::Error,
            old::Severity::Warning => wit::Severity::Warning,
            old::Severity::Info => wit::Severity::Info,
        },
        message: d.message,
        object: d.object.map(|o| wit::ResourceRef {
            api_version: o.api_version,
            kind: o.kind,
            name: o.name,
            namespace: o.namespace,
        }),
        field: d.field,
    }
}

/// The `types` interfaces have no functions; their (empty) host traits still need an impl.
impl wit::Host for State {}
impl old::Host for State {}

impl current::flinkwasm::plugin::host::Host for State {
    fn log(&mut self, level: current::flinkwasm::plugin::host::Level, message: String) {
        self.log.emit(level, &message);
    }
}

impl legacy::flinkwasm::plugin::host::Host for State {
    fn log(&mut self, level: legacy::flinkwasm::plugin::host::Level, message: String) {
        use current::flinkwasm::plugin::host::Level as New;
        use legacy::flinkwasm::plugin::host::Level as Old;
        let level = match level {
            Old::Trace => New::Trace,
            Old::Debug => New::Debug,
            Old::Info => New::Info,
            Old::Warn => New::Warn,
            Old::Error => New::Error,
        };
        self.log.emit(level, &message);
    }
}
