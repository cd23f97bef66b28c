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
}

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
    /// True unless the user turned the Application off.
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
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
