//! `legacy-v2`: a plugin built against the archived `flinkwasm:plugin@0.2.0` contract
//! (`wit/0.2.0/plugin.wit`), as a team's component from before 0.3.0 would be. It keeps what it
//! is given and adds a ConfigMap naming the `mode` and cluster it was called with, logs through
//! the 0.2.0 `host` interface and reports a warning, so the tests see every part of the old
//! world translated. Never shipped.

wit_bindgen::generate!({
    path: "../../../wit/0.2.0",
    world: "plugin",
});

use flinkwasm::plugin::host::{Level, log};
use flinkwasm::plugin::types::{Diagnostic, Mode, Role, Severity};

struct Legacy;

impl Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "legacy-v2".into(),
            version: "0.1.0".into(),
            description: "built against flinkwasm:plugin@0.2.0".into(),
            config_schema: String::new(),
            role: Role::Transformer,
            select: None,
        }
    }

    fn run(ctx: Context, mut manifests: Vec<String>) -> RunOutput {
        let mode = match ctx.mode {
            Mode::Render => "render",
            Mode::PostRender => "post-render",
            Mode::Krm => "krm",
            Mode::ArgocdCmp => "argocd-cmp",
        };
        log(Level::Info, &format!("legacy plugin called in mode {mode}"));
        manifests.push(format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"legacy-v2","namespace":"{}"}},"data":{{"mode":"{mode}","cluster":"{}"}}}}"#,
            ctx.namespace, ctx.cluster
        ));
        RunOutput {
            manifests,
            diagnostics: vec![Diagnostic {
                severity: Severity::Warning,
                message: format!("built against flinkwasm:plugin@0.2.0, called in mode {mode}"),
                object: None,
                field: None,
            }],
        }
    }
}

export!(Legacy);
