//! The pipeline file, `flinkwasm.yaml`: which plugins run in which order with which config and
//! limits, which files they are granted, and the clusters the stack knows.
//!
//! Parsing is strict: an unknown key anywhere is an error naming its path
//! (`spec.plugins[0].limits.memry`). A directory without `flinkwasm.yaml` renders the built-in
//! default pipeline ([`DEFAULT_PIPELINE`]).

mod limits;

pub use limits::{Limits, LimitsSpec, parse_bytes, parse_millis};

use crate::error;
use anyhow::{Context as _, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The pipeline file's name inside a pipeline directory.
pub const FILE_NAME: &str = "flinkwasm.yaml";
/// The `apiVersion` of pipeline files.
pub const API_VERSION: &str = "flinkwasm.io/v1alpha1";
/// The built-in default pipeline: the whole stack on the default cluster.
pub const DEFAULT_PIPELINE: &str = include_str!("default.yaml");

/// A parsed pipeline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineFile {
    /// Must be [`API_VERSION`].
    pub api_version: String,
    /// Must be `Pipeline`.
    pub kind: String,
    /// Name of the pipeline.
    pub metadata: Metadata,
    /// The pipeline itself.
    pub spec: Spec,
}

/// Pipeline metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The pipeline's name.
    pub name: String,
}

/// The pipeline specification.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Target defaults: namespace, release, Kubernetes and API versions.
    #[serde(default)]
    pub target: Target,
    /// The cluster used when none is named (default `default`).
    pub default_cluster: Option<String>,
    /// Manifest files (relative to the pipeline directory) read as the initial stream.
    #[serde(default)]
    pub resources: Vec<String>,
    /// A chart rendered by the Helm CLI whose output starts the stream (`chart/`).
    pub chart: Option<ChartSpec>,
    /// The plugins, in the order they run.
    pub plugins: Vec<PluginSpec>,
    /// Per-cluster values.
    #[serde(default)]
    pub clusters: BTreeMap<String, Cluster>,
    /// Signatures every `oci:` plugin must carry, unless its entry says otherwise.
    #[serde(default)]
    pub verify: Option<Verify>,
}

/// Which signatures an `oci:` plugin must carry (`verify:`): a cosign signature of its manifest
/// digest by one of `keys` ([`crate::signature`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verify {
    /// PEM public keys (paths relative to the pipeline directory); a signature by any one of
    /// them is enough. Must not be empty.
    pub keys: Vec<String>,
}

/// A chart named by the pipeline: from a Helm repository or an OCI registry (`repo`, `name`,
/// `version`) or a directory inside the pipeline directory (`path`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartSpec {
    /// Helm repository URL (`https://`, or `http://`), or an OCI registry and repository
    /// path the chart is below (`oci://registry[:port]/path`: the chart is `oci://…/path/NAME`).
    pub repo: Option<String>,
    /// The chart's name in the repository.
    pub name: Option<String>,
    /// The chart's version (exact).
    pub version: Option<String>,
    /// A chart directory, relative to the pipeline directory.
    pub path: Option<String>,
    /// `sha256:` of the packaged chart (`.tgz`) the repository serves (for an OCI registry, the
    /// digest of the chart's layer).
    pub sha256: Option<String>,
    /// The Helm release name (default: the `releaseName` of the `valuesFrom` plugin's
    /// Application, else the run's release).
    pub release: Option<String>,
    /// The plugin whose Argo CD Application (`helm.valuesObject`) gives the chart's values.
    pub values_from: Option<String>,
    /// Values merged last (JSON merge patch).
    pub values: Option<serde_json::Map<String, Value>>,
}

/// Where the output goes: the values plugins see in their context.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// Default namespace.
    pub namespace: Option<String>,
    /// Helm release / Argo CD application name.
    pub release: Option<String>,
    /// Kubernetes version (`1.31.0`).
    pub kube_version: Option<String>,
    /// API versions the cluster serves.
    pub api_versions: Option<Vec<String>>,
    /// Namespaces that exist before this render's objects are applied (created by the root of
    /// an app-of-apps): the wiring check takes them as created.
    pub namespaces: Option<Vec<String>>,
}

impl Target {
    /// `self` with every unset field taken from `base`.
    pub fn or(&self, base: &Target) -> Target {
        Target {
            namespace: self.namespace.clone().or_else(|| base.namespace.clone()),
            release: self.release.clone().or_else(|| base.release.clone()),
            kube_version: self
                .kube_version
                .clone()
                .or_else(|| base.kube_version.clone()),
            api_versions: self
                .api_versions
                .clone()
                .or_else(|| base.api_versions.clone()),
            namespaces: self.namespaces.clone().or_else(|| base.namespaces.clone()),
        }
    }
}

/// Per-cluster values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// Overrides of the target defaults.
    #[serde(default)]
    pub target: Target,
    /// Per-plugin configuration, merged (JSON merge patch) over the plugin's `config`.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
}

/// One plugin of the pipeline.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginSpec {
    /// The plugin's name in this pipeline; defaults to the built-in's name.
    pub name: Option<String>,
    /// A built-in plugin, by name.
    pub builtin: Option<String>,
    /// An external component, by path relative to the pipeline directory.
    pub path: Option<String>,
    /// The external component's pin, `sha256:<64 hex digits>`. Required with `path`.
    pub sha256: Option<String>,
    /// A component in an OCI registry, `<registry>/<repository>[:tag]@sha256:<digest>` (the
    /// digest of its manifest; a tag alone is refused); see [`crate::oci`].
    pub oci: Option<String>,
    /// Signatures this `oci:` plugin must carry; default: the pipeline's `spec.verify`.
    #[serde(default)]
    pub verify: Option<Verify>,
    /// Configuration, validated against the plugin's schema.
    #[serde(default)]
    pub config: Option<Value>,
    /// Limits, which may only tighten the host's defaults.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Files (relative to the pipeline directory) granted to the plugin.
    #[serde(default)]
    pub files: Vec<String>,
    /// Which objects the plugin is given; the others pass by it untouched, and it may not
    /// return an object with the identity of one it was not given. Default: all.
    #[serde(default)]
    pub select: Option<Select>,
    /// Which objects the plugin may write (add or change): see [`crate::policy`]. Default: a
    /// built-in's declaration, else the safe default for external plugins.
    #[serde(default)]
    pub emit: Option<EmitSpec>,
}

/// A plugin's emission policy as the pipeline writes it (`emit:`); see [`crate::policy`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmitSpec {
    /// `Kind`, `Kind.group`, `*.group` or `*` (any kind that is not sensitive).
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    /// Namespaces objects may land in, `*` for any but the system ones; default: the run's.
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Whether cluster-scoped objects may be written.
    #[serde(default)]
    pub cluster_scoped: bool,
}

/// A plugin's view of the stream: objects matching every non-empty criterion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Select {
    /// API groups (`""` for core); empty means any.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Kinds; empty means any.
    #[serde(default)]
    pub kinds: Vec<String>,
}

impl Select {
    /// True when the plugin is given objects of `kind` in API group `group`.
    pub fn matches_type(&self, group: &str, kind: &str) -> bool {
        (self.groups.is_empty() || self.groups.iter().any(|g| g == group))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }
}

/// Where a plugin's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Embedded in the binary.
    Builtin(String),
    /// A file, with its required pin (lower-case hex).
    File {
        /// The path as the pipeline writes it, relative to the pipeline directory.
        rel: String,
        /// The pipeline directory, which the file must stay inside.
        base: PathBuf,
        /// The expected sha256, 64 lower-case hex digits.
        sha256: String,
    },
    /// A component in an OCI registry, pinned by its manifest's digest.
    Oci {
        /// The reference, checked: registry, repository, digest.
        reference: crate::oci::Pinned,
        /// The signatures it must carry, if any.
        verify: Option<Verify>,
        /// The pipeline directory, which the keys' paths start from.
        base: PathBuf,
    },
}

impl PluginSpec {
    /// The plugin's configuration for a cluster: `config` (an empty object when unset) with the
    /// cluster's value for this plugin merged over it as a JSON merge patch.
    pub fn config_for(&self, cluster_patch: Option<&Value>) -> Value {
        let mut config = self
            .config
            .clone()
            .unwrap_or_else(|| Value::Object(Default::default()));
        if let Some(patch) = cluster_patch {
            merge_patch(&mut config, patch);
        }
        config
    }

    /// The plugin's name in the pipeline.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.builtin.clone())
            .or_else(|| self.oci.as_deref().and_then(crate::oci::default_name))
            .or_else(|| {
                self.path.as_ref().map(|p| {
                    p.rsplit('/')
                        .next()
                        .unwrap_or(p)
                        .trim_end_matches(".wasm")
                        .to_string()
                })
            })
            .unwrap_or_default()
    }

    /// The component source, checked: exactly one of `builtin`, `path` and `oci`, a
    /// well-formed pin with `path`, a digest in `oci`, and `verify` only on `oci`.
    pub fn source(&self, index: usize, base: &Path) -> Result<Source> {
        let at = format!("spec.plugins[{index}]");
        if self.oci.is_none() && self.verify.is_some() {
            return Err(error::input(format!(
                "{at}.verify: signatures are checked on `oci:` plugins only (a `path:` plugin \
                 is pinned by its sha256, a built-in is this binary's own)"
            )));
        }
        match (&self.builtin, &self.path, &self.oci) {
            (Some(b), None, None) => {
                if self.sha256.is_some() {
                    return Err(error::input(format!(
                        "{at}.sha256: built-in plugins are embedded in the binary and take no pin"
                    )));
                }
                Ok(Source::Builtin(b.clone()))
            }
            (None, Some(p), None) => {
                let pin = self.sha256.as_deref().ok_or_else(|| {
                    error::input(format!("{at}.sha256: external plugin {p} needs a pin, `sha256: sha256:<hex>` (see `flinkwasm plugins verify`)"))
                })?;
                let hex = pin
                    .strip_prefix("sha256:")
                    .unwrap_or(pin)
                    .to_ascii_lowercase();
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(error::input(format!(
                        "{at}.sha256: `{pin}` is not `sha256:` followed by 64 hex digits"
                    )));
                }
                Ok(Source::File {
                    rel: p.clone(),
                    base: base.to_path_buf(),
                    sha256: hex,
                })
            }
            (None, None, Some(reference)) => {
                if self.sha256.is_some() {
                    return Err(error::input(format!(
                        "{at}.sha256: an `oci:` plugin is pinned by the digest in its reference \
                         (`...@sha256:<hex>`), not by `sha256:`"
                    )));
                }
                let reference = crate::oci::Pinned::parse(reference)
                    .map_err(|why| error::input(format!("{at}.oci: {why}")))?;
                if let Some(v) = &self.verify
                    && v.keys.is_empty()
                {
                    return Err(error::input(format!(
                        "{at}.verify.keys: name at least one PEM public key"
                    )));
                }
                Ok(Source::Oci {
                    reference,
                    verify: self.verify.clone(),
                    base: base.to_path_buf(),
                })
            }
            (None, None, None) => Err(error::input(format!(
                "{at}: give `builtin: <name>`, `path: <file.wasm>` with `sha256:`, or \
                 `oci: <registry>/<repository>@sha256:<digest>`"
            ))),
            _ => Err(error::input(format!(
                "{at}: give only one of `builtin`, `path` and `oci`"
            ))),
        }
    }
}

/// Whether `name` may name a plugin: it appears in messages, logs and Helm file names
/// (`flinkwasm/<name>.yaml`), so it is short and plain.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.chars().all(|c| c == '.')
}

/// JSON merge patch (RFC 7386).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// A serde error without the value it quotes (`invalid type: string "…", expected …` becomes
/// `invalid type: a string, expected …`): the file may not be a pipeline at all (a KRM
/// functionConfig can name any file of the package), and its content is not for stderr.
fn without_value(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(lead)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            let kind = found.split([' ', '`', '"']).next().unwrap_or("value");
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return format!("{lead}{article} {kind}, expected {expected}");
        }
    }
    message.to_string()
}

impl PipelineFile {
    /// Parses a pipeline file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<PipelineFile> {
        let de = serde_yaml::Deserializer::from_str(text);
        let file: PipelineFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            // serde_yaml prefixes the path of the enclosing mapping itself; keep only ours.
            let inner = match inner.split_once(": ") {
                Some((prefix, rest)) if path.starts_with(prefix) && !prefix.contains(' ') => {
                    rest.to_string()
                }
                _ => inner,
            };
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}: ")
            };
            error::input(format!("{origin}: {at}{}", without_value(&inner)))
        })?;
        if file.api_version != API_VERSION || file.kind != "Pipeline" {
            return Err(error::input(format!(
                "{origin}: expected apiVersion {API_VERSION} and kind Pipeline, found {} {}",
                file.api_version, file.kind
            )));
        }
        let mut file = file;
        if let Some(v) = &file.spec.verify {
            if v.keys.is_empty() {
                return Err(error::input(format!(
                    "{origin}: spec.verify.keys: name at least one PEM public key"
                )));
            }
            // The pipeline's requirement is every `oci:` plugin's that has none of its own.
            for p in file.spec.plugins.iter_mut().filter(|p| p.oci.is_some()) {
                p.verify.get_or_insert_with(|| v.clone());
            }
        }
        let mut names = BTreeMap::new();
        for (i, p) in file.spec.plugins.iter().enumerate() {
            let name = p.display_name();
            if !valid_name(&name) {
                return Err(error::input(format!(
                    "{origin}: spec.plugins[{i}].name: `{}` is not a plugin name (1 to 63 \
                     letters, digits, `-`, `_` or `.`, not only dots)",
                    crate::text::safe(&name)
                )));
            }
            if let Some(j) = names.insert(name.clone(), i) {
                return Err(error::input(format!(
                    "{origin}: spec.plugins[{i}].name: `{name}` is already the name of spec.plugins[{j}]"
                )));
            }
        }
        for (cluster, values) in &file.spec.clusters {
            for plugin in values.config.keys() {
                if !names.contains_key(plugin) {
                    return Err(error::input(format!(
                        "{origin}: spec.clusters.{cluster}.config.{plugin}: no plugin of that name in spec.plugins"
                    )));
                }
            }
        }
        Ok(file)
    }

    /// Loads `DIR/flinkwasm.yaml`, or the built-in default pipeline when the directory has none.
    /// Returns the pipeline and the directory its relative paths start from.
    /// The pipeline file, like every file of the directory, is read only from inside it
    /// ([`crate::files`]): a `flinkwasm.yaml` that is a symlink to another file is refused.
    pub fn load(dir: &Path) -> Result<(PipelineFile, PathBuf)> {
        let path = dir.join(FILE_NAME);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(dir = %dir.display(), "no {FILE_NAME}: using the built-in default pipeline");
                Ok((
                    Self::parse(DEFAULT_PIPELINE, "built-in default pipeline")?,
                    dir.to_path_buf(),
                ))
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
            Ok(_) => {
                let text = crate::files::Root::new(dir)?.read_text(FILE_NAME, FILE_NAME)?;
                Ok((
                    Self::parse(&text, &path.display().to_string())?,
                    dir.to_path_buf(),
                ))
            }
        }
    }

    /// Loads a pipeline from an explicit file path (a regular file, bounded); its directory
    /// is the one its relative paths start from.
    pub fn load_file(path: &Path) -> Result<(PipelineFile, PathBuf)> {
        let shown = path.display().to_string();
        let real = path
            .canonicalize()
            .map_err(|e| error::input(format!("cannot read pipeline file {shown}: {e}")))?;
        let bytes = crate::files::read_regular(
            &real,
            &shown,
            "pipeline file",
            crate::files::MAX_FILE_BYTES,
        )?;
        let text = String::from_utf8(bytes)
            .map_err(|_| error::input(format!("pipeline file {shown}: is not UTF-8 text")))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok((Self::parse(&text, &shown)?, base))
    }

    /// The name of the cluster to render: `requested`, else `spec.defaultCluster`, else
    /// `default`. A requested cluster must be known (or be `default`).
    pub fn cluster_name(&self, requested: Option<&str>) -> Result<String> {
        let name = requested
            .map(str::to_string)
            .or_else(|| self.spec.default_cluster.clone())
            .unwrap_or_else(|| "default".to_string());
        if name != "default" && !self.spec.clusters.contains_key(&name) {
            let known: Vec<_> = std::iter::once("default")
                .chain(self.spec.clusters.keys().map(String::as_str))
                .collect();
            return Err(error::input(format!(
                "unknown cluster `{}`; this pipeline knows: {}",
                crate::text::safe(&name),
                known.join(", ")
            )));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins:\n  - builtin: flink-environment\n";

    #[test]
    fn default_pipeline_parses() {
        let p = PipelineFile::parse(DEFAULT_PIPELINE, "default").unwrap();
        assert!(!p.spec.plugins.is_empty());
    }

    #[test]
    fn unknown_keys_name_their_path() {
        let text = MINIMAL.replace(
            "  - builtin: flink-environment\n",
            "  - builtin: flink-environment\n    limits: {memry: 1Mi}\n",
        );
        let err = PipelineFile::parse(&text, "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("p.yaml: spec.plugins[0].limits.memry: unknown field `memry`"),
            "{err}"
        );
    }

    #[test]
    fn external_plugins_need_a_wellformed_pin() {
        let text = MINIMAL.replace("builtin: flink-environment", "path: x.wasm");
        let p = PipelineFile::parse(&text, "p").unwrap();
        let err = p.spec.plugins[0]
            .source(0, Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("spec.plugins[0].sha256: external plugin x.wasm needs a pin"),
            "{err}"
        );
        let text = MINIMAL.replace(
            "builtin: flink-environment",
            "{path: x.wasm, sha256: 'sha256:abc'}",
        );
        let p = PipelineFile::parse(&text, "p").unwrap();
        assert!(p.spec.plugins[0].source(0, Path::new(".")).is_err());
    }

    #[test]
    fn unknown_cluster_lists_known_ones() {
        let p = PipelineFile::parse(MINIMAL, "p").unwrap();
        assert_eq!(p.cluster_name(None).unwrap(), "default");
        let err = p.cluster_name(Some("prod")).unwrap_err().to_string();
        assert_eq!(err, "unknown cluster `prod`; this pipeline knows: default");
    }

    #[test]
    fn cluster_config_must_name_a_plugin() {
        let text =
            format!("{MINIMAL}  clusters:\n    homelab:\n      config:\n        nope: {{}}\n");
        let err = PipelineFile::parse(&text, "p").unwrap_err().to_string();
        assert!(
            err.contains("spec.clusters.homelab.config.nope: no plugin of that name"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_no_pipeline_is_not_quoted_in_the_error() {
        let err = PipelineFile::parse("https://x:ghs_SECRET@github.com\n", ".git-credentials")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
        assert!(err.contains("invalid type: a string, expected"), "{err}");
        let err = PipelineFile::parse("apiVersion: 5\n", "p")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('5'), "{err}");
    }
}
