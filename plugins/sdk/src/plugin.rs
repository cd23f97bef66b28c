//! The [`Plugin`] trait a guest implements, and the glue from it to the WIT exports.

use crate::bindings::flinkwasm::plugin::types as wit;
use crate::context::Context;
use crate::diagnostic::{Diagnostic, Error};
use crate::manifest::Manifest;
use serde_json::Value;

/// What a plugin does with the manifest stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Adds new manifests; skipped outside `render`.
    Generator,
    /// Changes the manifests it is given.
    Transformer,
    /// Both.
    Both,
}

/// What a plugin says about itself.
#[derive(Debug, Clone)]
pub struct Info {
    /// Unique dash-separated name.
    pub name: String,
    /// SemVer version.
    pub version: String,
    /// One-line description.
    pub description: String,
    /// JSON Schema of the configuration.
    pub config_schema: Value,
    /// What the plugin does with the stream.
    pub role: Role,
    /// The objects `run` needs, when not all: (API groups, kinds); see [`Info::select`].
    pub select: Option<(Vec<String>, Vec<String>)>,
}

impl Info {
    /// Info with a schema that accepts only an empty object; see [`Info::schema`].
    pub fn new(name: &str, version: &str, description: &str, role: Role) -> Self {
        Info {
            name: name.to_string(),
            version: version.to_string(),
            description: description.to_string(),
            config_schema: serde_json::json!({"type": "object", "additionalProperties": false}),
            role,
            select: None,
        }
    }

    /// Sets the JSON Schema of the configuration, written by hand; prefer
    /// [`Info::schema_for`], which derives it from the type the plugin reads its config into.
    pub fn schema(mut self, schema: Value) -> Self {
        self.config_schema = schema;
        self
    }

    /// Sets the JSON Schema of the configuration to the one derived from `T`, the type
    /// [`Context::config`](crate::Context::config) reads it into, so the two cannot disagree.
    ///
    /// `T` derives `serde::Deserialize` and `schemars::JsonSchema` (add `schemars` to the
    /// plugin's dependencies). Its doc comments become the descriptions `flinkwasm plugins
    /// inspect` and Argo CD's parameter UI show; `#[schemars(...)]` attributes add what serde
    /// cannot say (`length(min = 1)`, `range(min = 1)`, `pattern(...)`). Every subschema is
    /// inlined, unknown keys are refused everywhere, and an optional field may be left out but
    /// is never `null`.
    pub fn schema_for<T: schemars::JsonSchema>(self) -> Self {
        let schema = crate::schema::of::<T>(&self.name);
        self.schema(schema)
    }

    /// Declares that `run` needs only the objects in one of `groups` (`""` is the core group)
    /// and of one of `kinds` (an empty list means any). The host then passes only those, keeps
    /// the rest in place, and appends the objects the plugin adds. On a large Helm release this
    /// is most of a transformer's cost saved. A plugin must not look at other objects.
    pub fn select(mut self, groups: &[&str], kinds: &[&str]) -> Self {
        self.select = Some((
            groups.iter().map(|g| g.to_string()).collect(),
            kinds.iter().map(|k| k.to_string()).collect(),
        ));
        self
    }
}

/// What a plugin returns: the new stream and its findings.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The new stream; it replaces the input.
    pub manifests: Vec<Manifest>,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Output {
    /// Output with these manifests and no findings.
    pub fn new(manifests: Vec<Manifest>) -> Self {
        Output {
            manifests,
            diagnostics: Vec::new(),
        }
    }

    /// Adds a finding.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// A flinkwasm plugin.
pub trait Plugin {
    /// Says what the plugin is. Must not depend on input.
    fn info() -> Info;

    /// Runs over the stream and returns the new one.
    fn run(ctx: &Context, manifests: Vec<Manifest>) -> Result<Output, Error>;
}

/// Glue for `describe`.
pub fn describe<P: Plugin>() -> wit::PluginInfo {
    let info = P::info();
    wit::PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        config_schema: info.config_schema.to_string(),
        role: match info.role {
            Role::Generator => wit::Role::Generator,
            Role::Transformer => wit::Role::Transformer,
            Role::Both => wit::Role::Both,
        },
        select: info
            .select
            .map(|(groups, kinds)| wit::Selection { groups, kinds }),
    }
}

/// Glue for `run`: decodes the inputs, calls the plugin, encodes the output. Every failure
/// becomes an `error` diagnostic, never a trap.
pub fn run<P: Plugin>(ctx: wit::Context, manifests: Vec<String>) -> wit::RunOutput {
    match run_inner::<P>(ctx, manifests) {
        Ok(out) => wit::RunOutput {
            manifests: out.manifests.into_iter().map(Manifest::into_json).collect(),
            diagnostics: out
                .diagnostics
                .into_iter()
                .map(Diagnostic::into_wit)
                .collect(),
        },
        Err(Error(diagnostic)) => wit::RunOutput {
            manifests: Vec::new(),
            diagnostics: vec![(*diagnostic).into_wit()],
        },
    }
}

fn run_inner<P: Plugin>(ctx: wit::Context, manifests: Vec<String>) -> Result<Output, Error> {
    let ctx = Context::from_wit(ctx)?;
    run_texts::<P>(&ctx, manifests)
}

/// Reads the objects the host gave and runs the plugin over them: the part of `run` that
/// does not touch the bindings, which `testing` shares.
pub(crate) fn run_texts<P: Plugin>(ctx: &Context, manifests: Vec<String>) -> Result<Output, Error> {
    // Each object stays the text it came in until the plugin needs more than its identity.
    let mut decoded = Vec::with_capacity(manifests.len());
    for (index, text) in manifests.into_iter().enumerate() {
        decoded.push(
            Manifest::from_json(text)
                .map_err(|why| Error::new(format!("manifest {index} {why}")))?,
        );
    }
    P::run(ctx, decoded)
}
