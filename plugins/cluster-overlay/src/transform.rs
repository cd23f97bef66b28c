//! kustomize's namespace, label and annotation transformers, with kustomize's field lists for
//! the kinds that have selectors and pod templates.

use flinkwasm_sdk::prelude::*;
use std::collections::BTreeMap;

/// Kinds without a namespace (kustomize leaves them alone).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "IngressClass",
    "RuntimeClass",
    "ClusterIssuer",
];

/// Workload kinds with a pod template at `spec.template`.
const TEMPLATED: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
];

/// Sets the namespace of every namespaced object and, as kustomize does, renames a
/// `Namespace` object to it.
pub fn namespace(m: &mut Manifest, ns: &str) {
    if m.is("", "Namespace") {
        m.set_name(ns);
    } else if !CLUSTER_SCOPED.contains(&m.kind()) {
        m.set_namespace(ns);
    }
}

fn add_all(m: &mut Manifest, path: &[&str], pairs: &BTreeMap<String, String>) {
    let slot = m.entry(path);
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Some(map) = slot.as_object_mut() {
        for (k, v) in pairs {
            map.insert(k.clone(), Value::from(v.as_str()));
        }
    }
}

/// Adds `pairs` to the pod template's `metadata.<field>` of a workload (`spec.template`) or a
/// CronJob (`spec.jobTemplate.spec.template`); other kinds have none.
fn add_to_pod_templates(m: &mut Manifest, field: &str, pairs: &BTreeMap<String, String>) {
    let kind = m.kind().to_string();
    if TEMPLATED.contains(&kind.as_str()) {
        add_all(m, &["spec", "template", "metadata", field], pairs);
    } else if kind == "CronJob" {
        add_all(
            m,
            &["spec", "jobTemplate", "spec", "template", "metadata", field],
            pairs,
        );
    }
}

/// Adds only where the parent exists (kustomize does not create selectors out of nothing for
/// every kind).
fn add_if_parent(m: &mut Manifest, path: &[&str], pairs: &BTreeMap<String, String>) {
    if m.get(&path[..path.len() - 1]).is_some() {
        add_all(m, path, pairs);
    }
}

/// Adds labels: to `metadata.labels` always, to selectors when `selectors`, and to pod
/// templates when `templates`.
pub fn labels(
    m: &mut Manifest,
    pairs: &BTreeMap<String, String>,
    selectors: bool,
    templates: bool,
) {
    if pairs.is_empty() {
        return;
    }
    add_all(m, &["metadata", "labels"], pairs);
    let kind = m.kind().to_string();
    let group = m.group().to_string();
    if templates {
        add_to_pod_templates(m, "labels", pairs);
    }
    if !selectors {
        return;
    }
    match (group.as_str(), kind.as_str()) {
        ("", "Service") | ("", "ReplicationController") => add_all(m, &["spec", "selector"], pairs),
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet")
        | ("policy", "PodDisruptionBudget") => {
            add_all(m, &["spec", "selector", "matchLabels"], pairs)
        }
        ("batch", "Job") => add_if_parent(m, &["spec", "selector", "matchLabels"], pairs),
        ("networking.k8s.io", "NetworkPolicy") => {
            add_all(m, &["spec", "podSelector", "matchLabels"], pairs)
        }
        _ => {}
    }
}

/// Adds annotations to `metadata.annotations` and pod templates.
pub fn annotations(m: &mut Manifest, pairs: &BTreeMap<String, String>) {
    if pairs.is_empty() {
        return;
    }
    add_all(m, &["metadata", "annotations"], pairs);
    add_to_pod_templates(m, "annotations", pairs);
}
