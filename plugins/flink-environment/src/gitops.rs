//! The `flink-resources` Argo CD Application (sync wave 120): it points Argo CD at this
//! repository's `workloads/flink-resources` through the flinkwasm Config Management Plugin.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::argocd::Component;

/// The Application, or an error when the configuration cannot name its source.
pub fn application(ctx: &Context, cfg: &Config, namespace: &str) -> Result<Manifest, Error> {
    let source = &cfg.source;
    let Some(repo) = source.repo_url.as_deref() else {
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
        // CFK's CRDs may not exist yet during the dry run of the first sync.
        sync_options: &["SkipDryRunOnMissingResource=true"],
        prune: true,
    };
    let plugin_source = json!({
        "repoURL": repo,
        "targetRevision": source.target_revision.as_deref().unwrap_or("HEAD"),
        "path": source.path.as_deref().unwrap_or("workloads/flink-resources"),
        "plugin": {
            "name": source.plugin.as_deref().unwrap_or("flinkwasm"),
            "env": [{"name": "CLUSTER", "value": ctx.cluster}]
        }
    });
    Ok(cfg.argocd.application(&component, plugin_source))
}
