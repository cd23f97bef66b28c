//! Typed models of the Confluent for Kubernetes Flink resources flinkwasm emits, with unknown
//! fields denied, so a test fails when output carries a field the real CRD does not have.

use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How CFK reaches CMF.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "platform.confluent.io",
    version = "v1beta1",
    kind = "CMFRestClass",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CMFRestClassSpec {
    /// The CMF REST endpoint.
    pub cmf_rest: CmfRest,
}

/// `spec.cmfRest`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CmfRest {
    /// URL of the CMF service.
    pub endpoint: String,
    /// Optional authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<CmfRestAuthentication>,
    /// Optional TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<SecretRef>,
}

/// `spec.cmfRest.authentication`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CmfRestAuthentication {
    /// `mtls` or `oauth`.
    #[serde(rename = "type")]
    pub kind: AuthenticationType,
    /// OAuth client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthClient>,
}

/// The authentication types CFK supports towards CMF.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthenticationType {
    /// Mutual TLS.
    Mtls,
    /// OAuth bearer tokens.
    Oauth,
}

/// OAuth client settings.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthClient {
    /// The Secret with the client id and secret.
    pub secret_ref: String,
    /// The token endpoint.
    pub token_endpoint: String,
}

/// A reference to a Secret by name.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// The Secret's name.
    pub secret_ref: String,
}

/// A namespace-scoped reference.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ref {
    /// Name.
    pub name: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// Defaults for every FlinkApplication in the environment.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "platform.confluent.io",
    version = "v1beta1",
    kind = "FlinkEnvironment",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkEnvironmentSpec {
    /// Namespace where Flink pods run.
    pub kubernetes_namespace: String,
    /// Defaults merged into applications.
    #[serde(default)]
    pub flink_application_defaults: Option<ApplicationDefaults>,
    /// The CMFRestClass to use.
    pub cmf_rest_class_ref: Ref,
}

/// `spec.flinkApplicationDefaults`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationDefaults {
    /// Labels and annotations.
    #[serde(default)]
    pub metadata: Option<DefaultsMetadata>,
    /// Spec defaults.
    #[serde(default)]
    pub spec: Option<DefaultsSpec>,
}

/// `spec.flinkApplicationDefaults.metadata`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultsMetadata {
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// `spec.flinkApplicationDefaults.spec`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultsSpec {
    /// Flink options; every value a string.
    #[serde(default)]
    pub flink_configuration: BTreeMap<String, String>,
    /// Pod template.
    #[serde(default)]
    pub pod_template: Option<PodTemplateSpec>,
    /// JobManager.
    #[serde(default)]
    pub job_manager: Option<Component>,
    /// TaskManager.
    #[serde(default)]
    pub task_manager: Option<Component>,
}

/// JobManager / TaskManager settings.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Component {
    /// Resources.
    pub resource: Resource,
    /// Replicas.
    #[serde(default)]
    pub replicas: Option<i32>,
    /// Pod template.
    #[serde(default)]
    pub pod_template: Option<PodTemplateSpec>,
}

/// CPU and memory.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// Flink-notation memory, such as `1024m`.
    pub memory: String,
    /// Cores.
    pub cpu: f64,
}

impl FlinkEnvironment {
    /// `spec.flinkApplicationDefaults.spec`; panics (a test failure) when absent.
    pub fn defaults(&self) -> &DefaultsSpec {
        self.spec
            .flink_application_defaults
            .as_ref()
            .and_then(|d| d.spec.as_ref())
            .expect("spec.flinkApplicationDefaults.spec")
    }
}

/// A Flink job under CMF.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "platform.confluent.io",
    version = "v1beta1",
    kind = "FlinkApplication",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkApplicationSpec {
    /// The FlinkEnvironment's name.
    pub flink_environment: String,
    /// Flink image.
    pub image: String,
    /// `v1_19` and so on.
    pub flink_version: String,
    /// Flink options; every value a string.
    #[serde(default)]
    pub flink_configuration: BTreeMap<String, String>,
    /// ServiceAccount of the pods.
    pub service_account: String,
    /// JobManager.
    pub job_manager: Component,
    /// TaskManager.
    pub task_manager: Component,
    /// The job.
    pub job: Job,
    /// Pod template.
    #[serde(default)]
    pub pod_template: Option<PodTemplateSpec>,
    /// The CMFRestClass.
    #[serde(default)]
    pub cmf_rest_class_ref: Option<Ref>,
}

/// `spec.job`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Job {
    /// The jar.
    #[serde(rename = "jarURI")]
    pub jar_uri: String,
    /// `running` or `suspended`.
    pub state: String,
    /// Parallelism.
    #[serde(default)]
    pub parallelism: Option<i32>,
    /// `stateless`, `last-state` or `savepoint`.
    #[serde(default)]
    pub upgrade_mode: Option<String>,
    /// Program arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Main class.
    #[serde(default)]
    pub entry_class: Option<String>,
}

/// An Argo CD Application (the fields flinkwasm emits).
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "Application",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationSpec {
    /// Argo CD project.
    pub project: String,
    /// What to deploy.
    pub source: AppSource,
    /// Where.
    pub destination: Destination,
    /// How.
    #[serde(default)]
    pub sync_policy: Option<SyncPolicy>,
}

/// `spec.source`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSource {
    /// Repository.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Revision.
    pub target_revision: String,
    /// A Helm chart of a Helm repository.
    #[serde(default)]
    pub chart: Option<String>,
    /// A path in a Git repository.
    #[serde(default)]
    pub path: Option<String>,
    /// Helm settings.
    #[serde(default)]
    pub helm: Option<AppHelm>,
    /// A Config Management Plugin.
    #[serde(default)]
    pub plugin: Option<AppPlugin>,
}

/// `spec.source.helm`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppHelm {
    /// Release name.
    pub release_name: String,
    /// Values as an object.
    #[serde(default)]
    pub values_object: Option<serde_json::Value>,
}

/// `spec.source.plugin`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppPlugin {
    /// Plugin name.
    pub name: String,
    /// Environment (`ARGOCD_ENV_<NAME>` in the plugin).
    #[serde(default)]
    pub env: Vec<NameValue>,
}

/// A name/value pair.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NameValue {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `spec.destination`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Destination {
    /// API server.
    pub server: String,
    /// Namespace.
    pub namespace: String,
}

/// `spec.syncPolicy`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicy {
    /// Automated sync.
    #[serde(default)]
    pub automated: Option<Automated>,
    /// Options.
    #[serde(default)]
    pub sync_options: Vec<String>,
}

/// `spec.syncPolicy.automated`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Automated {
    /// Delete what is no longer rendered.
    pub prune: bool,
    /// Revert drift.
    pub self_heal: bool,
}

/// `matchLabels` selector.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchLabels {
    /// Labels that must all match.
    pub match_labels: BTreeMap<String, String>,
}

/// `namespaceSelector`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSelector {
    /// Namespaces.
    pub match_names: Vec<String>,
}

/// A Prometheus Operator relabeling.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Relabeling {
    /// `replace`, `keep`, ...
    pub action: String,
    /// Label written.
    pub target_label: String,
    /// Value written.
    pub replacement: String,
}

/// A ServiceMonitor endpoint.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    /// Named Service (or container) port.
    pub port: String,
    /// HTTP path.
    pub path: String,
    /// Scrape interval.
    pub interval: String,
    /// Relabelings.
    #[serde(default)]
    pub relabelings: Vec<Relabeling>,
}

/// Prometheus Operator ServiceMonitor.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceMonitorSpec {
    /// Which Services.
    pub selector: MatchLabels,
    /// In which namespaces.
    pub namespace_selector: NamespaceSelector,
    /// Pod labels copied onto series.
    #[serde(default)]
    pub pod_target_labels: Vec<String>,
    /// Endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// Prometheus Operator PodMonitor.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PodMonitor",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodMonitorSpec {
    /// Which pods.
    pub selector: MatchLabels,
    /// In which namespaces.
    pub namespace_selector: NamespaceSelector,
    /// Endpoints (container ports by name).
    pub pod_metrics_endpoints: Vec<Endpoint>,
}
