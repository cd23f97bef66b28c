//! `flink-sql`: Flink SQL files granted by the pipeline become CFK's declarative Flink SQL
//! resources (a preview of CFK 3.3.0 through CMF 2.3.0 or later: the stack pairing `current`).
//!
//! - Parses each granted `.sql` file with a real SQL parser ([`parse`]); an error names the
//!   file, line and column.
//! - Makes each `CREATE TABLE ... WITH ('connector' = 'kafka', ...)` a table of a CMF Kafka
//!   catalog ([`tables`], [`options`]): connection options move to one FlinkKafkaCatalog per
//!   Schema Registry and one FlinkKafkaDatabase per Kafka cluster, the topic becomes the
//!   table's name, each move a note; a credential or an option with no place is an error.
//! - Emits the FlinkSecret and FlinkEnvironmentSecretMapping of the Secrets the config names
//!   (never a value), a FlinkComputePool (resources from config, else the FlinkEnvironment in
//!   the stream), and one FlinkStatement per statement named from its content, DDL a sync
//!   wave before DML ([`emit`]).
//! - Refuses all of it on a stack pairing without Flink SQL, naming the one that has it.

mod check;
mod config;
mod dialect;
mod emit;
mod lower;
mod options;
mod parse;
mod reserved;
mod tables;
mod updating;

use config::Config;
use flinkwasm_sdk::prelude::*;

/// The plugin type exported to the host.
pub struct FlinkSql;

impl Plugin for FlinkSql {
    fn info() -> Info {
        Info::new(
            "flink-sql",
            env!("CARGO_PKG_VERSION"),
            "Flink SQL files as CFK's catalog, database, compute pool, secrets and statements",
            Role::Generator,
        )
        .schema_for::<Config>()
        // The FlinkEnvironment, for the compute pool's default resources; returned unchanged.
        .select(&["platform.confluent.io"], &["FlinkEnvironment"])
    }

    fn run(ctx: &Context, manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        let plan = match lower::plan(ctx, &cfg) {
            Ok(plan) => plan,
            Err(errors) => {
                let mut out = Output::new(manifests);
                for e in errors {
                    out.push(located(ctx, e));
                }
                return Ok(out);
            }
        };
        let environment = cfg.environment.as_deref().unwrap_or("default-flink-env");
        let env = manifests
            .iter()
            .find(|m| m.kind() == "FlinkEnvironment" && m.name() == environment);
        let defaults = ["spec", "flinkApplicationDefaults", "spec"];
        let env_resources = match env {
            Some(m) => (
                m.peek(&[
                    defaults[0],
                    defaults[1],
                    defaults[2],
                    "jobManager",
                    "resource",
                ]),
                m.peek(&[
                    defaults[0],
                    defaults[1],
                    defaults[2],
                    "taskManager",
                    "resource",
                ]),
            ),
            None => (None, None),
        };
        let env_wave = env
            .and_then(|m| m.annotation(flinkwasm_stack::SYNC_WAVE))
            .and_then(|w| w.trim().parse::<i32>().ok());
        let emit = emit::Emit {
            env_wave,
            cfg: &cfg,
            namespace: &ctx.namespace,
            env_resources,
        };
        let mut out = Output::new(manifests);
        out.manifests.extend(emit.objects(&plan));
        // Notes are capped: the host bounds a plugin's diagnostics, and notes must not crowd
        // out the run (thousands of tables each move several options).
        for warning in plan.warnings.iter().take(MAX_NOTES) {
            out.push(Diagnostic::warning(warning.clone()));
        }
        let more = plan.notes.len().saturating_sub(MAX_NOTES);
        for note in plan.notes.into_iter().take(MAX_NOTES) {
            out.push(Diagnostic::info(note));
        }
        if more > 0 {
            out.push(Diagnostic::info(format!(
                "{more} more notes like these (options moved or renamed) not shown"
            )));
        }
        Ok(out)
    }
}

/// The most notes one run reports (then one saying how many more there were).
const MAX_NOTES: usize = 200;

/// An error whose message starts with a granted file's `path:line:column: ` names that place
/// as its field (the host then blames the file: exit 3); one starting `config.<field>: ` or
/// `files: ` names that field of the plugin's pipeline entry (an input error too, when the
/// field is one the pipeline set). The message keeps the rest.
fn located(ctx: &Context, message: String) -> Diagnostic {
    if (message.starts_with("config.") || message.starts_with("files: "))
        && let Some((field, text)) = message.split_once(": ")
    {
        return Diagnostic::error(text).at(field.to_string());
    }
    for (path, _) in &ctx.files {
        if let Some(rest) = message.strip_prefix(path.as_str()) {
            let mut parts = rest.splitn(4, ':');
            let (_, line, column) = (parts.next(), parts.next(), parts.next());
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if let (Some(line), Some(column), Some(text)) = (line, column, parts.next())
                && digits(line)
                && digits(column)
            {
                return Diagnostic::error(text.trim_start()).at(format!("{path}:{line}:{column}"));
            }
            if let Some(text) = rest.strip_prefix(": ") {
                return Diagnostic::error(text).at(path.clone());
            }
        }
    }
    Diagnostic::error(message)
}

flinkwasm_sdk::export_plugin!(FlinkSql);
