//! `team-overlay`: an example of the plugins teams ship into flinkwasm's sandbox.
//!
//! - Labels every object with the team and its cost center (`example.com/team`,
//!   `example.com/cost-center`), and each FlinkApplication's pods too (through
//!   `spec.podTemplate`), so the bill for Flink jobs lands on the right team.
//! - Adds a `PodDisruptionBudget` per FlinkApplication, selecting its TaskManagers
//!   (`app: <application>`, `component: taskmanager`, as CMF labels them), so a node drain
//!   takes at most one TaskManager of a job at a time.
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p team-overlay`; pin the digest
//! `sha256sum` prints in `flinkwasm.yaml` (see the README, "Custom plugins").

use flinkwasm_sdk::prelude::*;
use serde::Deserialize;

/// The plugin type exported to the host.
pub struct TeamOverlay;

/// The plugin's configuration.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Config {
    /// The owning team.
    team: String,
    /// Its cost center.
    cost_center: String,
    /// TaskManagers of one job that may be down at once (default 1).
    max_unavailable: Option<u32>,
}

impl Plugin for TeamOverlay {
    fn info() -> Info {
        Info::new(
            "team-overlay",
            env!("CARGO_PKG_VERSION"),
            "Cost-center labels on every object and a PodDisruptionBudget per FlinkApplication",
            Role::Transformer,
        )
        .schema(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["team", "costCenter"],
            "properties": {
                "team": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "description": "Owning team"},
                "costCenter": {"type": "string", "pattern": "^[A-Za-z0-9-]+$", "description": "Cost center code"},
                "maxUnavailable": {"type": "integer", "minimum": 0, "description": "TaskManagers of one job down at once (default 1)"}
            }
        }))
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let mut budgets = Vec::new();
        for m in &mut manifests {
            m.set_label("example.com/team", &cfg.team);
            m.set_label("example.com/cost-center", &cfg.cost_center);
            if m.is("platform.confluent.io", "FlinkApplication") {
                m.set(
                    &[
                        "spec",
                        "podTemplate",
                        "metadata",
                        "labels",
                        "example.com/team",
                    ],
                    cfg.team.as_str(),
                );
                m.set(
                    &[
                        "spec",
                        "podTemplate",
                        "metadata",
                        "labels",
                        "example.com/cost-center",
                    ],
                    cfg.cost_center.as_str(),
                );
                budgets.push(budget(m, &cfg, &ctx.namespace));
            }
        }
        let present: Vec<(String, String)> = manifests
            .iter()
            .filter(|m| m.is("policy", "PodDisruptionBudget"))
            .map(|m| {
                (
                    m.namespace().unwrap_or_default().to_string(),
                    m.name().to_string(),
                )
            })
            .collect();
        for b in budgets {
            let key = (
                b.namespace().unwrap_or_default().to_string(),
                b.name().to_string(),
            );
            if !present.contains(&key) {
                manifests.push(b);
            }
        }
        Ok(Output::new(manifests))
    }
}

fn budget(app: &Manifest, cfg: &Config, default_ns: &str) -> Manifest {
    let ns = app.namespace().unwrap_or(default_ns);
    let name = format!("{}-taskmanager", app.name());
    let mut pdb = Manifest::build("policy/v1", "PodDisruptionBudget", &name, Some(ns));
    pdb.set_label("example.com/team", &cfg.team);
    pdb.set_label("example.com/cost-center", &cfg.cost_center);
    pdb.set(
        &["spec"],
        json!({
            "maxUnavailable": cfg.max_unavailable.unwrap_or(1),
            "selector": {"matchLabels": {"app": app.name(), "component": "taskmanager"}}
        }),
    );
    pdb
}

flinkwasm_sdk::export_plugin!(TeamOverlay);
