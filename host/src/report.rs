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
/// `kept`; its error diagnostics fail the run as one plugin error, one line each.
pub fn report(plugin: &str, found: Vec<wit::Diagnostic>, kept: &mut Vec<Reported>) -> Result<()> {
    let mut errors = Vec::new();
    for d in found {
        let r = Reported {
            plugin: plugin.to_string(),
            diagnostic: d,
        };
        match r.diagnostic.severity {
            wit::Severity::Error => errors.push(r.line()),
            wit::Severity::Warning => tracing::warn!("{}", r.line()),
            wit::Severity::Info => tracing::info!("{}", r.line()),
        }
        kept.push(r);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(error::plugin(errors.join("\n")))
    }
}
