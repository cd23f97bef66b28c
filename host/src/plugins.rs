//! The `plugins` commands: list the built-ins and a pipeline's plugins, inspect one plugin's
//! description, verify every plugin of a pipeline, scaffold a new plugin crate. Each returns
//! the text the command prints.

use crate::builtin;
use crate::pipeline::{PipelineFile, PluginSpec, Source};
use crate::runtime::{Runtime, wit};
use crate::start::{self, Started};
use anyhow::{Context as _, Result};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// `plugins list`: the built-in plugins with their digests, then the pipeline's plugins.
pub fn list(dir: &Path) -> Result<String> {
    let mut out = String::from("BUILT-IN\n");
    for b in builtin::BUILTIN_COMPONENTS {
        let precompiled = if b.precompiled.is_some() {
            ", precompiled"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<24} sha256:{}  {} bytes{precompiled}",
            b.name,
            b.digest,
            b.component.len()
        );
    }
    let (pipeline, base) = PipelineFile::load(dir)?;
    let _ = writeln!(out, "PIPELINE {}", pipeline.metadata.name);
    for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
        let what = match spec.source(i, &base)? {
            Source::Builtin(b) => format!("builtin:{b}"),
            Source::File { rel, sha256, .. } => format!("{rel} (pinned sha256:{sha256})"),
        };
        let _ = writeln!(out, "  {:<24} {what}", spec.display_name());
    }
    Ok(out)
}

/// `plugins inspect`: the description and config schema of the pipeline's plugin `name`, or of
/// the built-in of that name, as JSON.
pub fn inspect(rt: &Runtime, name: &str, dir: &Path) -> Result<String> {
    let (pipeline, base) = PipelineFile::load(dir)?;
    rt.cache().keep_out_of_repository(&base);
    let found = pipeline
        .spec
        .plugins
        .iter()
        .enumerate()
        .find(|(_, p)| p.display_name() == name);
    let (src, limits) = match found {
        Some((i, spec)) => (
            spec.source(i, &base)?,
            spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?,
        ),
        None => (Source::Builtin(name.to_string()), Default::default()),
    };
    let Started { info, digest, .. } = start::start(rt, name, &src, limits)?;
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap_or(Value::Null);
    let doc = json!({
        "name": info.name,
        "version": info.version,
        "description": info.description,
        "role": match info.role {
            wit::Role::Generator => "generator",
            wit::Role::Transformer => "transformer",
            wit::Role::Both => "both",
        },
        "sha256": digest,
        "select": info.select.as_ref().map(|s| json!({"groups": s.groups, "kinds": s.kinds})),
        "configSchema": schema,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// `plugins verify`: every plugin of the pipeline in `dir` is fetched (pin), loaded
/// (component, world) and described, and its config and each cluster's are checked against
/// its schema.
pub fn verify(rt: &Runtime, dir: &Path) -> Result<String> {
    let (pipeline, base) = PipelineFile::load(dir)?;
    rt.cache().keep_out_of_repository(&base);
    let mut out = String::new();
    for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
        let name = spec.display_name();
        let limits = spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?;
        let Started { info, digest, .. } =
            start::start(rt, &name, &spec.source(i, &base)?, limits)?;
        verify_configs(&pipeline, spec, &name, &info.config_schema)?;
        let _ = writeln!(
            out,
            "ok  {name:<24} {} {}  sha256:{digest}",
            info.name, info.version
        );
    }
    Ok(out)
}

/// Checks plugin `name`'s config, and every cluster's patch of it, against its `schema`.
fn verify_configs(
    pipeline: &PipelineFile,
    spec: &PluginSpec,
    name: &str,
    schema: &str,
) -> Result<()> {
    let check = |config: &Value| match spec.builtin {
        Some(_) => crate::schema::validate(name, schema, config),
        None => crate::schema::validate_isolated(name, schema, config),
    };
    check(&spec.config_for(None))?;
    for (cluster, values) in &pipeline.spec.clusters {
        if let Some(patch) = values.config.get(name) {
            check(&spec.config_for(Some(patch))).with_context(|| format!("cluster {cluster}"))?;
        }
    }
    Ok(())
}

/// `plugins new`: a plugin crate on the SDK (from a local checkout at `sdk_path`, else the
/// flinkwasm Git repository).
pub fn new(name: &str, dir: &Path, sdk_path: Option<&Path>) -> Result<String> {
    let sdk = match sdk_path {
        Some(p) => crate::scaffold::Sdk::Path(p.to_path_buf()),
        None => crate::scaffold::Sdk::Git,
    };
    let mut out = String::new();
    for f in crate::scaffold::new_plugin(name, dir, &sdk)? {
        let _ = writeln!(out, "created {}", f.display());
    }
    Ok(out)
}
