//! A chart source: the chart a pipeline names (`spec.chart`), rendered by the Helm CLI
//! (`helm.rs`), whose output starts the stream of a `render` or Argo CD run, so that the
//! component's plugins, team plugins and the emission policy see what the chart deploys.
//!
//! - **Where from.** A Helm repository (`repo`, `name`, exact `version`; `helm pull NAME
//!   --repo=URL`), an OCI registry (`repo: oci://registry/path`, `name`, `version`; `helm pull
//!   oci://registry/path/NAME`, `--plain-http` for a loopback registry only, credentials from
//!   the Docker config as for `oci:` plugins: only that registry's entry, in a registry config
//!   of the run), or a directory inside the pipeline directory (`path`; every file below it
//!   resolved and confined as `files.rs` confines a grant, so a symlink cannot hand Helm a
//!   file outside).
//! - **Pinned and cached.** A pulled archive is checked against `sha256` when the pipeline pins
//!   one, and kept in flinkwasm's authenticated cache under the sha256 of repository URL (or
//!   `oci://` reference), name, version and pin (`runtime/cache.rs` records): a warm run pulls
//!   nothing. Helm bounds what a registry sends (a manifest at 4 MiB, a layer at the size its
//!   descriptor states); flinkwasm bounds Helm (memory, time, output, `helm.rs`) and keeps an
//!   archive of at most [`MAX_ARCHIVE`], whose `Chart.yaml` must name the chart and version
//!   asked for (`archive.rs`): a repository cannot answer one chart with another.
//! - **Values.** The `valuesFrom` plugin is run alone first, as the whole component
//!   (`argocd.layout: whole`): the `helm.valuesObject` of the Application it emits for the chart
//!   (what Argo CD would have given Helm) and its `releaseName`; then the pipeline's `values`
//!   are merged over them.
//! - **Rendered** with `helm template RELEASE CHART --namespace=… --kube-version=…
//!   --api-versions=… --include-crds --values=FILE`, the run's namespace and capabilities.
//!
//! Every user string reaches Helm as `--flag=value` or as a path flinkwasm resolved, and is
//! checked first (no leading `-`, a narrow alphabet). Every failure is an input error naming
//! the chart, with Helm's message made safe; stdout stays empty.

mod archive;

use crate::error;
use crate::helm::Helm;
use crate::pipeline::{ChartSpec, PipelineFile, merge_patch};
use crate::plan::{Options, Plan};
use crate::run::{self, Hooks, Input};
use crate::runtime::Runtime;
use crate::runtime::{Cache, record_key, sha256_hex};
use anyhow::Result;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long `helm pull` may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `helm template` may take.
const TEMPLATE_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest packaged chart kept (the cache reads back records up to 4 MiB).
const MAX_ARCHIVE: u64 = 4 << 20;

/// Where a chart comes from, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// A Helm repository, or an OCI registry when `url` starts with `oci://`.
    Repository {
        url: String,
        name: String,
        version: String,
        sha256: Option<String>,
    },
    /// A directory below the pipeline directory.
    Directory { path: String },
}

/// The chart of a pipeline, checked, as errors name it.
#[derive(Debug, Clone)]
struct Chart {
    origin: Origin,
    shown: String,
}

/// The run's input when the pipeline names a chart: the chart rendered by Helm. `input` is
/// what the integration gave; a chart and an input stream together are refused.
pub fn input(
    rt: &Runtime,
    plan: &Plan<'_>,
    base: &Path,
    opts: &Options,
    input: Input,
) -> Result<Input> {
    let Some(spec) = &plan.pipeline.spec.chart else {
        return Ok(input);
    };
    if !matches!(input, Input::None) {
        return Err(error::input(
            "the pipeline names a chart (spec.chart), and the caller gives a stream too (Helm's \
             post-render, a KRM ResourceList): use a pipeline without spec.chart there",
        ));
    }
    let chart = Chart::check(spec)?;
    let (mut values, app_release) = match &spec.values_from {
        Some(plugin) => values_from(rt, plan.pipeline, base, opts, plugin, spec)?,
        None => (json!({}), None),
    };
    if let Some(extra) = &spec.values {
        let extra = Value::Object(extra.clone());
        // The pipeline file is kept in Git, its chart values as much as its plugins' configs.
        crate::secrets::check_values("spec.chart.values", &extra)?;
        merge_patch(&mut values, &extra);
    }
    let release = spec
        .release
        .clone()
        .or(app_release)
        .unwrap_or_else(|| plan.release.clone());
    let what = &chart.shown;
    checked(&release, "release", what, is_release)?;
    checked(&plan.namespace, "namespace", what, is_dns_label)?;
    checked(&plan.kube_version, "Kubernetes version", what, is_version)?;
    for api in &plan.api_versions {
        checked(api, "API version", what, is_api_version)?;
    }

    let helm = Helm::find()?;
    let home = tempfile::Builder::new()
        .prefix("flinkwasm-helm-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| error::input(format!("{what}: creating a temporary directory: {e}")))?;
    let chart_arg = match &chart.origin {
        Origin::Directory { path } => {
            // Every file Helm will read: confined to the pipeline directory, regular, bounded.
            confined_chart(plan, path, what)?
        }
        Origin::Repository { .. } => fetch(rt.cache(), &helm, home.path(), &chart)?,
    };
    let values_file = home.path().join("values.json");
    std::fs::write(&values_file, values.to_string())
        .map_err(|e| error::input(format!("{what}: writing its values: {e}")))?;
    let mut args: Vec<OsString> = vec![
        "template".into(),
        release.clone().into(),
        chart_arg.into_os_string(),
        format!("--namespace={}", plan.namespace).into(),
        format!("--kube-version=v{}", plan.kube_version).into(),
    ];
    args.extend(
        plan.api_versions
            .iter()
            .map(|a| OsString::from(format!("--api-versions={a}"))),
    );
    args.push("--include-crds".into());
    let mut values_arg = OsString::from("--values=");
    values_arg.push(&values_file);
    args.push(values_arg);
    let out = helm.run(&args, home.path(), TEMPLATE_TIMEOUT, what)?;
    let text = String::from_utf8(out)
        .map_err(|_| error::input(format!("{what}: Helm's output is not UTF-8")))?;
    if plan.generates && matches!(chart.origin, Origin::Directory { .. }) {
        // A chart kept in the repository is a file of the repository: a literal secret in its
        // templates is a secret committed to Git, refused as in `spec.resources`. A pulled
        // chart's own Secrets (CMF's generated trial license) are the chart's, as a
        // Helm-native Application would deliver them.
        crate::stream::visit(&text, what, |obj| {
            crate::secrets::check_objects(what, std::slice::from_ref(&obj))
        })?;
    }
    Ok(Input::Text {
        text,
        origin: what.clone(),
    })
}

/// The chart directory `path`, every file in it confined to the pipeline directory, a regular
/// file, at most [`crate::files::MAX_FILE_BYTES`] each and [`crate::files::MAX_GRANTED_BYTES`]
/// in all: what a grant of the same directory would be held to.
fn confined_chart(plan: &Plan<'_>, path: &str, what: &str) -> Result<PathBuf> {
    use crate::files::{MAX_FILE_BYTES, MAX_GRANTED_BYTES};
    let mut total = 0u64;
    for (rel, real) in plan.root.expand(path, "spec.chart.path")? {
        let meta = std::fs::metadata(&real)
            .map_err(|e| error::input(format!("{what}: {}: {e}", crate::text::safe(&rel))))?;
        if !meta.is_file() {
            return Err(error::input(format!(
                "{what}: {} is not a regular file",
                crate::text::safe(&rel)
            )));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(error::input(format!(
                "{what}: {} is larger than {} MiB",
                crate::text::safe(&rel),
                MAX_FILE_BYTES >> 20
            )));
        }
        total = total.saturating_add(meta.len());
        if total > MAX_GRANTED_BYTES {
            return Err(error::input(format!(
                "{what}: the chart directory holds more than {} MiB",
                MAX_GRANTED_BYTES >> 20
            )));
        }
    }
    plan.root.resolve(path, "spec.chart.path")
}

impl Chart {
    fn check(spec: &ChartSpec) -> Result<Chart> {
        let origin = match (&spec.path, &spec.repo) {
            (Some(path), None) if spec.name.is_none() && spec.version.is_none() => {
                if spec.sha256.is_some() {
                    return Err(error::input(
                        "spec.chart.sha256 pins a packaged chart from a repository; a chart \
                         directory is pinned by the repository's own revision",
                    ));
                }
                Origin::Directory { path: path.clone() }
            }
            (None, Some(url)) => {
                if has_userinfo(url) {
                    // Neither on Helm's command line nor in an error message: credentials
                    // belong in Helm's repository configuration (README), not in the URL.
                    return Err(error::input(
                        "spec.chart.repo holds a user name or password: give the sidecar the \
                         repository's credentials instead (README: chart repositories)",
                    ));
                }
                if url.contains(['?', '#']) {
                    // A token in a query or fragment is a credential too, and would be shown
                    // wherever the URL is (Helm's messages, logs): not repeated here either.
                    return Err(error::input(
                        "spec.chart.repo has a query or fragment (`?...`, `#...`): a chart \
                         repository URL is scheme, host, port and path; give the sidecar the \
                         repository's credentials instead (README: chart repositories)",
                    ));
                }
                if url.starts_with("oci://") {
                    if registry_of(url).is_none() {
                        return Err(error::input(
                            "spec.chart.repo is not an oci:// reference flinkwasm passes to \
                             Helm: oci://REGISTRY[:PORT][/PATH], the path in the OCI grammar \
                             (lowercase, no tag or digest: the version is spec.chart.version)",
                        ));
                    }
                } else if !(url.starts_with("https://") || url.starts_with("http://"))
                    || !http_authority_ok(url)
                    || url.len() > 2048
                    || url.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    // Not shown: a malformed authority may be a credential typed wrong.
                    return Err(error::input(
                        "spec.chart.repo is not an http(s) URL: http[s]://HOST[:PORT][/PATH], \
                         at most 2048 characters, no spaces",
                    ));
                }
                let (Some(name), Some(version)) = (&spec.name, &spec.version) else {
                    return Err(error::input(
                        "spec.chart names a repository: name and version are required",
                    ));
                };
                let what = format!("chart {}", crate::text::safe(name));
                checked(name, "name", &what, is_chart_name)?;
                if url.starts_with("oci://") {
                    // The chart is a repository of the registry: the OCI grammar holds for it.
                    checked(
                        name,
                        "name (an OCI repository path component)",
                        &what,
                        |n| crate::oci::valid_repository(n) && !n.contains('/'),
                    )?;
                }
                checked(version, "version (exact)", &what, is_version)?;
                let sha256 = match &spec.sha256 {
                    None => None,
                    Some(pin) => {
                        let hex = pin.strip_prefix("sha256:").unwrap_or(pin);
                        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(error::input(format!(
                                "{what}: spec.chart.sha256 is not a sha256 (64 hex digits, \
                                 optionally after sha256:)"
                            )));
                        }
                        Some(hex.to_ascii_lowercase())
                    }
                };
                Origin::Repository {
                    url: url.clone(),
                    name: name.clone(),
                    version: version.clone(),
                    sha256,
                }
            }
            _ => {
                return Err(error::input(
                    "spec.chart names either a repository (repo, name, version) or a chart \
                     directory (path), not both",
                ));
            }
        };
        let shown = match &origin {
            Origin::Repository {
                url, name, version, ..
            } => format!(
                "chart {} {} from {}",
                crate::text::safe(name),
                crate::text::safe(version),
                crate::text::safe(url)
            ),
            Origin::Directory { path } => format!("chart {}", crate::text::safe(path)),
        };
        Ok(Chart { origin, shown })
    }
}

/// `plugins pull` (the Argo CD `init` step): the pipeline's repository chart pulled into the
/// cache, so that an offline run ([`crate::network`], Argo CD `generate`) finds it. `None` when
/// the pipeline names no repository chart, else the chart as messages name it and whether it
/// was pulled (`false`: it was in the cache).
pub fn prefetch(cache: &Cache, pipeline: &PipelineFile) -> Result<Option<(String, bool)>> {
    let Some(spec) = &pipeline.spec.chart else {
        return Ok(None);
    };
    let chart = Chart::check(spec)?;
    if !matches!(chart.origin, Origin::Repository { .. }) {
        return Ok(None);
    }
    let cached = cached(cache, &chart).is_some();
    if !cached {
        let helm = Helm::find()?;
        let home = tempfile::Builder::new()
            .prefix("flinkwasm-helm-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| {
                error::input(format!(
                    "{}: creating a temporary directory: {e}",
                    chart.shown
                ))
            })?;
        fetch(cache, &helm, home.path(), &chart)?;
    }
    Ok(Some((chart.shown, !cached)))
}

/// The cache's record of a repository chart: where its archive is kept (the sha256 of
/// repository URL, name, version and pin).
fn cache_key(chart: &Chart) -> Option<String> {
    let Origin::Repository {
        url,
        name,
        version,
        sha256,
    } = &chart.origin
    else {
        return None;
    };
    Some(record_key(
        "chart",
        &[url, name, version, sha256.as_deref().unwrap_or("")],
    ))
}

/// The repository chart's archive from the cache, when it is there and matches its pin.
fn cached(cache: &Cache, chart: &Chart) -> Option<Vec<u8>> {
    let Origin::Repository { sha256, .. } = &chart.origin else {
        return None;
    };
    let pinned = |bytes: &[u8]| sha256.as_deref().is_none_or(|pin| sha256_hex(bytes) == pin);
    cache.recorded(&cache_key(chart)?).filter(|b| pinned(b))
}

/// The packaged chart, from the cache or pulled (and then cached), written into `home`. An
/// offline run ([`crate::network`]) takes it from the cache or fails.
fn fetch(cache: &Cache, helm: &Helm, home: &Path, chart: &Chart) -> Result<PathBuf> {
    let Origin::Repository {
        url,
        name,
        version,
        sha256,
    } = &chart.origin
    else {
        unreachable!("fetch is called for repository charts only")
    };
    let what = &chart.shown;
    let archive = home.join("chart.tgz");
    if let Some(bytes) = cached(cache, chart) {
        tracing::debug!("{what}: from the cache");
        std::fs::write(&archive, bytes)
            .map_err(|e| error::input(format!("{what}: writing the archive: {e}")))?;
        return Ok(archive);
    }
    if crate::network::offline() {
        return Err(error::input(format!(
            "{what} is not in the cache, and this run may not fetch it (Argo CD generate, \
             FLINKWASM_OFFLINE): `flinkwasm plugins pull` fetches it (the CMP's init step)"
        )));
    }
    let dest = home.join("pull");
    std::fs::create_dir(&dest)
        .map_err(|e| error::input(format!("{what}: creating a temporary directory: {e}")))?;
    let mut destination = OsString::from("--destination=");
    destination.push(&dest);
    let args: Vec<OsString> = match registry_of(url) {
        None => vec![
            "pull".into(),
            name.into(),
            format!("--repo={url}").into(),
            format!("--version={version}").into(),
            destination,
        ],
        Some(registry) => {
            // Helm's own registry config lives in the run's private home: it gets the Docker
            // config's entry for this registry alone (README: chart registries).
            let config = crate::oci::credentials::helm_registry_config(registry)
                .map_err(|e| error::input(format!("{what}: registry credentials: {e}")))?;
            let config_file = home.join("registry-config.json");
            write_private(&config_file, config.as_bytes())
                .map_err(|e| error::input(format!("{what}: writing its registry config: {e}")))?;
            let mut registry_config = OsString::from("--registry-config=");
            registry_config.push(&config_file);
            let mut args: Vec<OsString> = vec![
                "pull".into(),
                format!("{url}/{name}").into(),
                format!("--version={version}").into(),
                destination,
                registry_config,
            ];
            if crate::oci::registry::loopback(registry) {
                // Plain HTTP to this machine only, as for `oci:` plugins; HTTPS elsewhere.
                args.push("--plain-http".into());
            }
            args
        }
    };
    if registry_of(url).is_some_and(crate::oci::registry::loopback) {
        // A loopback registry is spoken to in plain HTTP: its token realm or a redirect could
        // name a plain-HTTP host elsewhere, and Helm would send the credentials there. Helm
        // is kept on this machine instead (the rule `oci:` plugins follow).
        helm.run_on_this_machine(&args, home, PULL_TIMEOUT, what)?;
    } else {
        helm.run(&args, home, PULL_TIMEOUT, what)?;
    }
    let pulled: Vec<PathBuf> = std::fs::read_dir(&dest)
        .map_err(|e| error::input(format!("{what}: reading what Helm pulled: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let [file] = pulled.as_slice() else {
        return Err(error::input(format!(
            "{what}: Helm pulled {} files, expected one archive",
            pulled.len()
        )));
    };
    let bytes = crate::files::read_regular(file, "the pulled archive", what, MAX_ARCHIVE)?;
    let digest = sha256_hex(&bytes);
    if let Some(pin) = sha256
        && &digest != pin
    {
        return Err(error::input(format!(
            "{what}: the repository serves sha256:{digest}, and the pipeline pins \
             sha256:{pin}; refused"
        )));
    }
    archive::check(&bytes, name, version)
        .map_err(|e| error::input(format!("{what}: {e}; refused")))?;
    if let Some(key) = cache_key(chart) {
        cache.record(&key, &bytes);
    }
    std::fs::write(&archive, &bytes)
        .map_err(|e| error::input(format!("{what}: writing the archive: {e}")))?;
    Ok(archive)
}

/// No review of its own: the values pass is an ordinary run.
struct ValuesPass;
impl Hooks for ValuesPass {}

/// The chart's values and release name from the Application `plugin` emits when it renders
/// its whole component alone.
fn values_from(
    rt: &Runtime,
    pipeline: &PipelineFile,
    base: &Path,
    opts: &Options,
    plugin: &str,
    spec: &ChartSpec,
) -> Result<(Value, Option<String>)> {
    let mut o = opts.clone();
    o.only = vec![plugin.to_string()];
    let overrides = o.overrides.entry(plugin.to_string()).or_default();
    overrides.push(("argocd.layout".to_string(), "whole".to_string()));
    overrides.push(("argocd.enabled".to_string(), "true".to_string()));
    let plan = Plan::resolve(pipeline, base, &o)?;
    let mut rendered = run::run(rt, &plan, Input::None, &ValuesPass)?;
    rendered.stream.finish()?;
    let mut text = Vec::new();
    rendered.stream.write_to(&mut text)?;
    let text = String::from_utf8_lossy(&text);
    let objects = crate::stream::parse(&text, plugin)?;
    let source = objects
        .iter()
        .filter(|o| {
            o.get("apiVersion").and_then(Value::as_str) == Some("argoproj.io/v1alpha1")
                && o.get("kind").and_then(Value::as_str) == Some("Application")
        })
        .filter_map(|o| o.get("spec")?.get("source"))
        .find(|s| {
            s.get("helm").is_some()
                && spec
                    .name
                    .as_deref()
                    .is_none_or(|n| s.get("chart").and_then(Value::as_str) == Some(n))
        })
        .ok_or_else(|| {
            error::input(format!(
                "spec.chart.valuesFrom: plugin {} emits no Application installing the chart, \
                 whose helm.valuesObject would give its values",
                crate::text::safe(plugin)
            ))
        })?;
    let values = source
        .pointer("/helm/valuesObject")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let release = source
        .pointer("/helm/releaseName")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok((values, release))
}

/// `value` when `ok` says it fits, else an input error naming `field` of `what`.
fn checked<'v>(value: &'v str, field: &str, what: &str, ok: fn(&str) -> bool) -> Result<&'v str> {
    if ok(value) {
        return Ok(value);
    }
    Err(error::input(format!(
        "{what}: the {field} {} is not one flinkwasm passes to Helm (a leading `-`, or a \
         character outside the allowed set)",
        crate::text::safe(value)
    )))
}

fn narrow(value: &str, max: usize, extra: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= max
        && value.as_bytes()[0].is_ascii_alphanumeric()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// The registry (`host[:port]`) of `oci://REGISTRY[/PATH]`, when the reference is one flinkwasm
/// passes to Helm: a registry as `oci:` plugins name them, a path in the OCI grammar (so no
/// tag, digest, query, `..` or empty component), at most 1024 bytes.
fn registry_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("oci://")?;
    // A `/` starts a path, which must then have a component (`oci://host/` would reach Helm
    // as `oci://host//NAME`).
    let (registry, path) = match rest.split_once('/') {
        Some((registry, path)) => (registry, Some(path)),
        None => (rest, None),
    };
    (url.len() <= 1024
        && crate::oci::valid_registry(registry)
        && path.is_none_or(crate::oci::valid_repository))
    .then_some(registry)
}

/// Whether an http(s) URL's authority is `host[:port]` as registries name them (a port of
/// digits, without a leading zero).
fn http_authority_ok(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    crate::oci::valid_registry(authority)
}

/// Whether the URL's authority holds `user[:password]@`.
fn has_userinfo(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.contains('@')
}

fn is_chart_name(v: &str) -> bool {
    narrow(v, 250, b"._-")
}

fn is_version(v: &str) -> bool {
    narrow(v, 128, b".+_-")
}

fn is_api_version(v: &str) -> bool {
    narrow(v, 253, b"./-")
}

fn is_dns_label(v: &str) -> bool {
    narrow(v, 63, b"-") && v.bytes().all(|b| !b.is_ascii_uppercase()) && !v.ends_with('-')
}

/// Helm's release names: a DNS label of at most 53 characters.
fn is_release(v: &str) -> bool {
    is_dns_label(v) && v.len() <= 53
}

/// Writes `bytes` to a new file only its owner may read (Helm's registry config holds a
/// registry's credentials; a shared `/tmp` is not trusted).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

#[cfg(test)]
mod tests {

    #[test]
    fn helms_registry_config_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry-config.json");
        super::write_private(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Never through a file that is already there (a link planted in the directory).
        assert!(super::write_private(&path, b"{}").is_err());
    }
    use super::*;

    fn spec(yaml: &str) -> ChartSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_chart_is_a_repository_chart_or_a_directory_with_safe_strings() {
        let ok = Chart::check(&spec(
            "{repo: 'https://charts.example.com', name: cmf, version: 2.1.0, sha256: 'sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB'}",
        ))
        .unwrap();
        assert!(matches!(
            ok.origin,
            Origin::Repository { sha256: Some(ref s), .. } if s.starts_with("abab")
        ));
        for (bad, needle) in [
            (
                "{repo: 'oci://r.example.com/Charts', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://r.example.com/c:1.0', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://r.example.com/c/', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://127.0.0.1:5066/', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://127.0.0.1:05066/c', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://127.0.0.1:+5066/c', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://r.example.com/../c', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'oci://r.example.com/c', name: Chart, version: '1'}",
                "OCI repository path component",
            ),
            (
                "{repo: 'oci://-r.example.com/c', name: c, version: '1'}",
                "not an oci:// reference",
            ),
            (
                "{repo: 'https://charts.example.com/helm?token=hunter2', name: c, version: '1'}",
                "has a query or fragment",
            ),
            (
                "{repo: 'https://charts.example.com/helm#hunter2', name: c, version: '1'}",
                "has a query or fragment",
            ),
            (
                "{repo: 'https://charts.example.com:hunter2/helm', name: c, version: '1'}",
                "not an http(s) URL",
            ),
            (
                "{repo: 'https://charts.example.com:08443/helm', name: c, version: '1'}",
                "not an http(s) URL",
            ),
            (
                "{repo: 'file:///etc', name: c, version: '1'}",
                "not an http(s) URL",
            ),
            (
                "{repo: 'https://x', name: '--post-renderer=/bin/sh', version: '1'}",
                "leading `-`",
            ),
            (
                "{repo: 'https://x', name: c, version: '--devel'}",
                "leading `-`",
            ),
            (
                "{repo: 'https://x', name: c, version: '>=1.0'}",
                "version (exact)",
            ),
            (
                "{repo: 'https://x', name: c}",
                "name and version are required",
            ),
            (
                "{repo: 'https://x', name: c, version: '1', sha256: abc}",
                "not a sha256",
            ),
            ("{path: c, repo: 'https://x'}", "not both"),
            (
                "{path: c, sha256: 'sha256:00'}",
                "chart directory is pinned",
            ),
        ] {
            let e = Chart::check(&spec(bad)).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
        let oci = Chart::check(&spec(
            "{repo: 'oci://127.0.0.1:5000/charts/confluent', name: cmf, version: 2.1.0+build.1}",
        ))
        .unwrap();
        assert_eq!(
            oci.shown,
            "chart cmf 2.1.0+build.1 from oci://127.0.0.1:5000/charts/confluent"
        );
        assert_eq!(registry_of("oci://ghcr.io"), Some("ghcr.io"));
        assert_eq!(
            registry_of("oci://127.0.0.1:5000/charts/confluent"),
            Some("127.0.0.1:5000")
        );
        assert!(is_release("flink-kubernetes-operator"));
        assert!(!is_release("-x") && !is_release("Upper") && !is_release(&"a".repeat(54)));
        assert!(is_api_version("monitoring.coreos.com/v1") && !is_api_version("-v1"));
    }
}
