//! Failure classes and the exit codes they map to.
//!
//! Every error the host returns is an `anyhow::Error` whose chain holds at most one classified
//! error: a [`Failure`], or a typed error of a module boundary (the runtime's
//! [`PluginError`](crate::runtime::PluginError), ...). [`exit_code`] maps them to the process
//! exit code, here and nowhere else; errors without one exit with code 1.

use crate::runtime::{Cause, PluginError};
use std::fmt;

/// What went wrong, as a user should read the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The input (manifests, pipeline file, plugin configuration, overlay files) is invalid: 3.
    Input,
    /// A plugin failed: it reported an error, trapped, panicked, hit a limit or returned bad
    /// output: 4.
    Plugin,
    /// A plugin could not be trusted or loaded: wrong `sha256` pin or digest, no valid
    /// signature by a required key, a registry that cannot be reached or refuses, a missing
    /// or invalid component: 5.
    Integrity,
}

impl ExitKind {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Input => 3,
            ExitKind::Plugin => 4,
            ExitKind::Integrity => 5,
        }
    }
}

/// A classified failure. Displayed as its message alone.
#[derive(Debug)]
pub struct Failure {
    /// The class, for the exit code.
    pub kind: ExitKind,
    /// A message a user can act on.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An input error (exit code 3).
pub fn input(message: impl Into<String>) -> anyhow::Error {
    Failure {
        kind: ExitKind::Input,
        message: message.into(),
    }
    .into()
}

/// A plugin error (exit code 4).
pub fn plugin(message: impl Into<String>) -> anyhow::Error {
    Failure {
        kind: ExitKind::Plugin,
        message: message.into(),
    }
    .into()
}

/// An integrity error (exit code 5).
pub fn integrity(message: impl Into<String>) -> anyhow::Error {
    Failure {
        kind: ExitKind::Integrity,
        message: message.into(),
    }
    .into()
}

/// The exit code for an error: the class of the classified error in its chain, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| {
            if let Some(f) = e.downcast_ref::<Failure>() {
                return Some(Some(f.kind));
            }
            e.downcast_ref::<PluginError>()
                .map(|p| plugin_class(&p.cause))
        })
        .flatten()
        .map_or(1, ExitKind::code)
}

/// The class of a plugin's failure in the runtime; `None` is the host's own fault (exit 1).
fn plugin_class(cause: &Cause) -> Option<ExitKind> {
    match cause {
        Cause::Invalid(_) | Cause::Import(_) | Cause::World(_) => Some(ExitKind::Integrity),
        Cause::CompileBroken(_) => None,
        Cause::CompileTime(_)
        | Cause::CompileMemory(_)
        | Cause::Call { .. }
        | Cause::Unusable
        | Cause::Diagnostics(_)
        | Cause::Output(..)
        | Cause::Description(_) => Some(ExitKind::Plugin),
    }
}

/// The help text's table of exit codes.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: stdout holds the complete manifest stream
  1  internal or I/O error
  2  usage error (bad command line)
  3  invalid input: manifests, pipeline file, plugin configuration or overlay files
  4  a plugin failed: error diagnostic, trap, panic, timeout, memory/output limit, bad output
  5  a plugin could not be trusted or loaded: sha256 pin or digest mismatch, no valid signature
     by a required key, registry unreachable or refusing, missing or invalid component
On any failure stdout is empty.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_cause_has_its_exit_code() {
        let code = |cause| exit_code(&PluginError::new("p", cause).into());
        assert_eq!(code(Cause::Import("x".into())), 5);
        assert_eq!(code(Cause::World("x".into())), 5);
        assert_eq!(code(Cause::Unusable), 4);
        assert_eq!(code(Cause::Diagnostics(5000)), 4);
        assert_eq!(code(Cause::CompileBroken("x".into())), 1);
        assert_eq!(exit_code(&input("x").context("reading")), 3);
        assert_eq!(exit_code(&anyhow::anyhow!("x")), 1);
    }
}
