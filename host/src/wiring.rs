//! The wiring check: after the plugins ran, how the stream's objects connect, as a cluster
//! would run them. Each finding names both ends of the wire.
//!
//! - An object in a namespace nothing creates, or synced in an earlier Argo CD wave than the
//!   Namespace object that creates it (and likewise the namespaces an Application's chart uses
//!   and each FlinkEnvironment's `kubernetesNamespace`).
//! - A Service whose selector matches no pod the stack runs in its namespace, or a named
//!   `targetPort` its pods lack.
//! - A ServiceMonitor that selects no Service, or an endpoint port its Services lack; a
//!   PodMonitor that selects no pod, or a port its pods do not declare.
//! - A NetworkPolicy that selects no pod.
//! - A CMFRestClass endpoint that misses CMF's Service: its port, TLS or client authentication.
//! - An Ingress backend port its Service lacks.
//!
//! The pods the stack runs are the pod templates of the stream's workloads, the Flink pods of
//! each FlinkEnvironment (the labels and ports Flink's native Kubernetes integration gives them,
//! in the environment's `kubernetesNamespace`), and what each Application declares its chart
//! runs (the `flinkwasm.io/workloads` annotation the stack's plugins write).
//!
//! Where namespaces come from: Namespace objects of the stream, the destinations of Argo CD
//! Applications with `CreateNamespace=true`, and the run's own target namespace. Argo CD
//! objects live in Argo CD's namespace, which is taken to exist.
//!
//! Which checks apply depends on how much of the cluster the stream is ([`View`]):
//! - `render` and `argocd-cmp` see the whole stack: every check runs. A selector of a generated
//!   object (`app.kubernetes.io/managed-by: flinkwasm`) that matches nothing is an error when the
//!   stack shows what it looks for (the same pods run in another namespace, or pods in its
//!   namespace carry its label keys with other values), else a warning; a selector of the user's
//!   own objects that matches nothing is a warning (it may select pods from outside the stack);
//! - `krm` sees one kustomize tree: namespaces are not checked (they are usually created
//!   elsewhere) and a selector that matches nothing is a warning;
//! - `post-render` sees one chart's release, among others on the cluster, and is not checked
//!   here: the plugins check what they know of their chart (for example a release installed
//!   into another namespace than the stack's), and re-reading a large release would cost more
//!   than it tells.
//!
//! Wherever both ends are in view, a mismatch (a port, TLS, an authentication) is an error.

use crate::error;
use crate::plan::Caller;
use crate::report::Reported;
use crate::runtime::wit;
use crate::stream::Object;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The annotation on which a plugin declares what an Application's chart runs.
pub const WORKLOADS: &str = "flinkwasm.io/workloads";
/// Argo CD's sync-wave annotation.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// The label plugins put on the objects they generate.
const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "flinkwasm");

/// How much of the cluster a run's stream is.
#[derive(Debug, Clone)]
pub struct View {
    /// The stream is the whole stack (render, Argo CD): namespaces are checked, and a generated
    /// object that selects nothing is an error.
    pub complete: bool,
    /// The run's target namespace, which the pipeline takes to exist.
    pub namespace: String,
    /// Namespaces created before this render's objects (`spec.target.namespaces`: a component
    /// of an app-of-apps, whose root creates them).
    pub existing: Vec<String>,
}

impl View {
    /// The view of a run by `caller` targeting `namespace`, where `existing` namespaces are
    /// created before it; `None` when such a run is not checked.
    pub fn for_caller(caller: Caller, namespace: &str, existing: &[String]) -> Option<View> {
        let complete = match caller {
            Caller::Render | Caller::ArgocdCmp => true,
            Caller::Krm => false,
            Caller::PostRender => return None,
        };
        Some(View {
            complete,
            namespace: namespace.to_string(),
            existing: existing.to_vec(),
        })
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// It cannot work.
    Error,
    /// It may not work.
    Warning,
}

/// One finding about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's kind.
    pub kind: String,
    /// Its namespace, if any.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The field, as a dotted path.
    pub field: String,
    /// What is wrong, naming the other end.
    pub message: String,
}

impl Finding {
    /// One line: `wiring: Kind/ns/name field: message`.
    pub fn line(&self) -> String {
        let who = match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        };
        format!("wiring: {who} {}: {}", self.field, self.message)
    }
}

/// Calls its argument with each object of the stream in order, parsed one at a time, so the
/// check never holds the whole stream parsed (`&[Object]` for one already parsed).
pub type Each<'a> = dyn Fn(&mut dyn FnMut(&Object)) -> anyhow::Result<()> + 'a;

/// At most this many findings are reported one by one; the rest are counted.
pub const MAX_REPORTED: usize = 100;

/// At most this many comparisons of a selector term with a pod set or Service: past it, a stream
/// of thousands of Services and workloads would take minutes, so the selector checks are
/// skipped with a warning (namespaces are still checked).
pub const MAX_COMPARISONS: usize = 2_000_000;

/// Checks the objects `each` gives and reports the findings: warnings are logged, and each
/// finding is added to `diagnostics` (as the pseudo-plugin `wiring`, so KRM results carry
/// them); any error fails the run with its error lines. Past [`MAX_REPORTED`] findings, one
/// more line says how many were left out.
pub fn report(each: &Each<'_>, view: &View, diagnostics: &mut Vec<Reported>) -> anyhow::Result<()> {
    let findings = check_each(each, view)?;
    let total_errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let mut errors = Vec::new();
    for f in findings.iter().take(MAX_REPORTED) {
        match f.severity {
            Severity::Error => errors.push(f.line()),
            Severity::Warning => tracing::warn!("{}", f.line()),
        }
        diagnostics.push(reported(f));
    }
    if findings.len() > MAX_REPORTED {
        let more = format!(
            "wiring: {} more findings not shown ({}); fix the first ones and run again",
            findings.len() - MAX_REPORTED,
            match total_errors {
                0 => "all warnings".to_string(),
                n => format!("{n} errors in all"),
            }
        );
        tracing::warn!("{more}");
        if total_errors > errors.len() {
            errors.push(more);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(error::input(errors.join("\n")))
    }
}

/// A finding as the diagnostic of the pseudo-plugin `wiring`.
fn reported(f: &Finding) -> Reported {
    Reported {
        plugin: "wiring".to_string(),
        diagnostic: wit::Diagnostic {
            severity: match f.severity {
                Severity::Error => wit::Severity::Error,
                Severity::Warning => wit::Severity::Warning,
            },
            message: f.message.clone(),
            object: Some(wit::ResourceRef {
                api_version: f.api_version.clone(),
                kind: f.kind.clone(),
                name: f.name.clone(),
                namespace: f.namespace.clone(),
            }),
            field: Some(f.field.clone()),
        },
    }
}

/// Every finding about `objects`, in stream order.
pub fn check(objects: &[Object], view: &View) -> Vec<Finding> {
    let each = |f: &mut dyn FnMut(&Object)| {
        objects.iter().for_each(f);
        Ok(())
    };
    // Iterating a slice cannot fail.
    check_each(&each, view).unwrap_or_default()
}

/// Every finding about the objects `each` gives, in stream order: one pass learns what the
/// stream runs and creates, a second checks each object against it.
pub fn check_each(each: &Each<'_>, view: &View) -> anyhow::Result<Vec<Finding>> {
    let mut world = World::new(view);
    let (mut selecting, mut keys) = (0usize, 0usize);
    each(&mut |obj| {
        let o = Obj::of(obj);
        if o.selects() {
            selecting += 1;
            keys = keys.saturating_add(o.selector_size());
        }
        world.add(&o, view);
    })?;
    // Each selector is compared with every pod set and Service, key by key.
    let comparisons = keys.saturating_mul(world.pods.len() + world.services.len());
    let selectors = comparisons <= MAX_COMPARISONS;
    let mut out = Vec::new();
    if !selectors {
        out.push(Finding {
            severity: Severity::Warning,
            api_version: String::new(),
            kind: "Stream".to_string(),
            namespace: None,
            name: "-".to_string(),
            field: "-".to_string(),
            message: format!(
                "selectors not checked: {selecting} selecting objects ({keys} selector terms) \
                 against {} pod sets and Services is {comparisons} comparisons, more than the \
                 {MAX_COMPARISONS} the check makes; namespaces were checked",
                world.pods.len() + world.services.len()
            ),
        });
    }
    each(&mut |obj| {
        let o = Obj::of(obj);
        if view.complete {
            world.namespace_of(&o, &mut out);
        }
        if selectors {
            world.check(&o, view, &mut out);
        }
    })?;
    Ok(out)
}

/// One object with the fields every check reads.
struct Obj<'a> {
    value: &'a Object,
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
}

impl<'a> Obj<'a> {
    fn of(value: &'a Object) -> Obj<'a> {
        let meta = value.get("metadata");
        Obj {
            value,
            api_version: str_of(value.get("apiVersion")),
            kind: str_of(value.get("kind")),
            name: str_of(meta.and_then(|m| m.get("name"))),
            namespace: meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .filter(|ns| !ns.is_empty()),
        }
    }

    fn group(&self) -> &'a str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// How many terms its selectors have (at least 1): what comparing them costs.
    fn selector_size(&self) -> usize {
        let mut n = 1usize;
        for path in [&["spec", "selector"][..], &["spec", "podSelector"][..]] {
            let Some(Value::Object(m)) = self.at(path) else {
                continue;
            };
            n = n.saturating_add(m.len());
            if let Some(Value::Object(labels)) = m.get("matchLabels") {
                n = n.saturating_add(labels.len());
            }
            for e in m
                .get("matchExpressions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let values = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                n = n.saturating_add(1 + values);
            }
        }
        n
    }

    /// Whether the object selects pods or Services (or names a Service), which the second
    /// pass compares with everything the stream runs.
    fn selects(&self) -> bool {
        matches!(
            (self.group(), self.kind),
            ("", "Service")
                | ("monitoring.coreos.com", "ServiceMonitor" | "PodMonitor")
                | ("networking.k8s.io", "NetworkPolicy" | "Ingress")
                | ("platform.confluent.io", "CMFRestClass")
        )
    }

    fn at(&self, path: &[&str]) -> Option<&'a Value> {
        let mut v = self.value.get(*path.first()?)?;
        for key in &path[1..] {
            v = v.get(key)?;
        }
        Some(v)
    }

    fn label(&self, key: &str) -> Option<&'a str> {
        self.at(&["metadata", "labels", key])
            .and_then(Value::as_str)
    }

    fn annotation(&self, key: &str) -> Option<&'a str> {
        self.at(&["metadata", "annotations", key])
            .and_then(Value::as_str)
    }

    /// The object's Argo CD sync wave (0 unless annotated).
    fn wave(&self) -> i64 {
        self.annotation(SYNC_WAVE)
            .and_then(|w| w.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Generated by a plugin: held to its wires.
    fn generated(&self) -> bool {
        self.label(MANAGED_BY.0) == Some(MANAGED_BY.1)
    }

    fn describe(&self) -> String {
        match self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// A finding about this object. Its message quotes the stream (selectors, names), so it is
    /// cut at [`crate::text::MAX_CHARS`] characters.
    fn finding(&self, severity: Severity, field: &str, message: String) -> Finding {
        let message = match crate::text::safe(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(cut) => cut,
        };
        Finding {
            severity,
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            namespace: self.namespace.map(str::to_string),
            name: self.name.to_string(),
            field: field.to_string(),
            message,
        }
    }
}

fn str_of(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or_default()
}

/// Pods the stack runs: labels (`None`: any value, such as a Flink pod's application name) and
/// named container ports (`None`: not known).
#[derive(Debug, Clone)]
struct PodSet {
    namespace: String,
    labels: BTreeMap<String, Option<String>>,
    ports: Option<BTreeMap<String, u16>>,
    origin: String,
}

/// A Service: its labels (what monitors select), selector, ports and, when declared, its TLS
/// and client authentication.
#[derive(Debug, Clone)]
struct Svc {
    namespace: String,
    name: String,
    labels: BTreeMap<String, String>,
    ports: Vec<SvcPort>,
    tls: Option<bool>,
    authentication: Option<Option<String>>,
    origin: String,
}

#[derive(Debug, Clone)]
struct SvcPort {
    name: Option<String>,
    port: u64,
}

/// Where a namespace comes from.
#[derive(Debug, Clone)]
struct NsSource {
    /// The wave of the Namespace object that creates it, if one does.
    wave: Option<i64>,
    how: String,
}

/// What the stream runs and creates.
struct World {
    pods: Vec<PodSet>,
    services: Vec<Svc>,
    namespaces: BTreeMap<String, NsSource>,
    target: String,
}

/// The declaration a plugin writes on an Application (see the stack's `workloads` module).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Declared {
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    pods: Vec<DeclaredPods>,
    #[serde(default)]
    services: Vec<DeclaredService>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclaredPods {
    namespace: String,
    labels: BTreeMap<String, String>,
    ports: Option<BTreeMap<String, u16>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclaredService {
    namespace: String,
    name: String,
    ports: Vec<DeclaredPort>,
    #[serde(default)]
    tls: bool,
    authentication: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclaredPort {
    port: u16,
}

/// The workload kinds whose pod template is at `spec.template`.
const TEMPLATED: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
];

/// The named ports Flink's native Kubernetes integration gives a JobManager (its Constants:
/// rest, jobmanager-rpc, blobserver). The Prometheus reporter's port is not among them.
const JOBMANAGER_PORTS: &[(&str, u16)] = &[
    ("rest", 8081),
    ("jobmanager-rpc", 6123),
    ("blobserver", 6124),
];
/// The named port of a TaskManager.
const TASKMANAGER_PORTS: &[(&str, u16)] = &[("taskmanager-rpc", 6122)];

impl World {
    fn new(view: &View) -> World {
        let mut world = World {
            pods: Vec::new(),
            services: Vec::new(),
            namespaces: BTreeMap::new(),
            target: view.namespace.clone(),
        };
        world.namespaces.insert(
            view.namespace.clone(),
            NsSource {
                wave: None,
                how: "the run's target namespace".to_string(),
            },
        );
        for ns in &view.existing {
            world.namespaces.entry(ns.clone()).or_insert(NsSource {
                wave: None,
                how: "created before this render (spec.target.namespaces)".to_string(),
            });
        }
        world
    }

    /// Learns what `o` runs, serves or creates.
    fn add(&mut self, o: &Obj<'_>, view: &View) {
        let ns = o.namespace.unwrap_or(&view.namespace).to_string();
        match (o.group(), o.kind) {
            ("", "Namespace") => {
                self.namespaces.insert(
                    o.name.to_string(),
                    NsSource {
                        wave: Some(o.wave()),
                        how: format!("Namespace {}", o.name),
                    },
                );
            }
            ("", "Pod") => self.add_template(o, o.at(&["metadata"]), o.at(&["spec"]), &ns),
            ("batch", "CronJob") => {
                let t = o.at(&["spec", "jobTemplate", "spec", "template"]);
                self.add_template(
                    o,
                    t.and_then(|t| t.get("metadata")),
                    t.and_then(|t| t.get("spec")),
                    &ns,
                );
            }
            (g, k) if TEMPLATED.contains(&(g, k)) => {
                let t = o.at(&["spec", "template"]);
                self.add_template(
                    o,
                    t.and_then(|t| t.get("metadata")),
                    t.and_then(|t| t.get("spec")),
                    &ns,
                );
            }
            ("", "Service") => self.services.push(Svc {
                namespace: ns,
                name: o.name.to_string(),
                labels: string_map(o.at(&["metadata", "labels"])),
                ports: o
                    .at(&["spec", "ports"])
                    .and_then(Value::as_array)
                    .map(|ports| {
                        ports
                            .iter()
                            .map(|p| SvcPort {
                                name: p.get("name").and_then(Value::as_str).map(str::to_string),
                                port: p.get("port").and_then(Value::as_u64).unwrap_or(0),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                tls: None,
                authentication: None,
                origin: o.describe(),
            }),
            ("platform.confluent.io", "FlinkEnvironment") => self.add_flink(o),
            ("argoproj.io", "Application") => self.add_application(o),
            _ => {}
        }
    }

    /// The checks of `o`'s kind.
    fn check(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        match (o.group(), o.kind) {
            ("", "Service") => self.service(o, view, out),
            ("monitoring.coreos.com", "ServiceMonitor") => self.service_monitor(o, view, out),
            ("monitoring.coreos.com", "PodMonitor") => self.pod_monitor(o, view, out),
            ("networking.k8s.io", "NetworkPolicy") => self.network_policy(o, view, out),
            ("networking.k8s.io", "Ingress") => self.ingress(o, view, out),
            ("platform.confluent.io", "CMFRestClass") => self.rest_class(o, view, out),
            ("platform.confluent.io", "FlinkEnvironment") if view.complete => {
                self.flink_namespace(o, out)
            }
            ("argoproj.io", "Application") if view.complete => self.application_namespaces(o, out),
            _ => {}
        }
    }

    fn add_template(&mut self, o: &Obj<'_>, meta: Option<&Value>, spec: Option<&Value>, ns: &str) {
        let labels = string_map(meta.and_then(|m| m.get("labels")))
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        let mut ports = BTreeMap::new();
        for c in spec
            .and_then(|s| s.get("containers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for p in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(name), Some(port)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("containerPort").and_then(Value::as_u64),
                ) {
                    ports.insert(name.to_string(), u16::try_from(port).unwrap_or(0));
                }
            }
        }
        self.pods.push(PodSet {
            namespace: ns.to_string(),
            labels,
            ports: Some(ports),
            origin: format!("the pods of {}", o.describe()),
        });
    }

    /// The JobManager and TaskManager pods of a FlinkEnvironment's applications.
    fn add_flink(&mut self, o: &Obj<'_>) {
        let ns = o
            .at(&["spec", "kubernetesNamespace"])
            .and_then(Value::as_str)
            .or(o.namespace)
            .unwrap_or(self.target.as_str())
            .to_string();
        let defaults = o.at(&["spec", "flinkApplicationDefaults", "spec"]);
        let template_labels = |path: &[&str]| {
            let mut v = defaults;
            for key in path {
                v = v.and_then(|x| x.get(key));
            }
            string_map(v)
        };
        for (component, ports, own) in [
            ("jobmanager", JOBMANAGER_PORTS, "jobManager"),
            ("taskmanager", TASKMANAGER_PORTS, "taskManager"),
        ] {
            let mut labels: BTreeMap<String, Option<String>> = BTreeMap::new();
            for (k, v) in template_labels(&["podTemplate", "metadata", "labels"])
                .into_iter()
                .chain(template_labels(&[own, "podTemplate", "metadata", "labels"]))
            {
                labels.insert(k, Some(v));
            }
            // What Flink's native Kubernetes integration and CMF put on every pod; `app` is the
            // application's name, any of them.
            labels.insert("type".into(), Some("flink-native-kubernetes".into()));
            labels.insert("component".into(), Some(component.into()));
            labels.insert("platform.confluent.io/origin".into(), Some("flink".into()));
            labels.insert("app".into(), None);
            self.pods.push(PodSet {
                namespace: ns.clone(),
                labels,
                ports: Some(ports.iter().map(|(n, p)| (n.to_string(), *p)).collect()),
                origin: format!("the Flink {component}s of {}", o.describe()),
            });
        }
    }

    fn add_application(&mut self, o: &Obj<'_>) {
        let creates = o
            .at(&["spec", "syncPolicy", "syncOptions"])
            .and_then(Value::as_array)
            .is_some_and(|opts| {
                opts.iter()
                    .any(|x| x.as_str() == Some("CreateNamespace=true"))
            });
        if creates
            && let Some(ns) = o
                .at(&["spec", "destination", "namespace"])
                .and_then(Value::as_str)
        {
            self.namespaces.entry(ns.to_string()).or_insert(NsSource {
                wave: None,
                how: format!("{} (CreateNamespace=true)", o.describe()),
            });
        }
        let Some(declared) = declared(o) else {
            return;
        };
        for p in declared.pods {
            self.pods.push(PodSet {
                namespace: p.namespace,
                labels: p.labels.into_iter().map(|(k, v)| (k, Some(v))).collect(),
                ports: p.ports,
                origin: format!("the pods the chart of {} runs", o.describe()),
            });
        }
        for s in declared.services {
            let origin = format!(
                "Service {}/{} (from the chart of {})",
                s.namespace,
                s.name,
                o.describe()
            );
            self.services.push(Svc {
                namespace: s.namespace,
                name: s.name,
                labels: BTreeMap::new(),
                ports: s
                    .ports
                    .iter()
                    .map(|p| SvcPort {
                        name: None,
                        port: u64::from(p.port),
                    })
                    .collect(),
                tls: Some(s.tls),
                authentication: Some(s.authentication),
                origin,
            });
        }
    }

    /// The pod sets in `namespace` that `selector` (a LabelSelector) selects.
    fn pods_selected(&self, namespaces: &Namespaces, selector: &Value) -> Vec<&PodSet> {
        self.pods
            .iter()
            .filter(|p| namespaces.contains(&p.namespace) && selects(selector, &p.labels))
            .collect()
    }

    /// Where pods `selector` selects run, outside `namespaces` (`None`: nowhere).
    fn pods_elsewhere(&self, namespaces: &Namespaces, selector: &Value) -> Option<String> {
        let found: BTreeSet<&str> = self
            .pods
            .iter()
            .filter(|p| {
                !namespaces.contains(&p.namespace) && selects_with(selector, &p.labels, false)
            })
            .map(|p| p.namespace.as_str())
            .collect();
        (!found.is_empty()).then(|| few(found.into_iter()))
    }

    /// Whether pods in `namespaces` carry any of `keys` with a known value.
    fn pod_keys_known(&self, namespaces: &Namespaces, keys: &BTreeSet<String>) -> bool {
        self.pods.iter().any(|p| {
            namespaces.contains(&p.namespace)
                && keys
                    .iter()
                    .any(|k| matches!(p.labels.get(k), Some(Some(_))))
        })
    }

    /// Checks that `o`'s namespace exists by the time it syncs.
    fn namespace_of(&self, o: &Obj<'_>, out: &mut Vec<Finding>) {
        let Some(ns) = o.namespace else {
            return;
        };
        // Argo CD's own objects live in Argo CD's namespace, which exists where they are read.
        if o.group() == "argoproj.io" {
            return;
        }
        self.require(o, ns, o.wave(), "metadata.namespace", "is in", out);
    }

    /// A namespace `o` needs in wave `wave`: created by something, no later than that.
    fn require(
        &self,
        o: &Obj<'_>,
        ns: &str,
        wave: i64,
        field: &str,
        what: &str,
        out: &mut Vec<Finding>,
    ) {
        match self.namespaces.get(ns) {
            None => out.push(o.finding(
                Severity::Error,
                field,
                format!(
                    "{} {what} namespace {ns}, which nothing creates: no Namespace object in the \
                     stream, no Argo CD Application with CreateNamespace=true destined there, and \
                     it is not the run's namespace {}; add a Namespace {ns} (or an Application \
                     that creates it)",
                    o.describe(),
                    self.target
                ),
            )),
            Some(NsSource {
                wave: Some(created),
                how,
            }) if *created > wave => out.push(o.finding(
                Severity::Error,
                field,
                format!(
                    "{} {what} namespace {ns} in sync wave {wave}, but {how} creates it only in \
                     wave {created}: Argo CD would apply it first and fail",
                    o.describe()
                ),
            )),
            Some(_) => {}
        }
    }

    /// Every namespace an Application's chart uses must exist when the Application syncs.
    fn application_namespaces(&self, o: &Obj<'_>, out: &mut Vec<Finding>) {
        let Some(declared) = declared(o) else {
            return;
        };
        let destination = o
            .at(&["spec", "destination", "namespace"])
            .and_then(Value::as_str);
        for ns in &declared.namespaces {
            if Some(ns.as_str()) == destination && self.namespaces.contains_key(ns) {
                continue;
            }
            self.require(
                o,
                ns,
                o.wave(),
                &format!("metadata.annotations[\"{WORKLOADS}\"].namespaces"),
                "deploys a chart whose objects land in",
                out,
            );
        }
    }

    /// A FlinkEnvironment's pods need their namespace.
    fn flink_namespace(&self, o: &Obj<'_>, out: &mut Vec<Finding>) {
        if let Some(ns) = o
            .at(&["spec", "kubernetesNamespace"])
            .and_then(Value::as_str)
        {
            self.require(
                o,
                ns,
                o.wave(),
                "spec.kubernetesNamespace",
                "runs its Flink pods in",
                out,
            );
        }
    }

    fn service(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let Some(Value::Object(selector)) = o.at(&["spec", "selector"]) else {
            return;
        };
        if selector.is_empty()
            || o.at(&["spec", "type"]).and_then(Value::as_str) == Some("ExternalName")
        {
            return;
        }
        let ns = o.namespace.unwrap_or(&self.target);
        let as_selector = serde_json::json!({ "matchLabels": selector });
        let namespaces = Namespaces::One(ns.to_string());
        let pods = self.pods_selected(&namespaces, &as_selector);
        if pods.is_empty() {
            let elsewhere = self.pods_elsewhere(&namespaces, &as_selector);
            let keys = self.pod_keys_known(&namespaces, &selector_keys(&as_selector));
            out.push(o.finding(
                unmatched(o, view, &elsewhere, keys),
                "spec.selector",
                format!(
                    "{} selects pods {} in {ns}, and no pod the stack runs there carries them \
                     ({}){}: the Service has no endpoints",
                    o.describe(),
                    Value::Object(selector.clone()),
                    self.pods_in(ns),
                    elsewhere_note(&elsewhere)
                ),
            ));
            return;
        }
        for (i, port) in o
            .at(&["spec", "ports"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(target) = port.get("targetPort").and_then(Value::as_str) else {
                continue;
            };
            let known: Vec<&&PodSet> = pods.iter().filter(|p| p.ports.is_some()).collect();
            if !known.is_empty()
                && !known.iter().any(|p| {
                    p.ports
                        .as_ref()
                        .is_some_and(|ports| ports.contains_key(target))
                })
            {
                out.push(o.finding(
                    Severity::Error,
                    &format!("spec.ports[{i}].targetPort"),
                    format!(
                        "{} forwards to port {target}, which {} do not declare",
                        o.describe(),
                        origins(&pods)
                    ),
                ));
            }
        }
    }

    /// The Services with labels that `selector` (a LabelSelector) selects, in any namespace.
    fn services_selected<'s>(&'s self, selector: &'s Value) -> impl Iterator<Item = &'s Svc> {
        self.services.iter().filter(move |s| {
            !s.labels.is_empty()
                && selects(
                    selector,
                    &s.labels
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.clone())))
                        .collect(),
                )
        })
    }

    fn service_monitor(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let namespaces = Namespaces::of(o, &self.target);
        let selector = o.at(&["spec", "selector"]).cloned().unwrap_or(Value::Null);
        let services: Vec<&Svc> = self
            .services_selected(&selector)
            .filter(|s| namespaces.contains(&s.namespace))
            .collect();
        if services.is_empty() {
            let found: BTreeSet<String> = self
                .services_selected(&selector)
                .filter(|s| !namespaces.contains(&s.namespace))
                .map(|s| s.namespace.clone())
                .collect();
            let elsewhere = (!found.is_empty()).then(|| few(found.iter().map(String::as_str)));
            let keys = selector_keys(&selector);
            let keys_known = self.services.iter().any(|s| {
                namespaces.contains(&s.namespace) && keys.iter().any(|k| s.labels.contains_key(k))
            });
            out.push(o.finding(
                unmatched(o, view, &elsewhere, keys_known),
                "spec.selector",
                format!(
                    "{} selects Services {} in {}, and the stream has none there{}: Prometheus \
                     would scrape nothing",
                    o.describe(),
                    selector,
                    namespaces,
                    elsewhere_note(&elsewhere)
                ),
            ));
            return;
        }
        for (i, endpoint) in o
            .at(&["spec", "endpoints"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(port) = endpoint.get("port").and_then(Value::as_str) else {
                continue;
            };
            for s in &services {
                if !s.ports.iter().any(|p| p.name.as_deref() == Some(port)) {
                    out.push(o.finding(
                        Severity::Error,
                        &format!("spec.endpoints[{i}].port"),
                        format!(
                            "{} scrapes port {port} of {}, which has no port of that name",
                            o.describe(),
                            s.origin
                        ),
                    ));
                }
            }
        }
    }

    fn pod_monitor(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let namespaces = Namespaces::of(o, &self.target);
        let selector = o.at(&["spec", "selector"]).cloned().unwrap_or(Value::Null);
        let pods = self.pods_selected(&namespaces, &selector);
        if pods.is_empty() {
            let elsewhere = self.pods_elsewhere(&namespaces, &selector);
            let keys = self.pod_keys_known(&namespaces, &selector_keys(&selector));
            out.push(o.finding(
                unmatched(o, view, &elsewhere, keys),
                "spec.selector",
                format!(
                    "{} selects pods {} in {}, and no pod the stack runs there carries them{}: \
                     Prometheus would scrape nothing",
                    o.describe(),
                    selector,
                    namespaces,
                    elsewhere_note(&elsewhere)
                ),
            ));
            return;
        }
        for (i, endpoint) in o
            .at(&["spec", "podMetricsEndpoints"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(port) = endpoint.get("port").and_then(Value::as_str) else {
                continue;
            };
            for p in &pods {
                if let Some(ports) = &p.ports
                    && !ports.contains_key(port)
                {
                    out.push(o.finding(
                        Severity::Error,
                        &format!("spec.podMetricsEndpoints[{i}].port"),
                        format!(
                            "{} scrapes container port {port} of {}, which declare no port of \
                             that name{}",
                            o.describe(),
                            p.origin,
                            if ports.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    " (they declare {})",
                                    ports.keys().cloned().collect::<Vec<_>>().join(", ")
                                )
                            }
                        ),
                    ));
                }
            }
        }
    }

    fn network_policy(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let selector = o
            .at(&["spec", "podSelector"])
            .cloned()
            .unwrap_or(Value::Null);
        if is_empty_selector(&selector) {
            return; // every pod of the namespace, whatever runs there
        }
        let ns = o.namespace.unwrap_or(&self.target);
        let namespaces = Namespaces::One(ns.to_string());
        if self.pods_selected(&namespaces, &selector).is_empty() {
            let elsewhere = self.pods_elsewhere(&namespaces, &selector);
            let keys = self.pod_keys_known(&namespaces, &selector_keys(&selector));
            out.push(o.finding(
                unmatched(o, view, &elsewhere, keys),
                "spec.podSelector",
                format!(
                    "{} applies to pods {} in {ns}, and no pod the stack runs there carries them \
                     ({}){}: it protects nothing",
                    o.describe(),
                    selector,
                    self.pods_in(ns),
                    elsewhere_note(&elsewhere)
                ),
            ));
        }
    }

    fn ingress(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let ns = o.namespace.unwrap_or(&self.target);
        for (i, rule) in o
            .at(&["spec", "rules"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, path) in rule
                .pointer("/http/paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(backend) = path.pointer("/backend/service") {
                    let field = format!("spec.rules[{i}].http.paths[{j}].backend.service");
                    self.ingress_backend(o, ns, &field, backend, view, out);
                }
            }
        }
    }

    /// One Ingress backend (at `field`) against the Service and port it names in `ns`.
    fn ingress_backend(
        &self,
        o: &Obj<'_>,
        ns: &str,
        field: &str,
        backend: &Value,
        view: &View,
        out: &mut Vec<Finding>,
    ) {
        let name = str_of(backend.get("name"));
        let Some(svc) = self
            .services
            .iter()
            .find(|s| s.namespace == ns && s.name == name)
        else {
            if view.complete {
                out.push(o.finding(
                    Severity::Warning,
                    field,
                    format!(
                        "{} routes to Service {name} in {ns}, which the stack does not create",
                        o.describe()
                    ),
                ));
            }
            return;
        };
        let by_number = backend.pointer("/port/number").and_then(Value::as_u64);
        let by_name = backend.pointer("/port/name").and_then(Value::as_str);
        let found = svc.ports.iter().any(|p| {
            Some(p.port) == by_number || (by_name.is_some() && p.name.as_deref() == by_name)
        });
        if !found && (by_number.is_some() || by_name.is_some()) {
            out.push(o.finding(
                Severity::Error,
                &format!("{field}.port"),
                format!(
                    "{} routes to port {} of {}, which serves {}",
                    o.describe(),
                    by_name.map_or_else(|| by_number.unwrap_or(0).to_string(), str::to_string),
                    svc.origin,
                    ports_of(svc)
                ),
            ));
        }
    }

    /// A CMFRestClass's endpoint against the Service it names.
    fn rest_class(&self, o: &Obj<'_>, view: &View, out: &mut Vec<Finding>) {
        let field = "spec.cmfRest.endpoint";
        let Some(url) = o
            .at(&["spec", "cmfRest", "endpoint"])
            .and_then(Value::as_str)
        else {
            return;
        };
        let Some(endpoint) = Endpoint::parse(url, o.namespace.unwrap_or(&self.target)) else {
            out.push(o.finding(
                Severity::Error,
                field,
                format!(
                    "{} has endpoint {url}, which is not an http(s) URL",
                    o.describe()
                ),
            ));
            return;
        };
        let Some((service, namespace)) = &endpoint.service else {
            return; // outside the cluster: nothing to hold it to
        };
        let Some(svc) = self
            .services
            .iter()
            .find(|s| &s.namespace == namespace && &s.name == service)
        else {
            // Only when a chart's Services are in view (the stack's CMF among them) is a
            // Service the stream lacks a likely mistake; a component rendered on its own
            // reaches a CMF deployed elsewhere.
            if view.complete && self.services.iter().any(|s| s.tls.is_some()) {
                out.push(o.finding(
                    Severity::Warning,
                    field,
                    format!(
                        "{} reaches CMF at {url}, but the stack creates no Service {service} in \
                         {namespace} (it creates {})",
                        o.describe(),
                        few(self
                            .services
                            .iter()
                            .filter(|s| s.tls.is_some())
                            .map(|s| s.origin.as_str()))
                    ),
                ));
            }
            return;
        };
        self.rest_class_reaches(o, &endpoint, url, svc, out);
        self.rest_class_authenticates(o, svc, out);
    }

    /// The endpoint's port and scheme against what CMF's Service serves.
    fn rest_class_reaches(
        &self,
        o: &Obj<'_>,
        endpoint: &Endpoint,
        url: &str,
        svc: &Svc,
        out: &mut Vec<Finding>,
    ) {
        let field = "spec.cmfRest.endpoint";
        if !svc.ports.iter().any(|p| p.port == u64::from(endpoint.port)) {
            out.push(o.finding(
                Severity::Error,
                field,
                format!(
                    "{} reaches CMF at {url}, which means port {}{}, but {} serves {}: write the \
                     port in the URL",
                    o.describe(),
                    endpoint.port,
                    if endpoint.explicit_port {
                        ""
                    } else {
                        " (the scheme's default)"
                    },
                    svc.origin,
                    ports_of(svc)
                ),
            ));
        }
        if let Some(tls) = svc.tls
            && tls != endpoint.https
        {
            out.push(o.finding(
                Severity::Error,
                field,
                format!(
                    "{} reaches CMF over {} at {url}, but {} serves {}",
                    o.describe(),
                    if endpoint.https {
                        "HTTPS"
                    } else {
                        "plain HTTP"
                    },
                    svc.origin,
                    if tls { "TLS only" } else { "plain HTTP only" }
                ),
            ));
        }
    }

    /// CFK's authentication to CMF against what CMF requires.
    fn rest_class_authenticates(&self, o: &Obj<'_>, svc: &Svc, out: &mut Vec<Finding>) {
        let auth = o.at(&["spec", "cmfRest", "authentication"]);
        let ours = auth
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(theirs) = &svc.authentication
            && theirs != &ours
        {
            out.push(o.finding(
                Severity::Error,
                "spec.cmfRest.authentication.type",
                format!(
                    "{} authenticates to CMF with {}, but {} requires {}",
                    o.describe(),
                    ours.as_deref().unwrap_or("nothing"),
                    svc.origin,
                    theirs.as_deref().unwrap_or("no authentication")
                ),
            ));
        }
        if ours.as_deref() == Some("mtls") {
            if auth.and_then(|a| a.get("sslClientAuthentication")) != Some(&Value::Bool(true)) {
                out.push(o.finding(
                    Severity::Error,
                    "spec.cmfRest.authentication.sslClientAuthentication",
                    format!(
                        "{} uses mTLS without sslClientAuthentication: true, so CFK presents no \
                         client certificate and {} rejects it",
                        o.describe(),
                        svc.origin
                    ),
                ));
            }
            if o.at(&["spec", "cmfRest", "tls", "secretRef"]).is_none() {
                out.push(o.finding(
                    Severity::Error,
                    "spec.cmfRest.tls.secretRef",
                    format!(
                        "{} uses mTLS without tls.secretRef: CFK has no client certificate for {}",
                        o.describe(),
                        svc.origin
                    ),
                ));
            }
        }
    }

    /// The pods the stack runs in `ns`, for a message.
    fn pods_in(&self, ns: &str) -> String {
        let here = self.pods.iter().filter(|p| p.namespace == ns);
        match few(here.map(|p| p.origin.as_str())) {
            none if none.is_empty() => format!("it runs none in {ns}"),
            some => format!("it runs {some}"),
        }
    }
}

/// The severity of "selects nothing". An error for an object a plugin generated, in a view of
/// the whole stack, when the stack shows what it is looking for: the same pods (or Services)
/// run in another namespace, or pods (Services) in its namespace carry the selector's label
/// keys with other values. Else a warning: it may select something from outside the stack.
fn unmatched(o: &Obj<'_>, view: &View, elsewhere: &Option<String>, keys_known: bool) -> Severity {
    if view.complete && o.generated() && (elsewhere.is_some() || keys_known) {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// ` (they run in flink)` when the selected things are found elsewhere, for a message.
fn elsewhere_note(elsewhere: &Option<String>) -> String {
    elsewhere
        .as_ref()
        .map(|w| format!("; what it selects is in {w}"))
        .unwrap_or_default()
}

/// The label keys a selector (LabelSelector or plain map) names.
fn selector_keys(selector: &Value) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Some(Value::Object(ml)) = selector.get("matchLabels") {
        keys.extend(ml.keys().cloned());
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        keys.insert(str_of(e.get("key")).to_string());
    }
    keys
}

fn declared(o: &Obj<'_>) -> Option<Declared> {
    serde_json::from_str(o.annotation(WORKLOADS)?).ok()
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn origins(pods: &[&PodSet]) -> String {
    few(pods.iter().map(|p| p.origin.as_str()))
}

/// At most [`FEW`] items of a list for a message, then how many more there are.
fn few<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for item in items {
        if shown.len() < FEW {
            shown.push(item);
        } else {
            more += 1;
        }
    }
    let mut text = shown.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

/// How many items of a list a message names.
const FEW: usize = 5;

fn ports_of(svc: &Svc) -> String {
    let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
    if ports.is_empty() {
        "no port".to_string()
    } else {
        format!("port {}", ports.join(", "))
    }
}

/// The namespaces a monitor looks in.
#[derive(Debug)]
enum Namespaces {
    Any,
    One(String),
    Some(BTreeSet<String>),
}

impl Namespaces {
    /// `spec.namespaceSelector` of a ServiceMonitor or PodMonitor: `any`, `matchNames`, else
    /// the monitor's own namespace.
    fn of(o: &Obj<'_>, default: &str) -> Namespaces {
        let sel = o.at(&["spec", "namespaceSelector"]);
        if sel.and_then(|s| s.get("any")).and_then(Value::as_bool) == Some(true) {
            return Namespaces::Any;
        }
        match sel
            .and_then(|s| s.get("matchNames"))
            .and_then(Value::as_array)
        {
            Some(names) if !names.is_empty() => Namespaces::Some(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            _ => Namespaces::One(o.namespace.unwrap_or(default).to_string()),
        }
    }

    fn contains(&self, ns: &str) -> bool {
        match self {
            Namespaces::Any => true,
            Namespaces::One(one) => one == ns,
            Namespaces::Some(set) => set.contains(ns),
        }
    }
}

impl std::fmt::Display for Namespaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Namespaces::Any => write!(f, "any namespace"),
            Namespaces::One(ns) => write!(f, "{ns}"),
            Namespaces::Some(set) => {
                write!(f, "{}", set.iter().cloned().collect::<Vec<_>>().join(", "))
            }
        }
    }
}

fn is_empty_selector(selector: &Value) -> bool {
    match selector {
        Value::Object(m) => m.values().all(|v| match v {
            Value::Object(x) => x.is_empty(),
            Value::Array(x) => x.is_empty(),
            Value::Null => true,
            _ => false,
        }),
        Value::Null => true,
        _ => false,
    }
}

/// Whether a LabelSelector (`matchLabels`, `matchExpressions`) selects pods with `labels`; a
/// label whose value is `None` may take any value. A missing selector selects nothing.
fn selects(selector: &Value, labels: &BTreeMap<String, Option<String>>) -> bool {
    selects_with(selector, labels, true)
}

/// [`selects`], where a label of any value (`None`) matches a wanted value only if `any` is
/// true: "it selects these pods elsewhere" must not rest on a value nobody knows.
fn selects_with(selector: &Value, labels: &BTreeMap<String, Option<String>>, any: bool) -> bool {
    let Value::Object(sel) = selector else {
        return false;
    };
    let value_matches = |key: &str, want: &str| match labels.get(key) {
        Some(Some(v)) => v == want,
        Some(None) => any,
        None => false,
    };
    if let Some(Value::Object(ml)) = sel.get("matchLabels") {
        for (k, v) in ml {
            if !value_matches(k, v.as_str().unwrap_or_default()) {
                return false;
            }
        }
    }
    if let Some(Value::Array(exprs)) = sel.get("matchExpressions") {
        for e in exprs {
            let key = str_of(e.get("key"));
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ok = match str_of(e.get("operator")) {
                "In" => values.iter().any(|v| value_matches(key, v)),
                "NotIn" => match labels.get(key) {
                    Some(Some(v)) => !values.contains(&v.as_str()),
                    _ => true,
                },
                "Exists" => labels.contains_key(key),
                "DoesNotExist" => !labels.contains_key(key),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// Where an http(s) URL points.
#[derive(Debug, PartialEq, Eq)]
struct Endpoint {
    https: bool,
    port: u16,
    explicit_port: bool,
    /// The in-cluster Service (`name`, `namespace`) its host names, if it names one.
    service: Option<(String, String)>,
}

impl Endpoint {
    /// Parses `url`; a bare host or `host.ns` is a Service in `namespace` or `ns`.
    fn parse(url: &str, namespace: &str) -> Option<Endpoint> {
        let (scheme, rest) = url.split_once("://")?;
        let https = match scheme {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port, explicit_port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?, true),
            None => (authority, if https { 443 } else { 80 }, false),
        };
        if host.is_empty() {
            return None;
        }
        let labels: Vec<&str> = host.split('.').collect();
        let service = match labels.as_slice() {
            [svc] => Some((svc.to_string(), namespace.to_string())),
            [svc, ns] | [svc, ns, "svc"] | [svc, ns, "svc", "cluster", "local"] => {
                Some((svc.to_string(), ns.to_string()))
            }
            _ => None,
        };
        // A dotted IP address is not a Service.
        let service = service.filter(|_| !host.chars().all(|c| c.is_ascii_digit() || c == '.'));
        Some(Endpoint {
            https,
            port,
            explicit_port,
            service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_their_service_and_the_schemes_default_port() {
        let e = Endpoint::parse("https://cmf-service.confluent.svc.cluster.local", "x").unwrap();
        assert_eq!(
            e,
            Endpoint {
                https: true,
                port: 443,
                explicit_port: false,
                service: Some(("cmf-service".into(), "confluent".into()))
            }
        );
        let e = Endpoint::parse("https://cmf-service:80", "operator").unwrap();
        assert_eq!(e.service, Some(("cmf-service".into(), "operator".into())));
        assert_eq!((e.port, e.explicit_port), (80, true));
        assert_eq!(
            Endpoint::parse("http://cmf.example.com:8080/cmf", "x")
                .unwrap()
                .service,
            None
        );
        assert_eq!(
            Endpoint::parse("http://10.0.0.1:80", "x").unwrap().service,
            None
        );
        assert!(Endpoint::parse("ftp://cmf", "x").is_none());
    }

    fn objects(text: &str) -> Vec<Object> {
        crate::stream::parse(text, "test").unwrap()
    }

    fn complete() -> View {
        View {
            complete: true,
            namespace: "confluent".into(),
            existing: Vec::new(),
        }
    }

    #[test]
    fn namespaces_come_from_namespace_objects_create_namespace_and_the_target() {
        let stream = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: confluent}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: jobs}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: created}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: app, namespace: argocd}
spec:
  destination: {namespace: created}
  syncPolicy: {syncOptions: [CreateNamespace=true]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d, namespace: late, annotations: {argocd.argoproj.io/sync-wave: '1'}}
---
apiVersion: v1
kind: Namespace
metadata: {name: late, annotations: {argocd.argoproj.io/sync-wave: '5'}}
";
        let found = check(&objects(stream), &complete());
        let names: Vec<(&str, Severity)> = found
            .iter()
            .map(|f| (f.name.as_str(), f.severity))
            .collect();
        assert_eq!(names, [("b", Severity::Error), ("d", Severity::Error)]);
        assert!(
            found[0]
                .message
                .contains("namespace jobs, which nothing creates")
        );
        assert!(
            found[1]
                .message
                .contains("in sync wave 1, but Namespace late creates it only in wave 5")
        );
        // A kustomize tree does not create its namespaces: KRM runs do not check them.
        let krm = View {
            complete: false,
            namespace: "confluent".into(),
            existing: Vec::new(),
        };
        assert!(check(&objects(stream), &krm).is_empty());
    }

    #[test]
    fn a_generated_selector_is_an_error_only_where_the_stack_shows_what_it_seeks() {
        let stream = "\
apiVersion: platform.confluent.io/v1beta1
kind: FlinkEnvironment
metadata: {name: env, namespace: confluent}
spec: {kubernetesNamespace: flink}
---
apiVersion: v1
kind: Service
metadata: {name: metrics, namespace: confluent, labels: {app.kubernetes.io/managed-by: flinkwasm}}
spec: {selector: {type: flink-native-kubernetes}, ports: [{name: metrics, port: 9249}]}
---
apiVersion: v1
kind: Service
metadata: {name: kafka, namespace: confluent, labels: {app.kubernetes.io/managed-by: flinkwasm}}
spec: {selector: {app: kafka}, ports: [{port: 9092}]}
";
        let view = View {
            complete: true,
            namespace: "confluent".into(),
            existing: Vec::new(),
        };
        let mut found = check(&objects(stream), &view);
        found.retain(|f| f.kind == "Service");
        assert_eq!(found.len(), 2, "{found:#?}");
        // The Flink pods run in flink: the Service in confluent cannot reach them.
        assert_eq!(found[0].severity, Severity::Error);
        assert!(
            found[0].message.contains("what it selects is in flink"),
            "{}",
            found[0].message
        );
        // Nothing the stack runs carries `app`: it may be a pod from outside the stack.
        assert_eq!(found[1].severity, Severity::Warning);
    }

    #[test]
    fn a_cmf_rest_class_must_name_the_port_and_scheme_cmf_serves() {
        let stream = r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cmf
  namespace: argocd
  annotations:
    flinkwasm.io/workloads: '{"namespaces":["confluent"],"services":[{"namespace":"confluent","name":"cmf-service","ports":[{"port":80,"targetPort":8080}],"tls":true,"authentication":"mtls"}]}'
spec: {destination: {namespace: confluent}}
---
apiVersion: platform.confluent.io/v1beta1
kind: CMFRestClass
metadata: {name: default, namespace: confluent}
spec:
  cmfRest:
    endpoint: https://cmf-service.confluent.svc.cluster.local
    authentication: {type: mtls}
"#;
        let found = check(&objects(stream), &complete());
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.cmfRest.endpoint",
                "spec.cmfRest.authentication.sslClientAuthentication",
                "spec.cmfRest.tls.secretRef"
            ]
        );
        assert!(found[0].message.contains("port 443 (the scheme's default)"));
    }

    #[test]
    fn selectors_match_labels_expressions_and_any_value() {
        let labels: BTreeMap<String, Option<String>> = [
            (
                "type".to_string(),
                Some("flink-native-kubernetes".to_string()),
            ),
            ("app".to_string(), None),
        ]
        .into();
        let sel = |v: Value| selects(&v, &labels);
        assert!(sel(
            serde_json::json!({"matchLabels": {"type": "flink-native-kubernetes"}})
        ));
        assert!(sel(serde_json::json!({"matchLabels": {"app": "my-job"}})));
        assert!(!sel(serde_json::json!({"matchLabels": {"type": "other"}})));
        assert!(!sel(
            serde_json::json!({"matchLabels": {"component": "jobmanager"}})
        ));
        assert!(sel(
            serde_json::json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})
        ));
        assert!(!sel(
            serde_json::json!({"matchExpressions": [{"key": "type", "operator": "NotIn", "values": ["flink-native-kubernetes"]}]})
        ));
        assert!(sel(serde_json::json!({})));
        assert!(!sel(Value::Null));
    }

    fn services_and_deployments(n: usize) -> Vec<Object> {
        (0..n)
            .flat_map(|i| {
                [
                    serde_json::json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": format!("s{i}"), "namespace": "confluent"},
                        "spec": {"selector": {"app": format!("nothing-{i}")}}}),
                    serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": format!("d{i}"), "namespace": "confluent"},
                        "spec": {"template": {"metadata": {"labels": {"app": format!("d{i}")}}}}}),
                ]
            })
            .filter_map(|v| v.as_object().cloned())
            .collect()
    }

    #[test]
    fn messages_name_a_few_of_many_and_stay_one_bounded_line() {
        let findings = check(&services_and_deployments(200), &complete());
        assert_eq!(findings.len(), 200);
        for f in &findings {
            assert!(f.message.contains("; and 195 more"), "{}", f.message);
            assert!(f.message.chars().count() <= crate::text::MAX_CHARS);
        }
    }

    #[test]
    fn a_stream_too_large_to_compare_is_checked_for_namespaces_only() {
        // 1,500 Services of two selector terms each against 3,000 pod sets and Services: 9
        // million comparisons.
        let objects = services_and_deployments(1500);
        let findings = check(&objects, &complete());
        assert_eq!(findings.len(), 1, "{:?}", findings.first());
        assert!(findings[0].message.starts_with("selectors not checked"));
        // A namespace nothing creates is still found.
        let mut objects = objects;
        objects.push(
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "lost", "namespace": "nowhere"}})
            .as_object()
            .cloned()
            .unwrap(),
        );
        assert_eq!(check(&objects, &complete()).len(), 2);
    }

    #[test]
    fn the_report_lists_at_most_its_bound_and_counts_the_rest() {
        let objects = services_and_deployments(300);
        let each = |f: &mut dyn FnMut(&Object)| {
            objects.iter().for_each(f);
            Ok(())
        };
        let mut diagnostics = Vec::new();
        // Warnings only (the user's own Services): nothing fails, at most the bound reported.
        report(&each, &complete(), &mut diagnostics).unwrap();
        assert_eq!(diagnostics.len(), MAX_REPORTED);
    }

    #[test]
    fn the_bound_counts_selector_terms_not_only_objects() {
        // 60 Services and 60 Deployments, each selector with 1,000 labels: few objects, many
        // comparisons.
        let labels: serde_json::Map<String, Value> = (0..1000)
            .map(|k| (format!("k{k}"), Value::from("v")))
            .collect();
        let mut objects = services_and_deployments(60);
        for o in objects.iter_mut().filter(|o| o["kind"] == "Service") {
            o["spec"]["selector"] = Value::Object(labels.clone());
        }
        let findings = check(&objects, &complete());
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0]
                .message
                .contains("60 selecting objects (60060 selector terms)")
        );
    }
}
