//! What an Application's chart runs, declared on the Application itself.
//!
//! In `render` and Argo CD modes a chart is only named (an Argo CD `Application` with its
//! values); its pods and Services exist only once Argo CD renders it. The plugin that
//! configures the chart knows what it will run, so it writes that down on the Application, in
//! the annotation [`ANNOTATION`] (compact JSON of [`Workloads`]): the pods with their labels and
//! named container ports, the Services with their ports, whether they serve TLS and which client
//! authentication they require, and every namespace the chart's objects land in.
//!
//! flinkwasm's wiring check reads it to tell whether a Service, monitor, NetworkPolicy or
//! CMFRestClass connects to something that will run; the `flink-environment` plugin reads the
//! `cmf` Application's to reach CMF where and as CMF serves. The end-to-end test holds every
//! declaration to what the chart, rendered by Helm, really emits.

use flinkwasm_sdk::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The annotation that carries the declaration.
pub const ANNOTATION: &str = "flinkwasm.io/workloads";

/// What one Application's chart runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workloads {
    /// Every namespace the chart's objects land in (they must exist before it syncs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// The pods it runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<Pods>,
    /// The Services it creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
}

/// Pods of one workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pods {
    /// Their namespace.
    pub namespace: String,
    /// The labels every one of them carries.
    pub labels: BTreeMap<String, String>,
    /// Their named container ports, when known (`None`: not known; an empty map: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<BTreeMap<String, u16>>,
}

/// A Service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its ports.
    pub ports: Vec<ServicePort>,
    /// Whether it serves TLS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// The client authentication it requires (`mtls`, `oauth`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
}

/// One port of a Service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    /// The Service's port.
    pub port: u16,
    /// The pods' port it forwards to.
    pub target_port: u16,
}

impl Workloads {
    /// Writes the declaration onto `app`.
    pub fn declare(&self, app: &mut Manifest) {
        // Plain structs of strings and numbers always serialise.
        if let Ok(text) = serde_json::to_string(self) {
            app.set_annotation(ANNOTATION, &text);
        }
    }

    /// The declaration on `app`, if it has a readable one.
    pub fn of(app: &Manifest) -> Option<Workloads> {
        serde_json::from_str(app.annotation(ANNOTATION)?).ok()
    }
}
