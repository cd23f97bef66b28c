//! Where an object lands on the cluster: which kinds are cluster-scoped, and which namespace a
//! namespaced object without one is created in.
//!
//! The API server compares objects by group, kind, namespace and name, where a namespaced
//! object written without a namespace lands in the namespace it is applied to, and a
//! cluster-scoped object has no namespace whatever its manifest says. The host's identity
//! checks (duplicates, `select`, forged objects) and the emission policy must compare objects
//! the same way, or a plugin could write `namespace: default` (or leave it out) to slip past
//! them: [`Scope::landing`] is that comparison.

use crate::stream::Object;
use serde_json::Value;
use std::collections::HashMap;

/// The cluster-scoped kinds of Kubernetes and of the tools around the stack, by API group
/// (`""` is the core group). Custom kinds are learnt from the CustomResourceDefinitions in the
/// stream ([`Scope::learn`]).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("policy", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("cert-manager.io", "ClusterIssuer"),
    ("monitoring.coreos.com", "ThanosRuler"),
];

/// API groups whose every cluster-scoped kind is in [`CLUSTER_SCOPED`], so any other kind of
/// theirs is known to be namespaced: Kubernetes' own groups (the core group, the unsuffixed
/// ones and every `*.k8s.io`) and the stack's add-ons, whose CRDs flinkwasm knows.
const KNOWN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "platform.confluent.io",
    "flink.apache.org",
    "monitoring.coreos.com",
    "argoproj.io",
    "cert-manager.io",
    "acme.cert-manager.io",
];

/// How a run places objects: its namespace, and the custom kinds' scopes it has seen.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    namespace: String,
    /// `(group, kind)` of each CustomResourceDefinition in the stream: cluster-scoped or not.
    custom: HashMap<(String, String), bool>,
}

impl Scope {
    /// The scope of a run whose namespaced objects without a namespace land in `namespace`.
    pub fn new(namespace: &str) -> Scope {
        Scope {
            namespace: namespace.to_string(),
            custom: HashMap::new(),
        }
    }

    /// The run's namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether objects of `kind` in API group `group` are cluster-scoped.
    pub fn cluster_scoped(&self, group: &str, kind: &str) -> bool {
        // A CRD in the stream wins: it says what its kind is on this cluster.
        if let Some(cluster) = self.custom.get(&(group.to_string(), kind.to_string())) {
            return *cluster;
        }
        // Without regard to ASCII case, so a spelling such as `kind: priorityclass` is not
        // taken for a namespaced kind.
        CLUSTER_SCOPED
            .iter()
            .any(|(g, k)| g.eq_ignore_ascii_case(group) && k.eq_ignore_ascii_case(kind))
    }

    /// Whether the scope of `group`/`kind` is known: a kind of Kubernetes or of the stack's
    /// add-ons ([`KNOWN_GROUPS`]), or one a CustomResourceDefinition in the stream declares
    /// cluster-scoped. Any other kind may be cluster-scoped on the cluster it is applied to (a
    /// Kyverno `ClusterPolicy`, a `ClusterSecretStore`), whatever namespace its manifest
    /// names; and a CRD in the stream that says `Namespaced` may be lying about a kind the
    /// cluster already has cluster-scoped, so only the safe answer is taken from it.
    pub fn known(&self, group: &str, kind: &str) -> bool {
        KNOWN_GROUPS.contains(&group)
            || group.ends_with(".k8s.io")
            || CLUSTER_SCOPED.contains(&(group, kind))
            || self.custom.get(&(group.to_string(), kind.to_string())) == Some(&true)
    }

    /// The namespace an object of `group`/`kind` written with `namespace` (`""` when unset)
    /// lands in: none for a cluster-scoped kind, the run's for a namespaced one without.
    pub fn landing<'a>(&'a self, group: &str, kind: &str, namespace: &'a str) -> &'a str {
        if self.cluster_scoped(group, kind) {
            ""
        } else if namespace.is_empty() {
            &self.namespace
        } else {
            namespace
        }
    }

    /// Learns the scope of the kind `obj` defines, if it is a CustomResourceDefinition.
    pub fn learn(&mut self, obj: &Object) {
        if let Some((group, kind, cluster)) = crd_scope(obj) {
            self.custom.insert((group, kind), cluster);
        }
    }
}

/// `(group, kind, cluster-scoped)` of a CustomResourceDefinition.
pub fn crd_scope(obj: &Object) -> Option<(String, String, bool)> {
    let api = obj.get("apiVersion").and_then(Value::as_str)?;
    if obj.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition")
        || !api.starts_with("apiextensions.k8s.io/")
    {
        return None;
    }
    let spec = obj.get("spec")?;
    let group = spec.get("group").and_then(Value::as_str)?;
    let kind = spec.get("names")?.get("kind").and_then(Value::as_str)?;
    let cluster = spec.get("scope").and_then(Value::as_str) == Some("Cluster");
    Some((group.to_string(), kind.to_string(), cluster))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_land_where_the_api_server_puts_them() {
        let mut scope = Scope::new("team-a");
        assert_eq!(scope.landing("apps", "Deployment", ""), "team-a");
        assert_eq!(scope.landing("apps", "Deployment", "default"), "default");
        assert_eq!(
            scope.landing("rbac.authorization.k8s.io", "ClusterRole", "x"),
            ""
        );
        assert_eq!(scope.landing("example.com", "Widget", ""), "team-a");
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget"}, "scope": "Cluster"},
        });
        scope.learn(crd.as_object().unwrap());
        assert_eq!(scope.landing("example.com", "Widget", "anywhere"), "");
    }
}
