//! `flink-environment`: emits the CFK resources that connect CFK to CMF and give every Flink
//! application its defaults.
//!
//! - Generates (in `render` and `argocd-cmp` modes) a `CMFRestClass` and a `FlinkEnvironment` in
//!   real `platform.confluent.io/v1beta1` shape from the plugin configuration and the seed's
//!   defaults, unless the stream already has them.
//! - Transforms (in every mode) a FlinkEnvironment written in the seed's authoring form
//!   (`flink.confluent.io/v1beta1`, `spec.kafkaCluster`, `spec.schemaRegistry`, top-level
//!   `spec.flinkConfiguration`) into the real shape, so nothing the user wrote is lost.
//! - Generates (in `render` and `argocd-cmp` modes) the `Namespace` each environment's Flink
//!   pods run in, unless it is the run's own or the stream has it.
//! - In layout `root` (the bootstrap Application's pipeline), generates only the
//!   `flink-resources` Argo CD Application (sync wave 120) that points Argo CD at this
//!   component through the flinkwasm Config Management Plugin, and the Flink namespace. In
//!   layout `whole` (the default) it emits no Application: its objects are in that render, and
//!   a child rendering them again would give them two owners.
//! - Lowers FlinkApplications written in the seed's form (`flinkEnvironmentRef`, no image or
//!   Flink version) to the real shape, in every mode.
//!
//! Kafka and Schema Registry addresses are not fields of the real FlinkEnvironment; they reach
//! jobs as environment variables of the default pod template's main container, and so do
//! their credentials, from named Secrets only ([`security`]). The same module fills in how CFK
//! authenticates to CMF and emits the Flink pods' NetworkPolicy when asked.

mod application;
mod config;
mod gitops;
mod lower;
mod security;
mod waves;

/// Flink's Prometheus reporter port, which the `monitoring` plugin scrapes.
pub const METRICS_PORT: u16 = 9249;

use config::Config;
use flinkwasm_sdk::prelude::*;

/// The plugin type exported to the host.
pub struct FlinkEnvironment;

impl Plugin for FlinkEnvironment {
    fn info() -> Info {
        Info::new(
            "flink-environment",
            env!("CARGO_PKG_VERSION"),
            "CMFRestClass and FlinkEnvironment in real CFK shape, from the seed's form or config",
            Role::Both,
        )
        .schema_for::<config::Config>()
        // Its resources in both spellings, and the cmf Application it keeps the CMFRestClass
        // in step with.
        // The Namespaces it would otherwise create, too.
        .select(
            &[
                "platform.confluent.io",
                "flink.confluent.io",
                "argoproj.io",
                "",
            ],
            &[
                "FlinkEnvironment",
                "FlinkApplication",
                "CMFRestClass",
                "Application",
                "Namespace",
            ],
        )
    }

    fn run(ctx: &Context, manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        lower::run(ctx, &cfg, manifests)
    }
}

flinkwasm_sdk::export_plugin!(FlinkEnvironment);
