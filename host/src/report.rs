//! A plugin's diagnostics as the host reports them: one safe line each on stderr, errors
//! failing the run, every one kept for the caller (KRM turns them into `results`).

use crate::error;
use crate::runtime::wit;
use crate::text::safe;
use anyhow::Result;
use serde_json::Value;

/// What a plugin was given from the repository, against which its errors are judged: an
/// error naming one of these is about the input, not about the plugin.
pub struct Given<'a> {
    /// The files granted to it.
    pub granted: &'a [wit::GrantedFile],
    /// The config it ran with (after the cluster's patch and the caller's overrides).
    pub config: &'a Value,
    /// Where its pipeline entry is (`flinkwasm.yaml spec.plugins[2]`), named before a config
    /// field an error blames.
    pub entry: &'a str,
}

/// A diagnostic reported by a plugin (or by the host's own checks), with the reporter's name.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The plugin's name in the pipeline.
    pub plugin: String,
    /// What it said.
    pub diagnostic: wit::Diagnostic,
}

impl Reported {
    /// One line: `plugin NAME: Kind/ns/name field: message`. Every text the plugin gave is
    /// made safe first ([`crate::text::safe`]): the line cannot be split or forged.
    pub fn line(&self) -> String {
        let d = &self.diagnostic;
        let mut s = format!("plugin {}: ", self.plugin);
        if let Some(r) = &d.object {
            match &r.namespace {
                Some(ns) => {
                    s.push_str(&format!("{}/{}/{}", safe(&r.kind), safe(ns), safe(&r.name)))
                }
                None => s.push_str(&format!("{}/{}", safe(&r.kind), safe(&r.name))),
            }
            s.push(' ');
        }
        if let Some(f) = &d.field {
            s.push_str(&safe(f));
            s.push(' ');
        }
        if d.object.is_some() || d.field.is_some() {
            s.truncate(s.trim_end().len());
            s.push_str(": ");
        }
        s.push_str(&safe(&d.message));
        s
    }
}

/// Logs a plugin's diagnostics `found` (warnings and notes at their level) and keeps them in
/// `kept`; its error diagnostics fail the run as one error, one line each: an input error
/// (exit 3) when every one blames what the repository gave the plugin (a granted file,
/// [`blames_granted`], or a config field the run set, [`blames_config`]), else a plugin
/// error. An error blaming a config field names the pipeline entry before it.
pub fn report(
    plugin: &str,
    found: Vec<wit::Diagnostic>,
    kept: &mut Vec<Reported>,
    given: &Given<'_>,
) -> Result<()> {
    let mut errors = Vec::new();
    let mut all_blame_files = true;
    for d in found {
        let r = Reported {
            plugin: plugin.to_string(),
            diagnostic: d,
        };
        match r.diagnostic.severity {
            wit::Severity::Error => {
                if blames_granted(&r.diagnostic, given.granted) {
                    errors.push(r.line());
                } else if blames_config(&r.diagnostic, given) {
                    let mut shown = r.clone();
                    shown.diagnostic.field = r
                        .diagnostic
                        .field
                        .as_ref()
                        .map(|f| format!("{} {f}", given.entry));
                    errors.push(shown.line());
                } else {
                    all_blame_files = false;
                    errors.push(r.line());
                }
            }
            wit::Severity::Warning => tracing::warn!("{}", r.line()),
            wit::Severity::Info => tracing::info!("{}", r.line()),
        }
        kept.push(r);
    }
    if errors.is_empty() {
        Ok(())
    } else if all_blame_files {
        Err(error::input(errors.join("\n")))
    } else {
        Err(error::plugin(errors.join("\n")))
    }
}

/// Whether `d` names a granted file as its field: the file's path, alone or followed by
/// `:LINE` or `:LINE:COLUMN` (digits). Such an error is about the repository's file (bad SQL,
/// a refused option), not about the plugin.
pub fn blames_granted(d: &wit::Diagnostic, granted: &[wit::GrantedFile]) -> bool {
    let Some(field) = d.field.as_deref() else {
        return false;
    };
    granted
        .iter()
        .any(|f| match field.strip_prefix(f.path.as_str()) {
            Some("") => true,
            Some(rest) => {
                let parts: Vec<&str> = rest.strip_prefix(':').unwrap_or("x").split(':').collect();
                parts.len() <= 2
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            }
            None => false,
        })
}

/// Whether `d` names, as its field, a part of the plugin's pipeline entry the run set: a
/// config field present in the config it ran with (`config.statements.stopped[0]`, keys with
/// dots in them matched whole), or `files` when it was granted none. A plugin cannot make its
/// own failure the input's this way: the field must be one the repository gave it.
pub fn blames_config(d: &wit::Diagnostic, given: &Given<'_>) -> bool {
    let Some(field) = d.field.as_deref() else {
        return false;
    };
    if field == "files" {
        return given.granted.is_empty();
    }
    match field.strip_prefix("config") {
        Some(rest) if !rest.is_empty() => resolves(given.config, rest),
        _ => false,
    }
}

/// Whether `path` (`.key`, `[n]`, repeated) leads to a value in `value`. An object's key may
/// hold dots, so each key of the object that the path continues with is tried.
fn resolves(value: &Value, path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    match value {
        Value::Object(map) => path.strip_prefix('.').is_some_and(|rest| {
            map.iter().any(|(k, v)| {
                !k.is_empty()
                    && rest.strip_prefix(k.as_str()).is_some_and(|after| {
                        (after.is_empty() || after.starts_with(['.', '['])) && resolves(v, after)
                    })
            })
        }),
        Value::Array(items) => path
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(n, after)| {
                let i: usize = n.parse().ok()?;
                Some(resolves(items.get(i)?, after))
            })
            .unwrap_or(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(field: Option<&str>) -> wit::Diagnostic {
        wit::Diagnostic {
            severity: wit::Severity::Error,
            message: "m".into(),
            object: None,
            field: field.map(str::to_string),
        }
    }

    #[test]
    fn an_error_naming_a_granted_file_is_the_input_s_fault() {
        let granted = [wit::GrantedFile {
            path: "sql/orders.sql".into(),
            content: String::new(),
        }];
        let blames = |field| blames_granted(&error_at(field), &granted);
        assert!(blames(Some("sql/orders.sql")));
        assert!(blames(Some("sql/orders.sql:3")));
        assert!(blames(Some("sql/orders.sql:3:9")));
        assert!(!blames(Some("sql/orders.sql:3:9:1")));
        assert!(!blames(Some("sql/orders.sql:x")));
        assert!(!blames(Some("sql/orders.sql.bak")));
        assert!(!blames(Some("sql/other.sql:1")));
        assert!(!blames(Some("spec.kafka")));
        assert!(!blames(None));

        let code = |found: Vec<wit::Diagnostic>| {
            let given = Given {
                granted: &granted,
                config: &Value::Null,
                entry: "flinkwasm.yaml spec.plugins[0]",
            };
            let err = report("p", found, &mut Vec::new(), &given).unwrap_err();
            error::exit_code(&err)
        };
        assert_eq!(code(vec![error_at(Some("sql/orders.sql:1:1"))]), 3);
        // One error that blames no file makes it the plugin's.
        assert_eq!(
            code(vec![error_at(Some("sql/orders.sql:1:1")), error_at(None)]),
            4
        );
        assert_eq!(code(vec![error_at(None)]), 4);
    }

    #[test]
    fn an_error_naming_a_config_field_the_run_set_is_the_input_s_fault() {
        let config = serde_json::json!({
            "statements": {"stopped": ["insert-x"]},
            "kafka": {"connectionConfig": {"security.protocol": "SSL"}},
            "syncWave": 3,
        });
        let given = Given {
            granted: &[],
            config: &config,
            entry: "flinkwasm.yaml spec.plugins[1]",
        };
        let blames = |field| blames_config(&error_at(field), &given);
        assert!(blames(Some("config.statements.stopped[0]")));
        assert!(blames(Some("config.statements")));
        assert!(blames(Some(
            "config.kafka.connectionConfig.security.protocol"
        )));
        assert!(blames(Some("config.syncWave")));
        assert!(blames(Some("files")), "granted nothing");
        // Fields the run did not set, or malformed paths, are not the input's.
        assert!(!blames(Some("config.statements.stopped[1]")));
        assert!(!blames(Some("config.statements.previous")));
        assert!(!blames(Some("config.kafka.connectionConfig.security")));
        assert!(!blames(Some("config.syncWave.x")));
        assert!(!blames(Some("config")));
        assert!(!blames(Some("configx")));
        assert!(!blames(Some("config.statements.stopped[x]")));
        assert!(!blames(None));
        let granted = [wit::GrantedFile {
            path: "a.sql".into(),
            content: String::new(),
        }];
        let with_files = Given {
            granted: &granted,
            ..given
        };
        assert!(!blames_config(&error_at(Some("files")), &with_files));

        let err = report(
            "p",
            vec![error_at(Some("config.statements.stopped[0]"))],
            &mut Vec::new(),
            &with_files,
        )
        .unwrap_err();
        assert_eq!(error::exit_code(&err), 3);
        assert!(
            err.to_string().contains(
                "plugin p: flinkwasm.yaml spec.plugins[1] config.statements.stopped[0]: m"
            ),
            "{err}"
        );
        // Mixed with an error that blames nothing given, the plugin is at fault.
        let err = report(
            "p",
            vec![
                error_at(Some("config.syncWave")),
                error_at(Some("config.nope")),
            ],
            &mut Vec::new(),
            &with_files,
        )
        .unwrap_err();
        assert_eq!(error::exit_code(&err), 4);
    }
}
