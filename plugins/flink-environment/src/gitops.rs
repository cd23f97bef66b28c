//! The `flink-resources` Argo CD Application (sync wave 120) of a bootstrap (root) render: it
//! points Argo CD at this repository's `workloads/flink-resources` through the flinkwasm Config
//! Management Plugin. Only layout `root` emits it: a `whole` render holds the CMFRestClass and
//! FlinkEnvironment itself, and an Application rendering them again would give them two owners.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::argocd::{Component, Layout};

/// The Application (layout `root`), `None` in layout `whole`, or an error when the root cannot
/// name its source. A `whole` config that names `source.repoURL` gets an info saying why no
/// Application is emitted.
pub fn application(
    ctx: &Context,
    cfg: &Config,
    namespace: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Manifest>, Error> {
    // No Helm-native form: in `whole` this component's objects are in this render.
    let source = cfg.argocd.source(
        &cfg.source,
        "workloads/flink-resources",
        &ctx.cluster,
        || None,
    )?;
    let Some(source) = source else {
        if cfg.argocd.layout() == Layout::Whole && cfg.source.repo_url.is_some() {
            diags.push(
                Diagnostic::info(
                    "layout whole renders the CMFRestClass and FlinkEnvironment here, so no \
                     flink-resources Application is emitted (it would render them again, and \
                     two Applications would own them); source is read by layout root",
                )
                .at("source.repoURL"),
            );
        }
        return Ok(None);
    };
    let component = Component {
        component: "flink-environment",
        name: "flink-resources",
        sync_wave: 120,
        destination_namespace: namespace,
        // As a root's child it syncs only once the waves before it are healthy (argocd-cm's
        // health checks), so the operators' CRDs exist at its dry run.
        sync_options: &[],
        prune: true,
    };
    Ok(Some(cfg.argocd.application(&component, source)))
}
