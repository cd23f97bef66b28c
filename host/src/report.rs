//! A plugin's diagnostics as the host reports them: one safe line each on stderr, errors
//! failing the run, every one kept for the caller (KRM turns them into `results`).

use crate::error;
use crate::runtime::wit;
use crate::text::safe;
use anyhow::Result;

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
/// (exit 3) when every one blames a file the plugin was granted ([`blames_granted`]), the
/// repository's content at fault, else a plugin error.
pub fn report(
    plugin: &str,
    found: Vec<wit::Diagnostic>,
    kept: &mut Vec<Reported>,
    granted: &[wit::GrantedFile],
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
                all_blame_files &= blames_granted(&r.diagnostic, granted);
                errors.push(r.line())
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
            let err = report("p", found, &mut Vec::new(), &granted).unwrap_err();
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
}
