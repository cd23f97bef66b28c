//! The Argo CD `Application` each component of the stack is deployed by, and the `argocd:`
//! config block every stack plugin accepts to tune it.
//!
//! Sync waves order the Applications (`116` operator, `118` CMF, `120` resources). They only
//! gate each other when `argocd-cm` restores the health check of `argoproj.io/Application`;
//! see [`APPLICATION_HEALTH_LUA`].

use crate::labels;
use flinkwasm_sdk::{JsonSchema, Manifest, Value, json};
use serde::Deserialize;

/// `apiVersion` of Argo CD Applications.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";
/// The annotation Argo CD orders syncs by.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// The in-cluster API server, Argo CD's default destination.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The Lua health check that makes Argo CD wait for a child Application to be healthy, so that
/// sync waves of Applications gate each other (`argocd-cm`,
/// `resource.customizations.health.argoproj.io_Application`).
pub const APPLICATION_HEALTH_LUA: &str = r#"hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
"#;

/// The Argo CD Application that deploys this component.
///
/// Every field is optional; the plugin supplies the defaults.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Emit the Application in `render` and `argocd-cmp` modes (default true).
    pub enabled: Option<bool>,
    /// The Application's name (a DNS label).
    #[schemars(pattern(DNS_LABEL_PATTERN), length(max = 63))]
    pub name: Option<String>,
    /// Namespace Argo CD watches for Applications (default `argocd`).
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// Argo CD project (default `default`).
    #[schemars(length(min = 1))]
    pub project: Option<String>,
    /// Destination API server (default `https://kubernetes.default.svc`).
    #[schemars(pattern("^https://"))]
    pub server: Option<String>,
    /// The Application's `argocd.argoproj.io/sync-wave`.
    pub sync_wave: Option<i64>,
    /// Automated sync with prune and self-heal (default true).
    pub automated: Option<bool>,
    /// Extra sync options (`Key=value`), added to the ones the component needs.
    #[serde(default)]
    #[schemars(inner(pattern("^[A-Za-z]+=.+$")))]
    pub sync_options: Vec<String>,
    /// Which part of the component this pipeline renders (default `whole`).
    pub layout: Option<Layout>,
}

/// Which part of a component a pipeline renders, so that under Argo CD every object has one
/// owner (README, "GitOps").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Layout {
    /// Everything in one render, each object once: every object the component adds and, for a
    /// chart, its Helm-native Application (Argo CD installs the chart; no plugin renders or sees
    /// its output). Never an Application that renders this render's objects again: a component
    /// with no Helm-native form (`flink-environment`) emits no Application here, and neither
    /// does a chart component whose chart the pipeline renders itself (`spec.chart`). For
    /// `flinkwasm render | kubectl apply`, Helm's post-renderer and the Helm-native option.
    #[default]
    Whole,
    /// Only the component's Application, pointing the flinkwasm Config Management Plugin at
    /// the component's directory (`source`) with the cluster passed down, and the Namespaces
    /// the component needs beyond its destination: the bootstrap (root) Application's pipeline.
    Root,
    /// The component's own objects (the chart's output as the pipeline renders it, transformed,
    /// and what the component adds) without its Application or Namespaces: the pipeline of the
    /// component's directory, which the root's Application points at.
    Component,
}

impl Layout {
    /// Whether this render may emit the component's Application (in `whole`, only a
    /// Helm-native one: see [`Settings::source`]).
    pub fn application(self) -> bool {
        self != Layout::Component
    }

    /// Whether this render emits the Namespaces the component needs.
    pub fn namespaces(self) -> bool {
        self != Layout::Component
    }

    /// Whether this render emits the objects the component adds besides its Application.
    pub fn objects(self) -> bool {
        self != Layout::Root
    }
}

/// The info a chart component gives in layout `whole` when its chart's output (its Deployment
/// `deployment`) is already in the render, so that it emits no Helm-native Application.
pub fn chart_in_render(deployment: &str) -> flinkwasm_sdk::Diagnostic {
    flinkwasm_sdk::Diagnostic::info(format!(
        "the chart's objects (Deployment {deployment}) are in this render, so no Helm-native \
         Application is emitted: it would install the chart again, and two owners would undo \
         each other's syncs"
    ))
    .at("argocd.layout")
}

/// Where Argo CD reads a component from: the Git source of an Application rendered by the
/// flinkwasm Config Management Plugin.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    /// Git repository URL (required to emit the Application): `https://HOST/PATH`,
    /// `ssh://[USER@]HOST/PATH` or `USER@HOST:PATH`, without credentials (Argo CD keeps those
    /// in a repository Secret; an Application is shown to everyone who can read it).
    #[serde(rename = "repoURL")]
    #[schemars(length(min = 1, max = 2048), pattern(GIT_URL_PATTERN))]
    pub repo_url: Option<String>,
    /// Revision (default `HEAD`).
    #[serde(rename = "targetRevision")]
    #[schemars(length(min = 1))]
    pub target_revision: Option<String>,
    /// Path of the component in the repository (default: the component's directory under
    /// `workloads/`).
    #[schemars(length(min = 1))]
    pub path: Option<String>,
    /// The Config Management Plugin's name (default `flinkwasm`).
    #[schemars(length(min = 1))]
    pub plugin: Option<String>,
}

impl GitSource {
    /// The `spec.source` of an Application that renders `default_path` (unless `path` is set)
    /// for `cluster` through the flinkwasm CMP, or `None` without a repository URL.
    pub fn plugin_source(&self, default_path: &str, cluster: &str) -> Option<Value> {
        let repo = self.repo_url.as_deref()?;
        Some(json!({
            "repoURL": repo,
            "targetRevision": self.target_revision.as_deref().unwrap_or("HEAD"),
            "path": self.path.as_deref().unwrap_or(default_path),
            "plugin": {
                "name": self.plugin.as_deref().unwrap_or("flinkwasm"),
                "env": [{"name": "CLUSTER", "value": cluster}]
            }
        }))
    }
}

/// A Git repository URL without credentials: no userinfo over http(s), a user but no
/// password over ssh, no query or fragment (where tokens go).
pub const GIT_URL_PATTERN: &str = "^(https?://[^/@?#\\s]+(/[^?#\\s]*)?|ssh://([^/:@\\s]+@)?[^/@?#\\s]+(/[^?#\\s]*)?|[A-Za-z0-9._-]+@[^:/@\\s]+:[^?#\\s]*)$";

/// A DNS label (RFC 1123), as a JSON Schema pattern; with a length of at most 63.
pub const DNS_LABEL_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// What one component's Application needs besides the user's [`Settings`].
#[derive(Debug, Clone)]
pub struct Component<'a> {
    /// `app.kubernetes.io/component` of the Application.
    pub component: &'a str,
    /// Default Application name.
    pub name: &'a str,
    /// Default sync wave.
    pub sync_wave: i64,
    /// Where the component's objects go.
    pub destination_namespace: &'a str,
    /// Sync options the component cannot work without (e.g. `ServerSideApply=true`).
    pub sync_options: &'a [&'a str],
    /// Whether automated sync may prune (false protects stateful components).
    pub prune: bool,
}

impl Settings {
    /// True unless the user turned the Application off or the pipeline renders the
    /// component's directory (layout `component`).
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(true) && self.layout().application()
    }

    /// The layout (default `whole`).
    pub fn layout(&self) -> Layout {
        self.layout.unwrap_or_default()
    }

    /// The Application's `spec.source`, or `None` for no Application.
    ///
    /// In layout `root`, the flinkwasm CMP on the component's directory (`git`, default path
    /// `default_path`, the cluster passed down as `CLUSTER`); an error names `source.repoURL`
    /// when there is no repository to point at. Otherwise `whole`: the component's Helm-native
    /// source, whose objects no plugin renders, or `None` when the component has none. A `whole`
    /// render never gets the CMP source: its child would render the objects this render
    /// already holds, and two Applications would own them.
    pub fn source(
        &self,
        git: &GitSource,
        default_path: &str,
        cluster: &str,
        whole: impl FnOnce() -> Option<Value>,
    ) -> Result<Option<Value>, flinkwasm_sdk::Error> {
        if self.layout() != Layout::Root {
            return Ok(whole());
        }
        git.plugin_source(default_path, cluster)
            .map(Some)
            .ok_or_else(|| {
                flinkwasm_sdk::Diagnostic::error(
                    "layout root points the Application at the component's directory in Git: set \
                 source.repoURL (flinkwasm argocd bootstrap passes the root's own)",
                )
                .at("source.repoURL")
                .into()
            })
    }

    /// The Application for `component` with `source` as its `spec.source`.
    pub fn application(&self, component: &Component<'_>, source: Value) -> Manifest {
        let name = self.name.as_deref().unwrap_or(component.name);
        let namespace = self.namespace.as_deref().unwrap_or("argocd");
        let mut app = Manifest::build(API_VERSION, "Application", name, Some(namespace));
        labels::generated(&mut app, component.component);
        let wave = self.sync_wave.unwrap_or(component.sync_wave);
        app.set_annotation(SYNC_WAVE, &wave.to_string());
        let mut options: Vec<String> = vec!["CreateNamespace=true".to_string()];
        options.extend(component.sync_options.iter().map(|s| s.to_string()));
        for extra in &self.sync_options {
            // A user option replaces a built-in one with the same key.
            let key = extra.split('=').next().unwrap_or_default();
            options.retain(|o| o.split('=').next() != Some(key));
            options.push(extra.clone());
        }
        let mut sync_policy = json!({"syncOptions": options});
        if self.automated.unwrap_or(true) {
            sync_policy["automated"] = json!({"prune": component.prune, "selfHeal": true});
        }
        app.set(
            &["spec"],
            json!({
                "project": self.project.as_deref().unwrap_or("default"),
                "source": source,
                "destination": {
                    "server": self.server.as_deref().unwrap_or(IN_CLUSTER),
                    "namespace": component.destination_namespace
                },
                "syncPolicy": sync_policy
            }),
        );
        app
    }
}

/// The Helm chart the Application installs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chart {
    /// Helm repository URL (`https://`, `http://` or `oci://`).
    #[schemars(pattern("^(https?|oci)://"))]
    pub repo_url: Option<String>,
    /// Chart name.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Chart version.
    #[schemars(length(min = 1))]
    pub version: Option<String>,
    /// Helm release name.
    #[schemars(length(min = 1))]
    pub release_name: Option<String>,
}

impl Chart {
    /// The `spec.source` of an Application installing this chart (unset fields from
    /// `defaults`) with `values` as `helm.valuesObject`.
    pub fn source(&self, defaults: &Chart, values: Value) -> Value {
        let pick = |a: &Option<String>, b: &Option<String>| {
            a.clone().or_else(|| b.clone()).unwrap_or_default()
        };
        json!({
            "repoURL": pick(&self.repo_url, &defaults.repo_url),
            "chart": pick(&self.name, &defaults.name),
            "targetRevision": pick(&self.version, &defaults.version),
            "helm": {
                "releaseName": pick(&self.release_name, &defaults.release_name),
                "valuesObject": values
            }
        })
    }
}
