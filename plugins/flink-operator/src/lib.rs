//! `flink-operator`: the Flink Kubernetes Operator (chart
//! `confluentinc/flink-kubernetes-operator` 1.130.0).
//!
//! - Generates (in `render` and `argocd-cmp` modes) the Argo CD `Application` that installs the
//!   chart in sync wave 116 with `ServerSideApply=true` (server-side field ownership, and no
//!   `last-applied-configuration` copy of the chart's large CRDs; the FlinkDeployment CRD's
//!   compact JSON, about 177 KB, would still fit client-side apply's 262,144-byte limit), 2 CPU /
//!   3 GiB, the watched namespaces, and the metrics port and reporter lines (after the chart's
//!   own `flink-conf.yaml` overrides) that make the operator PodMonitor find a target.
//! - Emits a `Namespace` for every watched namespace other than its own: the chart puts the
//!   job ServiceAccount, Role and RoleBinding there, and `CreateNamespace=true` creates only the
//!   Application's destination. The Application declares what the chart runs
//!   ([`flinkwasm_stack::workloads`]) for the wiring check.
//! - Turns the admission webhook off when the cluster has no cert-manager, since the chart's
//!   webhook needs a cert-manager `Issuer` and `Certificate`.
//! - `argocd.layout` says which part of that this pipeline renders: all of it (`whole`), only
//!   the Application pointing the flinkwasm CMP at `workloads/flink-kubernetes-operator` and the
//!   Namespaces (`root`), or all but those (`component`, the chart rendered in the pipeline).
//!   In `whole`, a chart already rendered in the pipeline (its Deployment in the stream) gets no
//!   Helm-native Application, which would install it a second time.
//! - Transforms the chart's own output (post-render): the operator Deployment gets the same
//!   labels, annotations and resources; a release installed into another namespace than the
//!   stack's is refused (only the Deployment could move, its ServiceAccount and ConfigMap could
//!   not); cert-manager objects on a cluster without cert-manager are an error, because the
//!   install would fail.

mod config;

use config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::argocd::{Component, Layout};
use flinkwasm_stack::netpol;
use flinkwasm_stack::workload::Enforce;
use flinkwasm_stack::workloads::{Pods, Workloads};
use std::collections::BTreeMap;

/// The plugin type exported to the host.
pub struct FlinkOperator;

/// The chart's Deployment and container name.
const DEPLOYMENT: &str = "flink-kubernetes-operator";
/// The label the chart puts on the operator's pods.
const NAME_LABEL: &str = "app.kubernetes.io/name";
/// This plugin's `app.kubernetes.io/component`.
const COMPONENT: &str = "flink-kubernetes-operator";
/// The API cert-manager serves.
const CERT_MANAGER: &str = "cert-manager.io/v1";
/// The component's directory in the repository (layout `root`'s default source path).
const COMPONENT_PATH: &str = "workloads/flink-kubernetes-operator";
/// The port the chart's admission webhook listens on.
const WEBHOOK_PORT: u16 = 9443;

impl Plugin for FlinkOperator {
    fn info() -> Info {
        Info::new(
            "flink-operator",
            env!("CARGO_PKG_VERSION"),
            "Flink Kubernetes Operator: its Argo CD Application, and its settings on the chart's output",
            Role::Both,
        )
        .schema_for::<config::Config>()
        // It changes the operator Deployment, refuses cert-manager objects, and looks for the
        // Namespaces it would otherwise create; nothing else.
        .select(
            &["apps", "cert-manager.io", ""],
            &["Deployment", "Issuer", "ClusterIssuer", "Certificate", "Namespace"],
        )
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let namespace = cfg
            .namespace
            .clone()
            .unwrap_or_else(|| ctx.namespace.clone());
        let mut diagnostics = Vec::new();
        let has_cert_manager = ctx.has_api(CERT_MANAGER);
        let webhook = match cfg.webhook.create {
            Some(true) if !has_cert_manager => {
                return Err(Error::new(format!(
                    "webhook.create is true but {CERT_MANAGER} is not among the cluster's API \
                     versions: the chart's webhook needs cert-manager's Issuer and Certificate; \
                     install cert-manager or set webhook.create: false"
                )));
            }
            Some(create) => create,
            None => has_cert_manager,
        };

        let resources = cfg.resources();
        let enforce = Enforce {
            component: COMPONENT,
            namespace: &namespace,
            container: DEPLOYMENT,
            resources: &resources,
            labels: &cfg.labels,
            annotations: &cfg.annotations,
        };
        // Whether the chart's output is in this render (a pipeline's `spec.chart`).
        let mut chart_rendered = false;
        for m in &mut manifests {
            if m.is("apps", "Deployment")
                && (m.name() == DEPLOYMENT || m.label(NAME_LABEL) == Some(DEPLOYMENT))
            {
                chart_rendered = true;
                enforce.apply(m, &mut diagnostics)?;
            } else if m.group() == "cert-manager.io" && !has_cert_manager {
                return Err(Diagnostic::error(format!(
                    "the chart's admission webhook needs cert-manager, and {CERT_MANAGER} is not \
                     among the cluster's API versions, so the install would fail; install \
                     cert-manager or set the chart value webhook.create=false"
                ))
                .on(m.reference())
                .at("apiVersion")
                .into());
            }
        }

        if ctx.generate && cfg.argocd.enabled() {
            if !webhook && cfg.webhook.create.is_none() {
                diagnostics.push(
                    Diagnostic::warning(format!(
                        "{CERT_MANAGER} is not among the cluster's API versions: the operator's \
                     admission webhook is turned off (webhook.create: false), so FlinkDeployments \
                     are not validated on admission; install cert-manager to turn it on"
                    ))
                    .at("webhook.create"),
                );
            }
            let values = cfg.values(&namespace, webhook);
            let component = Component {
                component: COMPONENT,
                name: "flink-kubernetes-operator",
                sync_wave: 116,
                destination_namespace: &namespace,
                sync_options: &["ServerSideApply=true"],
                prune: true,
            };
            let declared = declaration(&values, &namespace);
            let source = cfg
                .argocd
                .source(&cfg.source, COMPONENT_PATH, &ctx.cluster, || {
                    // The chart's objects are already here: a Helm-native Application would
                    // install them again, and two owners would fight over them.
                    (!chart_rendered)
                        .then(|| cfg.chart.source(&config::default_chart(cfg.stack), values))
                })?;
            if chart_rendered && cfg.argocd.layout() == Layout::Whole {
                diagnostics.push(flinkwasm_stack::argocd::chart_in_render(DEPLOYMENT));
            }
            for ns in &declared.namespaces {
                if ns != &namespace && !flinkwasm_stack::namespaces::present(&manifests, ns) {
                    manifests.push(flinkwasm_stack::namespaces::namespace(ns));
                }
            }
            if let Some(source) = source {
                let mut app = cfg.argocd.application(&component, source);
                declared.declare(&mut app);
                manifests.push(app);
            }
        }
        if ctx.generate
            && cfg.argocd.layout().objects()
            && cfg.network_policy.enabled.unwrap_or(false)
        {
            manifests.push(network_policy(&cfg, &namespace, webhook));
        }
        Ok(Output {
            manifests,
            diagnostics,
        })
    }
}

/// What the chart runs with `values` (the final values, so a `values:` override counts): the
/// operator pods with the chart's label and `operatorPod.labels`, the `metrics` container port
/// when `metrics.port` is set, and the job ServiceAccount and RBAC in every watched namespace.
fn declaration(values: &Value, namespace: &str) -> Workloads {
    let mut labels = BTreeMap::from([(NAME_LABEL.to_string(), DEPLOYMENT.to_string())]);
    if let Some(Value::Object(extra)) = values.pointer("/operatorPod/labels") {
        for (k, v) in extra {
            if let Some(v) = v.as_str() {
                labels.insert(k.clone(), v.to_string());
            }
        }
    }
    let mut ports = BTreeMap::new();
    if let Some(port) = values
        .pointer("/metrics/port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
    {
        ports.insert("metrics".to_string(), port);
    }
    let mut namespaces = vec![namespace.to_string()];
    if let Some(Value::Array(watched)) = values.get("watchNamespaces") {
        namespaces.extend(watched.iter().filter_map(Value::as_str).map(str::to_string));
    }
    namespaces.sort();
    namespaces.dedup();
    Workloads {
        namespaces,
        pods: vec![Pods {
            namespace: namespace.to_string(),
            labels,
            ports: Some(ports),
        }],
        services: Vec::new(),
    }
}

/// The operator pods' NetworkPolicy: egress to the Kubernetes API, to the JobManagers' REST
/// port in every watched namespace and to DNS; ingress to the metrics port from Prometheus and,
/// with the webhook, to the webhook port from the API server (whose address a policy cannot
/// name, so from anywhere).
fn network_policy(cfg: &Config, namespace: &str, webhook: bool) -> Manifest {
    let prometheus = cfg
        .network_policy
        .prometheus_namespace
        .as_deref()
        .unwrap_or(flinkwasm_stack::DEFAULT_PROMETHEUS_NAMESPACE);
    let mut ingress = Vec::new();
    if webhook {
        ingress.push(netpol::rule(
            "from",
            vec![netpol::anywhere()],
            &[WEBHOOK_PORT],
        ));
    }
    if let Some(port) = cfg.metrics_port() {
        ingress.push(netpol::rule(
            "from",
            vec![netpol::pods_in(prometheus, netpol::PROMETHEUS_PODS)],
            &[port],
        ));
    }
    let watched = cfg.watched(namespace);
    let jobmanagers = watched
        .iter()
        .map(|ns| netpol::pods_in(ns, netpol::FLINK_JOBMANAGERS))
        .collect();
    let egress = vec![
        netpol::api_server_egress(),
        netpol::rule("to", jobmanagers, &[netpol::FLINK_REST_PORT]),
        netpol::dns_egress(),
    ];
    let mut m = netpol::policy(
        DEPLOYMENT,
        namespace,
        COMPONENT,
        netpol::match_labels(netpol::OPERATOR_PODS),
        ingress,
        egress,
    );
    m.set_annotation(flinkwasm_stack::SYNC_WAVE, "116");
    m
}

flinkwasm_sdk::export_plugin!(FlinkOperator);
