//! NetworkPolicies of the stack: the pods each component runs as, the peers they talk to, and a
//! builder for `networking.k8s.io/v1` NetworkPolicy objects.
//!
//! Every selector here is the label set the component's pods really carry: the charts' own pod
//! labels for the operator and CMF, and the labels Flink's native Kubernetes integration puts
//! on JobManager and TaskManager pods (the same `type` label the monitoring Service selects).
//! The tests check each selector against the labels the charts and plugins emit, so a policy
//! cannot silently select nothing.

use crate::labels;
use flinkwasm_sdk::{Manifest, Value, json};

/// The API group and version.
pub const API_VERSION: &str = "networking.k8s.io/v1";
/// The namespace label Kubernetes sets on every namespace (1.22+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Pods of the Flink Kubernetes Operator (the chart's pod label).
pub const OPERATOR_PODS: &[(&str, &str)] =
    &[("app.kubernetes.io/name", "flink-kubernetes-operator")];
/// Pods of CMF, unless the `cmf` plugin's `podLabels` says otherwise. The CMF chart's source is
/// not public: this is the label public install scripts select CMF's pods by (`kubectl wait -l
/// app.kubernetes.io/name=confluent-manager-for-apache-flink`), not one read from the chart
/// itself. The seed's `app.kubernetes.io/name=cmf` appears in no public install of the chart.
pub const CMF_PODS: &[(&str, &str)] = &[(
    "app.kubernetes.io/name",
    "confluent-manager-for-apache-flink",
)];
/// Flink JobManager and TaskManager pods (set by Flink's native Kubernetes integration).
pub const FLINK_PODS: &[(&str, &str)] = &[("type", "flink-native-kubernetes")];
/// Flink JobManager pods only.
pub const FLINK_JOBMANAGERS: &[(&str, &str)] = &[
    ("type", "flink-native-kubernetes"),
    ("component", "jobmanager"),
];
/// Prometheus pods of kube-prometheus-stack.
pub const PROMETHEUS_PODS: &[(&str, &str)] = &[("app.kubernetes.io/name", "prometheus")];
/// The cluster DNS pods (CoreDNS keeps kube-dns's label).
pub const DNS_PODS: &[(&str, &str)] = &[("k8s-app", "kube-dns")];

/// The Flink JobManager REST port, which the operator and CMF call.
pub const FLINK_REST_PORT: u16 = 8081;
/// Ports of the Kubernetes API server: 443 through the `kubernetes` Service, 6443 on most
/// control planes once kube-proxy has translated it.
pub const API_SERVER_PORTS: &[u16] = &[443, 6443];

/// A `matchLabels` selector.
pub fn match_labels(labels: &[(&str, &str)]) -> Value {
    let map: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
        .collect();
    json!({ "matchLabels": map })
}

/// A `matchLabels` selector from a label map.
pub fn match_map(labels: &std::collections::BTreeMap<String, String>) -> Value {
    json!({ "matchLabels": labels })
}

/// A label list as a label map.
pub fn label_map(labels: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// A peer: pods with `labels` (a map) in the namespace named `namespace`.
pub fn pods_in_map(namespace: &str, labels: &std::collections::BTreeMap<String, String>) -> Value {
    json!({
        "namespaceSelector": match_labels(&[(NAMESPACE_NAME_LABEL, namespace)]),
        "podSelector": match_map(labels),
    })
}

/// A peer: pods with `labels` in the namespace named `namespace`.
pub fn pods_in(namespace: &str, labels: &[(&str, &str)]) -> Value {
    json!({
        "namespaceSelector": match_labels(&[(NAMESPACE_NAME_LABEL, namespace)]),
        "podSelector": match_labels(labels),
    })
}

/// A peer: every pod of the namespace named `namespace`.
pub fn namespace(namespace: &str) -> Value {
    json!({ "namespaceSelector": match_labels(&[(NAMESPACE_NAME_LABEL, namespace)]) })
}

/// A peer: any address (for the API server, whose address a policy cannot name, and for
/// services outside the cluster).
pub fn anywhere() -> Value {
    json!({ "ipBlock": { "cidr": "0.0.0.0/0" } })
}

/// TCP ports.
pub fn tcp(ports: &[u16]) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| json!({"protocol": "TCP", "port": p}))
            .collect(),
    )
}

/// The egress rule for cluster DNS (UDP and TCP 53 to kube-dns in `kube-system`).
pub fn dns_egress() -> Value {
    json!({
        "to": [pods_in("kube-system", DNS_PODS)],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    })
}

/// The egress rule for the Kubernetes API server.
pub fn api_server_egress() -> Value {
    json!({ "to": [anywhere()], "ports": tcp(API_SERVER_PORTS) })
}

/// A rule (`from` or `to`, by `direction`) allowing `peers` on `ports` (all ports when empty).
pub fn rule(direction: &str, peers: Vec<Value>, ports: &[u16]) -> Value {
    let mut r = json!({ direction: peers });
    if !ports.is_empty() {
        r["ports"] = tcp(ports);
    }
    r
}

/// A NetworkPolicy selecting `pods` in `namespace`, with both policy types: whatever `ingress`
/// and `egress` do not allow is denied.
pub fn policy(
    name: &str,
    namespace: &str,
    component: &str,
    pods: Value,
    ingress: Vec<Value>,
    egress: Vec<Value>,
) -> Manifest {
    let mut m = Manifest::build(API_VERSION, "NetworkPolicy", name, Some(namespace));
    labels::generated(&mut m, component);
    m.set(&["spec", "podSelector"], pods);
    m.set(&["spec", "policyTypes"], json!(["Ingress", "Egress"]));
    m.set(&["spec", "ingress"], Value::Array(ingress));
    m.set(&["spec", "egress"], Value::Array(egress));
    m
}

/// Where a `host:port` or URL points, for an egress rule: a Service in the cluster
/// (`<service>.<namespace>.svc[.cluster.local]`) gives its namespace; anything else is outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The namespace of an in-cluster Service, if it is one.
    pub namespace: Option<String>,
    /// The TCP port.
    pub port: u16,
}

impl Endpoint {
    /// Parses `host:port`. `None` when there is no numeric port.
    pub fn from_host_port(text: &str) -> Option<Endpoint> {
        let (host, port) = text.trim().rsplit_once(':')?;
        Some(Endpoint {
            namespace: service_namespace(host),
            port: port.parse().ok()?,
        })
    }

    /// Parses an `http://` or `https://` URL; the port defaults to the scheme's.
    pub fn from_url(url: &str) -> Option<Endpoint> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, if scheme == "https" { 443 } else { 80 }),
        };
        Some(Endpoint {
            namespace: service_namespace(host),
            port,
        })
    }

    /// The egress rule that reaches this endpoint.
    pub fn egress(&self) -> Value {
        let peer = match &self.namespace {
            Some(ns) => namespace(ns),
            None => anywhere(),
        };
        rule("to", vec![peer], &[self.port])
    }
}

/// The namespace of `<service>.<namespace>.svc` or `<service>.<namespace>.svc.cluster.local`.
fn service_namespace(host: &str) -> Option<String> {
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [_, ns, "svc"] | [_, ns, "svc", "cluster", "local"] if !ns.is_empty() => {
            Some((*ns).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_in_and_out_of_the_cluster() {
        assert_eq!(
            Endpoint::from_host_port("kafka.confluent.svc.cluster.local:9092"),
            Some(Endpoint {
                namespace: Some("confluent".into()),
                port: 9092
            })
        );
        assert_eq!(
            Endpoint::from_host_port("broker-1.example.com:9093"),
            Some(Endpoint {
                namespace: None,
                port: 9093
            })
        );
        assert_eq!(
            Endpoint::from_url("https://sr.kafka.svc:8443/subjects"),
            Some(Endpoint {
                namespace: Some("kafka".into()),
                port: 8443
            })
        );
        assert_eq!(
            Endpoint::from_url("https://registry.example.com"),
            Some(Endpoint {
                namespace: None,
                port: 443
            })
        );
        assert_eq!(Endpoint::from_host_port("no-port"), None);
    }
}
