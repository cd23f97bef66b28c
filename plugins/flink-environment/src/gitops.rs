//! The `flink-resources` Argo CD Application (sync wave 120): it points Argo CD at this
//! repository's `workloads/flink-resources` through the flinkwasm Config Management Plugin.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::argocd::{Component, Layout};

/// The Application, or an error when the configuration cannot name its source.
pub fn application(ctx: &Context, cfg: &Config, namespace: &str) -> Result<Manifest, Error> {
    let Some(source) = cfg
        .source
        .plugin_source("workloads/flink-resources", &ctx.cluster)
    else {
        return Err(Diagnostic::error(
            "the flink-resources Application needs the Git repository Argo CD reads: set \
             source.repoURL, or argocd.enabled: false to emit no Application",
        )
        .at("source.repoURL")
        .into());
    };
    let component = Component {
        component: "flink-environment",
        name: "flink-resources",
        sync_wave: 120,
        destination_namespace: namespace,
        // Rendered whole, the Application may be applied in the same sync as CFK's install,
        // whose CRDs may not exist yet at its dry run. As a root's child it syncs only once
        // the waves before it are healthy (argocd-cm's health checks), so the CRDs exist.
        sync_options: if cfg.argocd.layout() == Layout::Root {
            &[]
        } else {
            &["SkipDryRunOnMissingResource=true"]
        },
        prune: true,
    };
    Ok(cfg.argocd.application(&component, source))
}
