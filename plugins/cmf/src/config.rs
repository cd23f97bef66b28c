//! The plugin's configuration (its JSON Schema is derived from [`Config`]) and the chart
//! values it turns into.

use flinkwasm_sdk::{JsonSchema, Map, Value, json, merge_patch};
use flinkwasm_stack::argocd::{self, Chart};
use flinkwasm_stack::resources::{Amounts, QUANTITY_PATTERN, Requirements};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The configuration of `cmf`: the Confluent Manager for Apache Flink chart's Argo CD
/// Application, its security switches, and the settings enforced on the chart's output.
// `Info::schema_for` derives the plugin's JSON Schema from this type, doc comments included.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Namespace of CMF (default: the run's namespace).
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// The stack's version pairing (`seed`, the default, or `current`): the default
    /// CMF chart version comes from it (`chart.version` overrides).
    #[serde(default)]
    pub stack: flinkwasm_stack::versions::Stack,
    /// The chart.
    #[serde(default)]
    pub chart: Chart,
    /// The Argo CD Application.
    #[serde(default)]
    pub argocd: argocd::Settings,
    /// Where Argo CD reads this component from (layout `root`: the Application renders it
    /// through the flinkwasm Config Management Plugin).
    #[serde(default)]
    pub source: argocd::GitSource,
    /// CMF's resources (default requests 1 CPU / 1Gi, limits 2 CPU / 1Gi).
    #[serde(default)]
    pub resources: Requirements,
    /// The SQLite database volume.
    #[serde(default)]
    pub persistence: Persistence,
    /// The license.
    #[serde(default)]
    pub license: License,
    /// TLS on CMF's REST API.
    pub tls: Option<crate::security::Tls>,
    /// Who may call CMF's REST API.
    pub authentication: Option<crate::security::Authentication>,
    /// The database mode.
    #[serde(default)]
    pub sql: crate::security::Sql,
    /// The CMF UI ingress (opt-in).
    #[serde(default)]
    pub ingress: crate::security::Ingress,
    /// CMF's NetworkPolicy (opt-in).
    #[serde(default)]
    pub network_policy: crate::security::NetworkPolicy,
    /// The labels CMF's pods carry (its NetworkPolicy, the Flink pods' policy and the wiring
    /// check select them by these). Default `app.kubernetes.io/name:
    /// confluent-manager-for-apache-flink`, the label public install scripts select CMF's pods
    /// by; the chart's source is not public, so this is configurable.
    #[schemars(extend("minProperties" = 1))]
    pub pod_labels: Option<BTreeMap<String, String>>,
    /// Extra labels on CMF's objects.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Further chart values, merged last (JSON merge patch).
    // An object, not any JSON value: a merge patch that is not an object would replace the
    // chart's values whole.
    #[schemars(with = "Option<Map<String, Value>>")]
    pub values: Option<Value>,
}

/// The database volume.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Persistence {
    /// Size of the database volume (default 10Gi).
    #[schemars(pattern(QUANTITY_PATTERN))]
    pub size: Option<String>,
    /// Storage class of the volume (default: the cluster's default class).
    #[schemars(length(min = 1))]
    pub storage_class_name: Option<String>,
}

/// The license.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct License {
    /// A Secret holding `license.txt`; none means a generated trial license.
    #[schemars(length(min = 1))]
    pub secret_ref: Option<String>,
}

/// The chart this plugin installs unless configured otherwise: its version is the stack
/// pairing's (`flinkwasm_stack::versions`).
pub fn default_chart(stack: flinkwasm_stack::versions::Stack) -> Chart {
    Chart {
        repo_url: Some(flinkwasm_stack::CONFLUENT_HELM_REPO.to_string()),
        name: Some("confluent-manager-for-apache-flink".to_string()),
        version: Some(stack.pairing().cmf.to_string()),
        release_name: Some("cmf".to_string()),
    }
}

impl Config {
    /// CMF's resources with the seed's defaults filled in (2 CPU / 1 GiB at the limit).
    pub fn resources(&self) -> Requirements {
        let base = Requirements {
            requests: Amounts {
                cpu: Some("1".into()),
                memory: Some("1Gi".into()),
            },
            limits: Amounts {
                cpu: Some("2".into()),
                memory: Some("1Gi".into()),
            },
        };
        self.resources.or(&base)
    }

    /// The labels CMF's pods carry.
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        self.pod_labels.clone().unwrap_or_else(|| {
            flinkwasm_stack::netpol::label_map(flinkwasm_stack::netpol::CMF_PODS)
        })
    }

    /// The volume size.
    pub fn persistence_size(&self) -> &str {
        self.persistence.size.as_deref().unwrap_or("10Gi")
    }

    /// The chart values (`valuesObject`).
    pub fn values(&self) -> Value {
        let mut persistence =
            json!({"create": true, "dataVolumeCapacity": self.persistence_size()});
        if let Some(class) = &self.persistence.storage_class_name {
            persistence["storageClassName"] = json!(class);
        }
        let mut values = json!({
            "resources": self.resources().to_json(),
            "persistence": persistence,
        });
        if let Some(secret) = &self.license.secret_ref {
            values["license"] = json!({"secretRef": secret});
        }
        crate::security::values(self, &mut values);
        if let Some(extra) = &self.values {
            merge_patch(&mut values, extra);
        }
        values
    }
}
