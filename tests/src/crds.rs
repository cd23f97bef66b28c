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
    pub authentication: Option<serde_json::Value>,
    /// Optional TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<serde_json::Value>,
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
