//! Argo CD's Config Management Plugin: `generate` ([`Generate`], the repo-server's environment
//! mapped onto a run) and the dynamic parameter announcement for the Argo CD UI
//! ([`announcement`]).
//!
//! Precedence, highest first (README, "Argo CD"):
//! 1. Application parameters (`ARGOCD_APP_PARAMETERS`): `cluster`, `plugins`, and one `map`
//!    parameter per plugin whose keys are dotted config paths;
//! 2. plugin environment from the Application (`ARGOCD_ENV_CLUSTER`, `ARGOCD_ENV_NAMESPACE`,
//!    `ARGOCD_ENV_RELEASE`);
//! 3. the cluster's facts Argo CD passes (`KUBE_VERSION`, `KUBE_API_VERSIONS`), which win over
//!    the pipeline's assumptions;
//! 4. the pipeline file (cluster values, then `spec.target`);
//! 5. the Application itself (`ARGOCD_APP_NAME` as release, `ARGOCD_APP_NAMESPACE` as
//!    namespace) where the pipeline names none.

use super::Integration;
use crate::error;
use crate::pipeline::{PipelineFile, Target};
use crate::plan::{Caller, Options};
use crate::run::Hooks;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the environment asks of a run.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The cluster to render.
    pub cluster: Option<String>,
    /// Values that win over the pipeline's (namespace, release, Kubernetes facts).
    pub target: Target,
    /// Values used only where the pipeline names none.
    pub defaults: Target,
    /// Run only these plugins.
    pub only: Vec<String>,
    /// Per-plugin config overrides: dotted path and the parameter's string value.
    pub overrides: BTreeMap<String, Vec<(String, String)>>,
}

/// `flinkwasm argocd generate`: the app's directory rendered with the repo-server's
/// environment.
#[derive(Debug, Clone)]
pub struct Generate {
    /// The app's directory (Argo CD runs the command there).
    pub dir: PathBuf,
    /// What the environment asks of the run.
    pub inputs: Inputs,
}

impl Hooks for Generate {}

impl Integration for Generate {
    fn pipeline(&self) -> Result<(PipelineFile, PathBuf)> {
        PipelineFile::load(&self.dir)
    }

    fn options(&self) -> Result<Options> {
        let i = self.inputs.clone();
        Ok(Options {
            caller: Caller::ArgocdCmp,
            cluster: i.cluster,
            target: i.target,
            defaults: i.defaults,
            only: i.only,
            overrides: i.overrides,
        })
    }
}

/// One entry of `ARGOCD_APP_PARAMETERS`.
#[derive(Debug, Deserialize)]
struct Parameter {
    name: String,
    #[serde(default)]
    string: Option<String>,
    #[serde(default)]
    array: Option<Vec<String>>,
    #[serde(default)]
    map: Option<BTreeMap<String, String>>,
}

/// Reads the CMP environment through `env` (a lookup, so tests need not touch the process's).
pub fn inputs(env: &dyn Fn(&str) -> Option<String>) -> Result<Inputs> {
    let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let mut inputs = Inputs {
        cluster: non_empty("ARGOCD_ENV_CLUSTER"),
        ..Inputs::default()
    };
    inputs.target.namespace = non_empty("ARGOCD_ENV_NAMESPACE");
    inputs.target.release = non_empty("ARGOCD_ENV_RELEASE");
    inputs.target.kube_version = non_empty("KUBE_VERSION");
    inputs.target.api_versions = non_empty("KUBE_API_VERSIONS").map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    inputs.defaults.namespace = non_empty("ARGOCD_APP_NAMESPACE");
    inputs.defaults.release = non_empty("ARGOCD_APP_NAME");

    if let Some(text) = non_empty("ARGOCD_APP_PARAMETERS") {
        let params: Vec<Parameter> = serde_json::from_str(&text).map_err(|e| {
            error::input(format!(
                "ARGOCD_APP_PARAMETERS is not the JSON array Argo CD writes: {e}"
            ))
        })?;
        for p in params {
            match (p.name.as_str(), p.string, p.array, p.map) {
                ("cluster", Some(s), None, None) => {
                    if !s.trim().is_empty() {
                        inputs.cluster = Some(s);
                    }
                }
                ("plugins", None, Some(list), None) => inputs.only = list,
                (plugin, None, None, Some(map)) => {
                    inputs
                        .overrides
                        .entry(plugin.to_string())
                        .or_default()
                        .extend(map);
                }
                (name, ..) => {
                    return Err(error::input(format!(
                        "Argo CD parameter `{name}`: expected `cluster` (string), `plugins` \
                         (array) or a plugin's name (map of config paths to values)"
                    )));
                }
            }
        }
    }
    Ok(inputs)
}

/// `flinkwasm argocd bootstrap`: the root Application of the app-of-apps.
#[derive(Debug, Clone, clap::Args)]
pub struct BootstrapArgs {
    /// The Git repository Argo CD reads.
    #[arg(long)]
    pub repo: String,
    /// The root pipeline's directory in the repository (also read here, relative to the
    /// current directory, for its plugins and clusters; the built-in default where absent).
    #[arg(long)]
    pub path: String,
    /// The cluster to render (one of the pipeline's `spec.clusters`).
    #[arg(long)]
    pub cluster: String,
    /// The revision (default `HEAD`).
    #[arg(long, default_value = "HEAD")]
    pub revision: String,
    /// The root Application's name (default: the pipeline's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The namespace Argo CD watches for Applications.
    #[arg(long, default_value = "argocd")]
    pub namespace: String,
    /// The Argo CD project.
    #[arg(long, default_value = "default")]
    pub project: String,
}

/// Whether a Git URL carries credentials: any userinfo over http(s) (`https://token@host`),
/// a password over ssh (`ssh://git:secret@host`; the user alone, `git@`, is how ssh names the
/// account).
pub fn repo_credentials(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    !scheme.eq_ignore_ascii_case("ssh") || userinfo.contains(':')
}

/// The stack's plugins that point child Applications at their component directories; the
/// root Application passes its own repository and revision down to them as parameters.
const CHILD_SOURCES: &[&str] = &["flink-operator", "cmf", "flink-environment"];

/// The root Application for `args`, as YAML: the flinkwasm CMP on `args.path` with the cluster
/// as `CLUSTER`, and `source.repoURL`/`source.targetRevision` of every child-making plugin of
/// the pipeline as Application parameters, so that the children read the same repository at
/// the same revision as the root.
pub fn bootstrap(args: &BootstrapArgs) -> Result<String> {
    // Argo CD takes these verbatim: a space, a quote, a control character or a leading `-` is
    // never part of a repository URL, a path or a Git ref, only of a mistake or an attack.
    for (flag, value) in [
        ("--repo", &args.repo),
        ("--path", &args.path),
        ("--revision", &args.revision),
    ] {
        let odd = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`');
        if value.is_empty() || value.starts_with('-') || value.chars().any(odd) {
            // The repository URL is never repeated: a mistyped one may hold a credential.
            let shown = if flag == "--repo" {
                String::new()
            } else {
                format!(" {}", crate::text::safe(value))
            };
            return Err(error::input(format!(
                "{flag}{shown}: no spaces, quotes or control characters, and no leading `-`"
            )));
        }
    }
    let path = args.path.trim_matches('/');
    if path.is_empty()
        || args.path.starts_with('/')
        || path.split('/').any(|c| c == ".." || c.is_empty())
    {
        return Err(error::input(format!(
            "--path {}: a directory relative to the repository's root, without `..`",
            crate::text::safe(&args.path)
        )));
    }
    if !(args.repo.starts_with("https://")
        || args.repo.starts_with("http://")
        || args.repo.starts_with("ssh://")
        || args.repo.starts_with("git@"))
    {
        return Err(error::input(
            "--repo: a Git repository URL (https://, ssh:// or git@, in lower case); not \
             repeated here, as a mistyped URL may hold a credential",
        ));
    }
    if repo_credentials(&args.repo) || args.repo.contains(['?', '#']) {
        // Not repeated: the Application is applied to the cluster and shown in Argo CD's UI.
        return Err(error::input(
            "--repo holds credentials, or a query or fragment where tokens go (a user and \
             password, or a token, before the host): \
             Argo CD keeps them in a repository Secret (label \
             argocd.argoproj.io/secret-type: repository), not in the Application; pass the \
             bare URL",
        ));
    }
    // The built-in default where the directory has no pipeline (or is not checked out here).
    let (pipeline, _) = PipelineFile::load(std::path::Path::new(path))?;
    let cluster = pipeline.cluster_name(Some(&args.cluster))?;
    let name = args.name.clone().unwrap_or(pipeline.metadata.name.clone());
    let parameters: Vec<Value> = pipeline
        .spec
        .plugins
        .iter()
        .map(|p| p.display_name())
        .filter(|n| CHILD_SOURCES.contains(&n.as_str()))
        .map(|n| {
            json!({"name": n, "map": {
                "source.repoURL": args.repo,
                "source.targetRevision": args.revision,
            }})
        })
        .collect();
    let app = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": args.namespace},
        "spec": {
            "project": args.project,
            "source": {
                "repoURL": args.repo,
                "targetRevision": args.revision,
                "path": path,
                "plugin": {
                    "name": "flinkwasm",
                    "env": [{"name": "CLUSTER", "value": cluster}],
                    "parameters": parameters,
                },
            },
            // The root renders Applications (in this namespace) and cluster-scoped Namespaces.
            "destination": {"server": "https://kubernetes.default.svc", "namespace": args.namespace},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        },
    });
    let Value::Object(obj) = app else {
        unreachable!("a JSON object literal")
    };
    crate::stream::write(&[obj])
}

/// Scalar leaves of a config as dotted paths and their string form.
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        Value::Number(_) | Value::Bool(_) => {
            out.insert(prefix.to_string(), value.to_string());
        }
        Value::Null | Value::Array(_) => {}
    }
}

/// `flinkwasm argocd parameters`: the announcement for the pipeline in `dir`, every plugin
/// described (from the cache when it was described before), as one line of JSON.
pub fn parameters(rt: &crate::runtime::Runtime, dir: &std::path::Path) -> Result<String> {
    let (pipeline, base) = PipelineFile::load(dir)?;
    let mut described = Vec::new();
    for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
        let name = spec.display_name();
        let limits = spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?;
        let started = crate::start::start(rt, &name, &spec.source(i, &base)?, limits)?;
        let schema = serde_json::from_str(&started.info.config_schema).unwrap_or(Value::Null);
        described.push((name, started.info.description, schema));
    }
    Ok(serde_json::to_string(&announcement(&pipeline, &described))? + "\n")
}

/// The `parameters.dynamic` announcement: `cluster`, `plugins`, and one map per plugin holding
/// its current config (for the pipeline's default cluster) as dotted paths.
pub fn announcement(pipeline: &PipelineFile, described: &[(String, String, Value)]) -> Value {
    let clusters: Vec<&String> = pipeline.spec.clusters.keys().collect();
    let default_cluster = pipeline.cluster_name(None).unwrap_or_default();
    let mut out = vec![
        json!({
            "name": "cluster",
            "title": "Cluster",
            "tooltip": format!(
                "The pipeline's cluster to render (its overlay and values); known: {}",
                clusters.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            ),
            "required": false,
            "itemType": "string",
            "collectionType": "string",
            "string": default_cluster,
        }),
        json!({
            "name": "plugins",
            "title": "Plugins",
            "tooltip": "Run only these plugins of the pipeline (empty: all)",
            "required": false,
            "itemType": "string",
            "collectionType": "array",
            "array": [],
        }),
    ];
    let values = pipeline.spec.clusters.get(&default_cluster);
    for (name, description, _schema) in described {
        let Some(spec) = pipeline
            .spec
            .plugins
            .iter()
            .find(|p| &p.display_name() == name)
        else {
            continue;
        };
        let config = spec.config_for(values.and_then(|v| v.config.get(name)));
        let mut map = BTreeMap::new();
        flatten("", &config, &mut map);
        out.push(json!({
            "name": name,
            "title": format!("{name} config"),
            "tooltip": format!("{description}. Keys are dotted config paths (flinkwasm plugins inspect {name})."),
            "required": false,
            "itemType": "string",
            "collectionType": "map",
            "map": map,
        }));
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_and_parameters_map_onto_the_run() {
        let env: BTreeMap<&str, &str> = [
            ("ARGOCD_APP_NAME", "flink-resources"),
            ("ARGOCD_APP_NAMESPACE", "confluent"),
            ("ARGOCD_ENV_CLUSTER", "homelab"),
            ("KUBE_VERSION", "1.30.2"),
            ("KUBE_API_VERSIONS", "v1,apps/v1, monitoring.coreos.com/v1"),
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"cluster","string":"flink-demo"},{"name":"plugins","array":["monitoring"]},{"name":"monitoring","map":{"port":"9250","dashboard.enabled":"false"}}]"#,
            ),
        ]
        .into();
        let i = inputs(&|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(
            i.cluster.as_deref(),
            Some("flink-demo"),
            "parameters win over env"
        );
        assert_eq!(i.target.kube_version.as_deref(), Some("1.30.2"));
        assert_eq!(i.target.api_versions.as_ref().unwrap().len(), 3);
        assert_eq!(i.defaults.release.as_deref(), Some("flink-resources"));
        assert_eq!(i.only, ["monitoring"]);
        let schema = json!({"properties": {"port": {"type": "integer"},
            "dashboard": {"properties": {"enabled": {"type": "boolean"}}}}});
        let mut config = json!({});
        for (path, raw) in &i.overrides["monitoring"] {
            crate::plan::apply_override("monitoring", &schema, &mut config, path, raw).unwrap();
        }
        assert_eq!(
            config,
            json!({"port": 9250, "dashboard": {"enabled": false}})
        );
    }

    #[test]
    fn a_repository_url_with_credentials_is_not_an_applications_source() {
        for bad in [
            "https://u:hunter2@git.example.com/platform/gitops.git",
            "https://ghp_hunter2@github.com/acme/gitops.git",
            "HTTP://u:p@git.example.com/x.git",
            "ssh://git:hunter2@git.example.com/x.git",
        ] {
            assert!(repo_credentials(bad), "{bad}");
        }
        for fine in [
            "https://git.example.com/platform/gitops.git",
            "ssh://git@git.example.com/x.git",
            "git@github.com:acme/gitops.git",
            "https://git.example.com/team@acme/gitops.git",
        ] {
            assert!(!repo_credentials(fine), "{fine}");
        }
    }
}
