//! The `plugins` commands: list the built-ins and a pipeline's plugins, inspect one plugin's
//! description, verify every plugin of a pipeline (pins, signatures, configs), pull a
//! pipeline's `oci:` plugins into the cache, push a component to a registry (and sign it),
//! scaffold a new plugin crate. Each returns the text the command prints.

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
            Source::Oci {
                reference, verify, ..
            } => match verify {
                Some(v) => format!("oci:{reference} (signed by one of {})", v.keys.join(", ")),
                None => format!("oci:{reference}"),
            },
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

/// `plugins verify`: every plugin of the pipeline in `dir` is fetched (pin; an `oci:` plugin's
/// digest and required signature, pulled if it is not cached), loaded (component, world) and
/// described, and its config and each cluster's are checked against its schema.
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

/// `plugins pull`: every `oci:` plugin of the pipeline in `dir` (and the signatures it must
/// carry) and its repository chart pulled into the cache, then everything `plugins verify`
/// checks. A run after it needs
/// no registry (the Argo CD `init` step runs it; `generate` is offline).
pub fn pull(rt: &Runtime, dir: &Path) -> Result<String> {
    let (pipeline, base) = PipelineFile::load(dir)?;
    rt.cache().keep_out_of_repository(&base);
    let mut oci = Vec::new();
    for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
        if let Source::Oci {
            reference,
            verify,
            base,
        } = spec.source(i, &base)?
        {
            oci.push((spec.display_name(), reference, verify, base));
        }
    }
    let chart = pipeline
        .spec
        .chart
        .as_ref()
        .is_some_and(|c| c.repo.is_some());
    if (!oci.is_empty() || chart) && !rt.cache().usable() {
        // What is pulled would not be kept, and the offline run after (Argo CD generate)
        // would refuse it: fail here, where the cause is, not there.
        return Err(anyhow::anyhow!(
            "plugins pull: no usable cache directory (see the warning above), so nothing \
             pulled would be kept for the runs after it; set FLINKWASM_CACHE_DIR to a \
             directory of this user's outside the repository"
        ));
    }
    let mut out = String::new();
    for (name, reference, verify, base) in oci {
        let pulled = crate::oci::pull(rt.cache(), &name, &reference, verify.as_ref(), &base)?;
        let what = if pulled { "pulled" } else { "cached" };
        let _ = writeln!(out, "{what:<6} {name:<24} {reference}");
    }
    if let Some((chart, pulled)) = crate::chart::prefetch(rt.cache(), &pipeline)? {
        let what = if pulled { "pulled" } else { "cached" };
        let _ = writeln!(out, "{what:<6} {chart}");
    }
    out.push_str(&verify(rt, dir)?);
    Ok(out)
}

/// `plugins push`: the component in `file` pushed to `target` (`oci://registry/repo[:tag]`) as
/// the CNCF Wasm artifact, signed with the private key `sign_key` when given; returns the
/// reference to pin, `registry/repo@sha256:<manifest digest>`.
pub fn push(file: &Path, target: &str, sign_key: Option<&Path>) -> Result<String> {
    let target = crate::oci::Target::parse(target)
        .map_err(|why| crate::error::input(format!("push: {why}")))?;
    let shown = file.display().to_string();
    // A path on the command line is the user's own choice: symlinks on it are followed.
    let real = file
        .canonicalize()
        .map_err(|e| crate::error::input(format!("push: cannot read {shown}: {e}")))?;
    let component =
        crate::files::read_regular(&real, &shown, "push", crate::source::MAX_COMPONENT_BYTES)?;
    // A WebAssembly component: the magic, then the component layer's version.
    if !component.starts_with(b"\0asm\x0d\x00\x01\x00") {
        return Err(crate::error::input(format!(
            "push: {shown} is not a WebAssembly component (build it for wasm32-wasip2)"
        )));
    }
    // Before anything is pushed: a key that cannot sign fails the command at once.
    let signer = sign_key.map(crate::signature::load_signer).transpose()?;
    use crate::oci::artifact;
    let layer = artifact::Descriptor::of(artifact::WASM_LAYER_MEDIA_TYPE, &component);
    let config = artifact::config(&layer.digest);
    let manifest = artifact::manifest(
        artifact::Descriptor::of(artifact::WASM_CONFIG_MEDIA_TYPE, &config),
        layer,
    );
    let registry = crate::oci::registry::Registry::connect(&target.registry)
        .map_err(|why| anyhow::anyhow!("push: {why}"))?;
    let digest = registry
        .push(
            &target.repository,
            target.tag.as_deref(),
            &[config.as_slice(), component.as_slice()],
            &manifest,
        )
        .map_err(|why| anyhow::anyhow!("push: {why}"))?;
    if let Some(signer) = signer {
        let tag = crate::signature::sign_and_push(
            &registry,
            &target.registry,
            &target.repository,
            &digest,
            &signer,
        )?;
        tracing::info!(
            "signed {digest}: {}/{}:{tag}",
            target.registry,
            target.repository
        );
    }
    Ok(format!(
        "{}/{}@{digest}\n",
        target.registry, target.repository
    ))
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

/// `plugins new`: a plugin project in `lang` (a Rust crate takes the SDK from a local checkout
/// at `sdk_path`, else the flinkwasm Git repository).
pub fn new(
    name: &str,
    dir: &Path,
    lang: crate::scaffold::Lang,
    sdk_path: Option<&Path>,
) -> Result<String> {
    if lang != crate::scaffold::Lang::Rust && sdk_path.is_some() {
        return Err(crate::error::input(
            "--sdk-path names the Rust SDK; a Python or JavaScript project carries its SDK module",
        ));
    }
    let sdk = match sdk_path {
        Some(p) => crate::scaffold::Sdk::Path(p.to_path_buf()),
        None => crate::scaffold::Sdk::Git,
    };
    let mut out = String::new();
    for f in crate::scaffold::new_plugin(name, dir, lang, &sdk)? {
        let _ = writeln!(out, "created {}", f.display());
    }
    Ok(out)
}
