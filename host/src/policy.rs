//! The emission policy: which objects a plugin may write.
//!
//! A plugin "writes" an object when it adds it or returns it changed; an object returned as it
//! was given is not checked again. The rules, from the pipeline's `emit:` (or, for a built-in,
//! its declaration in [`builtin`], or else the default for external plugins):
//! - **kinds**: `Kind` (core group) or `Kind.group`, `*.group` for a whole group, `*` for any
//!   kind that is not sensitive. Sensitive kinds steer the cluster or the tools around it and
//!   must be named (`*` does not cover them): RBAC, admission webhooks and policies, CRDs and
//!   API services, Argo CD's kinds, kpt's and kustomize's configuration, and Secrets.
//!   Default: `*`.
//! - **namespaces**: where namespaced objects may land (as the API server places them, see
//!   [`crate::scope`]), and which Namespace objects may be written. `*` is any namespace but
//!   the system ones (`kube-system`, `kube-public`, `kube-node-lease`), which must be named.
//!   Default: the run's namespaces, that is its target namespace and the namespaces the stream
//!   already uses when the plugin is called.
//! - **clusterScoped**: whether cluster-scoped objects may be written at all. Default: no.
//!
//! A violation fails the run (exit 4) naming the plugin, the object and the rule.

use crate::pipeline::EmitSpec;
use crate::scope::Scope;
use std::collections::BTreeSet;
use std::fmt;

/// Groups whose every kind is sensitive.
const SENSITIVE_GROUPS: &[&str] = &[
    // flinkwasm's own Pipeline: in `kpt fn eval` the package's pipeline file is an item, and a
    // plugin that rewrote it would grant itself more on the next run.
    "flinkwasm.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "argoproj.io",
    "kpt.dev",
    "fn.kpt.dev",
    "kustomize.config.k8s.io",
    "config.kubernetes.io",
];

/// Sensitive kinds of other groups (`group`, `kind`).
const SENSITIVE_KINDS: &[(&str, &str)] = &[("", "Secret")];

/// Namespaces that `*` does not cover.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Group suffixes whose every group is sensitive: Flux's controllers (`source`, `kustomize`,
/// `helm`, `notification`, `image`), which deploy what another repository holds, as Argo CD's
/// kinds do.
const SENSITIVE_GROUP_SUFFIXES: &[&str] = &[".toolkit.fluxcd.io"];

/// Whether objects of `group`/`kind` are sensitive: `*` does not grant them.
///
/// Compared without regard to ASCII case: whatever a cluster makes of `kind: secret` or
/// `RBAC.authorization.k8s.io`, the policy does not let the spelling decide.
pub fn sensitive(group: &str, kind: &str) -> bool {
    let group = group.to_ascii_lowercase();
    SENSITIVE_GROUPS.contains(&group.as_str())
        || SENSITIVE_GROUP_SUFFIXES.iter().any(|s| group.ends_with(s))
        || SENSITIVE_KINDS
            .iter()
            .any(|(g, k)| *g == group && k.eq_ignore_ascii_case(kind))
}

/// One entry of `emit.kinds`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KindRule {
    /// Every kind, sensitive ones included (only [`Policy::unrestricted`]).
    Everything,
    /// `*`: any kind that is not sensitive.
    Any,
    /// `*.group`: any kind of the group.
    Group(String),
    /// `Kind` or `Kind.group`.
    Exact { group: String, kind: String },
}

impl KindRule {
    fn parse(text: &str) -> Result<KindRule, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(KindRule::Any);
        }
        let (kind, group) = text.split_once('.').unwrap_or((text, ""));
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        };
        if kind == "*" && valid(group) {
            return Ok(KindRule::Group(group.to_string()));
        }
        if valid(kind) && (group.is_empty() || valid(group)) {
            return Ok(KindRule::Exact {
                group: group.to_string(),
                kind: kind.to_string(),
            });
        }
        Err(format!(
            "`{}` is not `*`, `Kind`, `Kind.group` or `*.group`",
            crate::text::safe(text)
        ))
    }

    fn grants(&self, group: &str, kind: &str) -> bool {
        match self {
            KindRule::Everything => true,
            KindRule::Any => !sensitive(group, kind),
            KindRule::Group(g) => g == group,
            KindRule::Exact { group: g, kind: k } => g == group && k == kind,
        }
    }
}

/// `emit.namespaces`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NamespaceRule {
    /// The run's namespaces (the default).
    Run,
    /// Named namespaces, `*` among them for any but the system ones.
    List { any: bool, named: Vec<String> },
}

/// What one plugin may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    kinds: Vec<KindRule>,
    namespaces: NamespaceRule,
    cluster_scoped: bool,
    /// Where the policy comes from, for messages.
    source: &'static str,
}

/// A refused object: the rule it broke, for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policy {
    /// The default for an external plugin without `emit:`: any kind that is not sensitive, in
    /// the run's namespaces, nothing cluster-scoped.
    pub fn external_default() -> Policy {
        Policy {
            kinds: vec![KindRule::Any],
            namespaces: NamespaceRule::Run,
            cluster_scoped: false,
            source: "the default for plugins (set `emit:` in the pipeline to grant more)",
        }
    }

    /// The policy a pipeline's `emit:` states; unset fields keep the default's values. `at`
    /// names the field in errors.
    pub fn from_spec(spec: &EmitSpec, at: &str) -> anyhow::Result<Policy> {
        let mut policy = Policy::external_default();
        policy.source = "its `emit:` in the pipeline";
        if let Some(kinds) = &spec.kinds {
            policy.kinds = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    KindRule::parse(k)
                        .map_err(|why| crate::error::input(format!("{at}.kinds[{i}]: {why}")))
                })
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(namespaces) = &spec.namespaces {
            policy.namespaces = NamespaceRule::List {
                any: namespaces.iter().any(|n| n == "*"),
                named: namespaces.iter().filter(|n| *n != "*").cloned().collect(),
            };
        }
        policy.cluster_scoped = spec.cluster_scoped;
        Ok(policy)
    }

    /// A built-in's declaration: the kinds it writes (besides `*`), whether it writes into any
    /// namespace, and whether it writes cluster-scoped objects.
    pub fn builtin(kinds: &[&str], any_namespace: bool, cluster_scoped: bool) -> Policy {
        Policy {
            kinds: kinds
                .iter()
                .filter_map(|k| KindRule::parse(k).ok())
                .collect(),
            namespaces: if any_namespace {
                NamespaceRule::List {
                    any: true,
                    named: Vec::new(),
                }
            } else {
                NamespaceRule::Run
            },
            cluster_scoped,
            source: "the built-in's declaration",
        }
    }

    /// Everything, system namespaces and sensitive kinds included: for `cluster-overlay`, which
    /// applies the pipeline author's own overlay.
    pub fn unrestricted() -> Policy {
        let kinds = vec![KindRule::Everything];
        Policy {
            kinds,
            namespaces: NamespaceRule::List {
                any: true,
                named: SYSTEM_NAMESPACES.iter().map(|n| n.to_string()).collect(),
            },
            cluster_scoped: true,
            source: "the built-in's declaration",
        }
    }

    /// Whether the plugin may write an object of `group`/`kind` named `name` that lands in
    /// `namespace` (`""`: cluster-scoped). `run` is the run's namespaces when the plugin was
    /// called.
    pub fn allows(
        &self,
        scope: &Scope,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        run: &BTreeSet<&str>,
    ) -> Result<(), Violation> {
        self.allows_kind(scope, group, kind)?;
        let cluster = scope.cluster_scoped(group, kind);
        if cluster && !self.cluster_scoped {
            return Err(Violation(format!(
                "it is cluster-scoped, and {} grants no cluster-scoped objects (`emit.clusterScoped: true`)",
                self.source
            )));
        }
        // A Namespace object is checked by its name; a namespaced object by where it lands.
        let target = match (cluster, group, kind) {
            (true, "", "Namespace") => name,
            (true, _, _) => return Ok(()),
            (false, _, _) => namespace,
        };
        if self.namespace_allowed(target, run) {
            return Ok(());
        }
        Err(self.namespace_refused(target, run))
    }

    /// Whether the kind is granted, and known to be namespaced unless cluster-scoped objects
    /// are granted or the kind is named.
    fn allows_kind(&self, scope: &Scope, group: &str, kind: &str) -> Result<(), Violation> {
        let kind_name = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        if !self.kinds.iter().any(|r| r.grants(group, kind)) {
            return Err(Violation(format!(
                "the kind {kind_name} is not granted by {}{}",
                self.source,
                if sensitive(group, kind) {
                    format!(
                        "; it is sensitive, so `*` does not cover it: name `{kind_name}` in `emit.kinds`"
                    )
                } else {
                    String::new()
                }
            )));
        }
        let named = self.kinds.iter().any(|r| {
            matches!(r, KindRule::Exact { .. } | KindRule::Everything) && r.grants(group, kind)
        });
        if !scope.known(group, kind) && !self.cluster_scoped && !named {
            return Err(Violation(format!(
                "flinkwasm cannot tell whether {kind_name} is namespaced (it is not a kind of \
                 Kubernetes or of the stack, and no CustomResourceDefinition in the stream \
                 declares it), so it may be cluster-scoped, and {} grants no cluster-scoped \
                 objects; name `{kind_name}` in `emit.kinds` or grant `emit.clusterScoped: true`",
                self.source
            )));
        }
        Ok(())
    }

    /// Why `target` is not a namespace the plugin may write to.
    fn namespace_refused(&self, target: &str, run: &BTreeSet<&str>) -> Violation {
        Violation(match &self.namespaces {
            NamespaceRule::Run => format!(
                "namespace {} is not one of the run's ({}), the only ones {} grants",
                crate::text::safe(target),
                run.iter().copied().collect::<Vec<_>>().join(", "),
                self.source
            ),
            NamespaceRule::List { .. } => format!(
                "namespace {} is not granted by {}{}",
                crate::text::safe(target),
                self.source,
                if SYSTEM_NAMESPACES.contains(&target) {
                    " (system namespaces must be named; `*` does not cover them)"
                } else {
                    ""
                }
            ),
        })
    }

    fn namespace_allowed(&self, namespace: &str, run: &BTreeSet<&str>) -> bool {
        let system = SYSTEM_NAMESPACES.contains(&namespace);
        match &self.namespaces {
            NamespaceRule::Run => !system && run.contains(namespace),
            NamespaceRule::List { any, named } => {
                named.iter().any(|n| n == namespace) || (*any && !system)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> BTreeSet<&'static str> {
        ["confluent", "flink"].into_iter().collect()
    }

    #[test]
    fn the_default_keeps_plugins_to_plain_kinds_in_the_runs_namespaces() {
        let p = Policy::external_default();
        let scope = Scope::new("confluent");
        let ok = |g, k, ns, n| p.allows(&scope, g, k, ns, n, &run());
        assert!(ok("policy", "PodDisruptionBudget", "flink", "pdb").is_ok());
        assert!(
            ok("apps", "Deployment", "other", "d")
                .unwrap_err()
                .0
                .contains("namespace other")
        );
        assert!(ok("apps", "DaemonSet", "kube-system", "d").is_err());
        let crb = ok("rbac.authorization.k8s.io", "ClusterRoleBinding", "", "pwn").unwrap_err();
        assert!(crb.0.contains("sensitive"), "{crb}");
        assert!(ok("rbac.authorization.k8s.io", "RoleBinding", "flink", "rb").is_err());
        assert!(ok("argoproj.io", "Application", "confluent", "a").is_err());
        assert!(
            ok("", "Namespace", "", "x")
                .unwrap_err()
                .0
                .contains("cluster-scoped")
        );
    }

    #[test]
    fn grants_are_explicit() {
        let spec = EmitSpec {
            kinds: Some(vec![
                "*".into(),
                "ClusterRoleBinding.rbac.authorization.k8s.io".into(),
                "Namespace".into(),
            ]),
            namespaces: Some(vec!["*".into()]),
            cluster_scoped: true,
        };
        let p = Policy::from_spec(&spec, "emit").unwrap();
        let scope = Scope::new("confluent");
        let ok = |g, k, ns, n| p.allows(&scope, g, k, ns, n, &run());
        assert!(ok("rbac.authorization.k8s.io", "ClusterRoleBinding", "", "x").is_ok());
        assert!(ok("rbac.authorization.k8s.io", "ClusterRole", "", "x").is_err());
        assert!(ok("apps", "Deployment", "anywhere", "d").is_ok());
        assert!(
            ok("apps", "Deployment", "kube-system", "d")
                .unwrap_err()
                .0
                .contains("system")
        );
        assert!(ok("", "Namespace", "", "team-b").is_ok());
        assert!(ok("", "Namespace", "", "kube-system").is_err());
        let bad = EmitSpec {
            kinds: Some(vec!["apps/Deployment".into()]),
            ..EmitSpec::default()
        };
        let err = Policy::from_spec(&bad, "spec.plugins[1].emit")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("spec.plugins[1].emit.kinds[0]:"), "{err}");
    }

    #[test]
    fn a_kind_of_unknown_scope_needs_a_grant_that_covers_cluster_scope() {
        let scope = Scope::new("confluent");
        let default = Policy::external_default();
        let ok = |p: &Policy, g, k| p.allows(&scope, g, k, "confluent", "x", &run());
        // Kyverno's ClusterPolicy is cluster-scoped on a cluster that has Kyverno.
        let err = ok(&default, "kyverno.io", "ClusterPolicy").unwrap_err().0;
        assert!(
            err.contains("cannot tell whether ClusterPolicy.kyverno.io is namespaced"),
            "{err}"
        );
        // Kinds of Kubernetes and of the stack are known.
        assert!(ok(&default, "policy", "PodDisruptionBudget").is_ok());
        assert!(ok(&default, "platform.confluent.io", "FlinkApplication").is_ok());
        // A CRD in the stream that says Namespaced may lie (the cluster may have the kind
        // cluster-scoped): not believed. One that says Cluster is.
        let crd = |kind: &str, scope: &str| {
            serde_json::from_value(serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition", "spec": {"group": "kyverno.io",
                "scope": scope, "names": {"kind": kind}}}))
            .unwrap()
        };
        let mut learnt = Scope::new("confluent");
        learnt.learn(&crd("ClusterPolicy", "Namespaced"));
        learnt.learn(&crd("Audit", "Cluster"));
        let allows = |k| default.allows(&learnt, "kyverno.io", k, "confluent", "x", &run());
        assert!(
            allows("ClusterPolicy")
                .unwrap_err()
                .0
                .contains("cannot tell")
        );
        assert!(
            allows("Audit")
                .unwrap_err()
                .0
                .contains("it is cluster-scoped")
        );
        // Naming the kind is a grant.
        let named = Policy::from_spec(
            &EmitSpec {
                kinds: Some(vec!["*".into(), "ClusterPolicy.kyverno.io".into()]),
                ..EmitSpec::default()
            },
            "emit",
        )
        .unwrap();
        assert!(ok(&named, "kyverno.io", "ClusterPolicy").is_ok());
    }

    #[test]
    fn gitops_kinds_and_the_pipeline_itself_are_sensitive() {
        for (g, k) in [
            ("source.toolkit.fluxcd.io", "GitRepository"),
            ("kustomize.toolkit.fluxcd.io", "Kustomization"),
            ("helm.toolkit.fluxcd.io", "HelmRelease"),
            ("argoproj.io", "Application"),
            ("flinkwasm.io", "Pipeline"),
            ("", "secret"),
            ("RBAC.authorization.k8s.io", "RoleBinding"),
        ] {
            assert!(sensitive(g, k), "{k}.{g}");
        }
        assert!(
            Policy::unrestricted()
                .allows(
                    &Scope::new("c"),
                    "helm.toolkit.fluxcd.io",
                    "HelmRelease",
                    "c",
                    "x",
                    &run()
                )
                .is_ok()
        );
    }
}
