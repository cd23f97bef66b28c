//! A run's plan, resolved once from the pipeline, the cluster and the caller (in the spirit of
//! ripgrep's `HiArgs`): which cluster, which target values, which plugins with which config,
//! what the plugins see in their context. Everything after reads the plan; nothing resolves a
//! value twice or from somewhere else.

use crate::error;
use crate::files::Root;
use crate::pipeline::{Cluster, PipelineFile, PluginSpec, Target};
use crate::runtime::wit;
use anyhow::Result;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The Kubernetes version assumed when nothing names one (Helm's and Argo CD's are overridable).
pub const DEFAULT_KUBE_VERSION: &str = "1.31.0";

/// Who runs the pipeline. Plugins see its name (`context.caller`) and whether it generates
/// (`context.generate`); the wiring check sees how much of the stack the run holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `flinkwasm render`: the whole stack from a pipeline.
    Render,
    /// `flinkwasm post-render`: a Helm post-renderer over a chart's output.
    PostRender,
    /// `flinkwasm krm`: a KRM function called by kustomize or kpt.
    Krm,
    /// `flinkwasm argocd generate`: an Argo CD Config Management Plugin.
    ArgocdCmp,
}

impl Caller {
    /// The name plugins see in `context.caller`.
    pub fn name(self) -> &'static str {
        match self {
            Caller::Render => "render",
            Caller::PostRender => "post-render",
            Caller::Krm => "krm",
            Caller::ArgocdCmp => "argocd-cmp",
        }
    }

    /// Whether generators run and `spec.resources` are read: the caller assembles a stack
    /// rather than changing one someone else made.
    pub fn generates(self) -> bool {
        matches!(self, Caller::Render | Caller::ArgocdCmp)
    }
}

/// What the caller asks of a run: the integration's request, before the pipeline is read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Who runs the pipeline.
    pub caller: Caller,
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

impl Options {
    /// A request from `caller` with nothing else asked.
    pub fn new(caller: Caller) -> Options {
        Options {
            caller,
            cluster: None,
            target: Target::default(),
            defaults: Target::default(),
            only: Vec::new(),
            overrides: BTreeMap::new(),
        }
    }
}

/// A run, resolved.
#[derive(Debug)]
pub struct Plan<'p> {
    /// The pipeline.
    pub pipeline: &'p PipelineFile,
    /// The pipeline directory, which every file read stays inside.
    pub root: Root,
    /// The cluster rendered.
    pub cluster: String,
    /// That cluster's values in the pipeline.
    pub cluster_values: Cluster,
    /// The namespace of namespaced objects that name none.
    pub namespace: String,
    /// The Helm release or Argo CD application name.
    pub release: String,
    /// The target's Kubernetes version, without a leading `v`.
    pub kube_version: String,
    /// The API versions the target serves, sorted, without duplicates.
    pub api_versions: Vec<String>,
    /// Namespaces created before this render's objects (`spec.target.namespaces`).
    pub existing_namespaces: Vec<String>,
    /// Who runs the pipeline.
    pub caller: Caller,
    /// Whether generators run and `spec.resources` are read ([`Caller::generates`]).
    pub generates: bool,
    /// Run only these plugins; empty means all.
    pub only: Vec<String>,
    /// Per-plugin config overrides.
    pub overrides: BTreeMap<String, Vec<(String, String)>>,
}

impl<'p> Plan<'p> {
    /// Resolves `pipeline` (whose relative paths start at `base`) for the request `opts`.
    pub fn resolve(pipeline: &'p PipelineFile, base: &Path, opts: &Options) -> Result<Plan<'p>> {
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
        known_plugins(pipeline, opts)?;
        let mut api_versions = target
            .api_versions
            .unwrap_or_else(|| vec!["v1".to_string()]);
        api_versions.sort();
        api_versions.dedup();
        Ok(Plan {
            pipeline,
            root: Root::new(base)?,
            cluster,
            cluster_values,
            namespace: target.namespace.unwrap_or_else(|| "default".to_string()),
            release: target
                .release
                .unwrap_or_else(|| pipeline.metadata.name.clone()),
            kube_version: target
                .kube_version
                .unwrap_or_else(|| DEFAULT_KUBE_VERSION.to_string())
                .trim_start_matches('v')
                .to_string(),
            api_versions,
            existing_namespaces: target.namespaces.unwrap_or_default(),
            caller: opts.caller,
            generates: opts.caller.generates(),
            only: opts.only.clone(),
            overrides: opts.overrides.clone(),
        })
    }

    /// The plugins of the run, with their place in `spec.plugins`, in pipeline order.
    pub fn plugins(&self) -> impl Iterator<Item = (usize, &'p PluginSpec)> + '_ {
        self.pipeline
            .spec
            .plugins
            .iter()
            .enumerate()
            .filter(|(_, spec)| self.only.is_empty() || self.only.contains(&spec.display_name()))
    }

    /// The config plugin `name` (pipeline entry `spec`) runs with: its `config`, the cluster's
    /// merge patch, then the caller's overrides typed by its `schema`.
    pub fn config(&self, name: &str, spec: &PluginSpec, schema: &str) -> Result<Value> {
        let mut config = spec.config_for(self.cluster_values.config.get(name));
        if let Some(overrides) = self.overrides.get(name) {
            let schema: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
            for (path, raw) in overrides {
                apply_override(name, &schema, &mut config, path, raw)?;
            }
        }
        Ok(config)
    }

    /// The context a plugin is called with.
    pub fn context(&self, config: &Value, files: Vec<wit::GrantedFile>) -> wit::Context {
        wit::Context {
            cluster: self.cluster.clone(),
            namespace: self.namespace.clone(),
            release: self.release.clone(),
            generate: self.generates,
            caller: self.caller.name().to_string(),
            capabilities: wit::Capabilities {
                kube_version: self.kube_version.clone(),
                api_versions: self.api_versions.clone(),
            },
            config: config.to_string(),
            files,
        }
    }
}

/// Refuses a request naming a plugin the pipeline does not have.
fn known_plugins(pipeline: &PipelineFile, opts: &Options) -> Result<()> {
    let names: Vec<String> = pipeline
        .spec
        .plugins
        .iter()
        .map(|p| p.display_name())
        .collect();
    match opts
        .only
        .iter()
        .chain(opts.overrides.keys())
        .find(|name| !names.contains(name))
    {
        None => Ok(()),
        Some(name) => Err(error::input(format!(
            "no plugin `{}` in the pipeline; it has: {}",
            crate::text::safe(name),
            names.join(", ")
        ))),
    }
}

/// Sets `raw` at the dotted `path` of `config`, typed by the plugin's JSON Schema (a number,
/// integer or boolean field gets one; anything else stays a string). For Argo CD Application
/// parameters, which are all strings.
pub fn apply_override(
    plugin: &str,
    schema: &Value,
    config: &mut Value,
    path: &str,
    raw: &str,
) -> Result<()> {
    let keys: Vec<&str> = path.split('.').collect();
    let mut node = schema;
    for key in &keys {
        node = node
            .get("properties")
            .and_then(|p| p.get(*key))
            .unwrap_or(&Value::Null);
    }
    let kind = node.get("type").and_then(Value::as_str).unwrap_or("string");
    let value = match kind {
        "integer" | "number" | "boolean" => serde_json::from_str(raw).map_err(|_| {
            error::input(format!(
                "Argo CD parameter {plugin}: {path} must be of type {kind}, got `{}`",
                crate::text::safe(raw)
            ))
        })?,
        _ => Value::String(raw.to_string()),
    };
    let mut cur = config;
    for key in &keys {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else {
            return Ok(());
        };
        cur = map.entry((*key).to_string()).or_insert(Value::Null);
    }
    *cur = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overrides_are_typed_by_the_schema() {
        let schema = json!({"properties": {"port": {"type": "integer"},
            "dashboard": {"properties": {"enabled": {"type": "boolean"}}}}});
        let mut config = json!({"other": 1});
        apply_override("monitoring", &schema, &mut config, "port", "9250").unwrap();
        apply_override(
            "monitoring",
            &schema,
            &mut config,
            "dashboard.enabled",
            "false",
        )
        .unwrap();
        apply_override("monitoring", &schema, &mut config, "name", "x").unwrap();
        assert_eq!(
            config,
            json!({"other": 1, "port": 9250, "dashboard": {"enabled": false}, "name": "x"})
        );
        let err = apply_override("monitoring", &schema, &mut config, "port", "x").unwrap_err();
        assert!(err.to_string().contains("port must be of type integer"));
    }
}
