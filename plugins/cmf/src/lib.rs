//! `cmf`: Confluent Manager for Apache Flink (chart
//! `confluentinc/confluent-manager-for-apache-flink` 2.1.0).
//!
//! - Generates (in `render` and `argocd-cmp` modes) the Argo CD `Application` in sync wave 118:
//!   2 CPU / 1 GiB, a 10 GiB persistent volume for its SQLite database (optional storage class),
//!   and a trial license unless a license Secret is named. Automated sync does not prune, so the
//!   database volume is never deleted by a sync.
//! - Declares on the Application what the chart runs ([`flinkwasm_stack::workloads`]): CMF's
//!   pods (by the configurable `podLabels`) and `cmf-service` (port 80 to 8080) with its TLS and
//!   client authentication, which the `flink-environment` plugin and the wiring check read.
//! - `argocd.layout` says which part this pipeline renders: all of it (`whole`), only the
//!   Application pointing the flinkwasm CMP at `workloads/cmf` (`root`), or all but the
//!   Application (`component`, the chart rendered in the pipeline). In `whole`, a chart already
//!   rendered in the pipeline (its Deployment in the stream) gets no Helm-native Application.
//! - Transforms the chart's own output (post-render): the CMF Deployment gets the same labels
//!   and resources (a release in another namespace is refused), and the data
//!   `PersistentVolumeClaim` is protected from pruning and uninstall
//!   (`helm.sh/resource-policy: keep`, Argo CD `Prune=false`).
//! - Security switches, each off by default ([`security`]): TLS, mTLS or OAuth on the REST API,
//!   production database mode with its encryption key, the UI Ingress, the NetworkPolicy.

mod config;
mod security;

use config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::argocd::{Component, Layout};
use flinkwasm_stack::workload::Enforce;
use flinkwasm_stack::workloads::{Pods, Service, ServicePort, Workloads};

/// The plugin type exported to the host.
pub struct Cmf;

/// The chart's Deployment name.
const DEPLOYMENT: &str = "confluent-manager-for-apache-flink";
/// This plugin's `app.kubernetes.io/component`.
const COMPONENT: &str = "cmf";
/// Helm keeps an object with this annotation on uninstall.
const HELM_POLICY: &str = "helm.sh/resource-policy";
/// Argo CD's per-object sync options.
const ARGO_SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

impl Plugin for Cmf {
    fn info() -> Info {
        Info::new(
            "cmf",
            env!("CARGO_PKG_VERSION"),
            "Confluent Manager for Apache Flink: its Argo CD Application, and its settings on the chart's output",
            Role::Both,
        )
        .schema_for::<config::Config>()
        // It changes CMF's Deployment and its data volume; nothing else.
        .select(&["apps", ""], &["Deployment", "PersistentVolumeClaim"])
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let namespace = cfg
            .namespace
            .clone()
            .unwrap_or_else(|| ctx.namespace.clone());
        let mut diagnostics = Vec::new();
        security::check(&cfg, &mut diagnostics)?;
        let resources = cfg.resources();
        let no_extra = Default::default();
        let enforce = Enforce {
            component: COMPONENT,
            namespace: &namespace,
            container: "cmf",
            resources: &resources,
            labels: &cfg.labels,
            annotations: &no_extra,
        };
        let pod_labels = cfg.pod_labels();
        // Whether the chart's output is in this render (a pipeline's `spec.chart`).
        let mut chart_rendered = false;
        for m in &mut manifests {
            let carries_pod_labels = || {
                pod_labels.iter().all(|(k, v)| {
                    m.get(&["spec", "template", "metadata", "labels", k])
                        .and_then(Value::as_str)
                        == Some(v.as_str())
                })
            };
            if m.is("apps", "Deployment") && (m.name() == DEPLOYMENT || carries_pod_labels()) {
                chart_rendered = true;
                enforce.apply(m, &mut diagnostics)?;
            } else if m.is("", "PersistentVolumeClaim") {
                protect(m, &cfg);
            }
        }
        if ctx.generate && cfg.argocd.enabled() {
            if cfg.license.secret_ref.is_none() {
                diagnostics.push(
                    Diagnostic::info(
                        "no license Secret named: CMF generates a trial license; name a Secret \
                         holding license.txt in license.secretRef for production",
                    )
                    .at("license.secretRef"),
                );
            }
            let component = Component {
                component: COMPONENT,
                name: "cmf-operator",
                sync_wave: 118,
                destination_namespace: &namespace,
                sync_options: &[],
                // The SQLite database lives on a PVC: a sync must never prune it.
                prune: false,
            };
            let source = cfg
                .argocd
                .source(&cfg.source, "workloads/cmf", &ctx.cluster, || {
                    // The chart's objects are already here: a Helm-native Application would
                    // install them again, and two owners would fight over them.
                    (!chart_rendered).then(|| {
                        cfg.chart
                            .source(&config::default_chart(cfg.stack), cfg.values())
                    })
                })?;
            if chart_rendered && cfg.argocd.layout() == Layout::Whole {
                diagnostics.push(flinkwasm_stack::argocd::chart_in_render(DEPLOYMENT));
            }
            if let Some(source) = source {
                let mut app = cfg.argocd.application(&component, source);
                declaration(&cfg, &namespace).declare(&mut app);
                manifests.push(app);
            }
        }
        if ctx.generate && cfg.argocd.layout().objects() {
            manifests.extend(security::ingress(&cfg, &namespace, COMPONENT));
            manifests.extend(security::network_policy(&cfg, &namespace, COMPONENT));
        }
        Ok(Output {
            manifests,
            diagnostics,
        })
    }
}

/// What the chart runs: CMF's pods and `cmf-service` (80 to 8080), with the TLS and client
/// authentication the switches give it.
fn declaration(cfg: &Config, namespace: &str) -> Workloads {
    Workloads {
        namespaces: vec![namespace.to_string()],
        pods: vec![Pods {
            namespace: namespace.to_string(),
            labels: cfg.pod_labels(),
            // The chart's container port names are not public; the wiring check needs none.
            ports: None,
        }],
        services: vec![Service {
            namespace: namespace.to_string(),
            name: security::SERVICE.to_string(),
            ports: vec![ServicePort {
                port: security::SERVICE_PORT,
                target_port: security::CONTAINER_PORT,
            }],
            tls: cfg.tls.is_some(),
            authentication: cfg.authentication.as_ref().map(|a| {
                match a {
                    security::Authentication::Mtls => "mtls",
                    security::Authentication::Oauth { .. } => "oauth",
                }
                .to_string()
            }),
        }],
    }
}

/// Protects the database volume: kept on `helm uninstall`, never pruned by Argo CD, and sized
/// as configured.
fn protect(pvc: &mut Manifest, cfg: &Config) {
    pvc.set_annotation(HELM_POLICY, "keep");
    let options = match pvc.annotation(ARGO_SYNC_OPTIONS) {
        Some(existing) if existing.split(',').any(|o| o.trim() == "Prune=false") => {
            existing.to_string()
        }
        Some(existing) if !existing.trim().is_empty() => format!("{existing},Prune=false"),
        _ => "Prune=false".to_string(),
    };
    pvc.set_annotation(ARGO_SYNC_OPTIONS, &options);
    flinkwasm_stack::labels::stack(pvc, COMPONENT);
    pvc.set(
        &["spec", "resources", "requests", "storage"],
        cfg.persistence_size(),
    );
    if let Some(class) = &cfg.persistence.storage_class_name {
        pvc.set(&["spec", "storageClassName"], class.as_str());
    }
}

flinkwasm_sdk::export_plugin!(Cmf);
