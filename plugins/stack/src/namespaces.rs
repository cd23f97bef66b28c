//! Namespaces the stack's components need but no Argo CD Application creates.
//!
//! `CreateNamespace=true` creates only an Application's destination namespace. The operator
//! chart also puts the job ServiceAccount, Role and RoleBinding into every watched namespace,
//! and Flink's pods run in each FlinkEnvironment's `kubernetesNamespace`: those namespaces are
//! emitted as `Namespace` objects, so that they exist before anything lands in them.
//!
//! Every plugin that needs one builds the same object, so that two Argo CD Applications
//! rendering it (the whole stack and its `flink-resources` component) never disagree about it.
//! It carries no sync wave: wave 0, and Argo CD syncs Namespaces first within a wave, so it
//! precedes every object of the stack (the wiring check refuses one in an earlier wave).

use crate::labels::{MANAGED_BY, PART_OF_LABEL};
use flinkwasm_sdk::Manifest;

/// Argo CD's per-object sync options.
pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

/// The `Namespace` named `name`. Argo CD never prunes it: deleting a namespace deletes the Flink
/// jobs and everything else in it, which no change of configuration should do by itself.
pub fn namespace(name: &str) -> Manifest {
    let mut m = Manifest::build("v1", "Namespace", name, None);
    m.set_label(PART_OF_LABEL, crate::PART_OF);
    m.set_label("app.kubernetes.io/managed-by", MANAGED_BY);
    m.set_annotation(SYNC_OPTIONS, "Prune=false");
    m
}

/// Whether `manifests` already hold the Namespace `name` (the user's own, or another plugin's).
pub fn present(manifests: &[Manifest], name: &str) -> bool {
    manifests
        .iter()
        .any(|m| m.is("", "Namespace") && m.name() == name)
}
