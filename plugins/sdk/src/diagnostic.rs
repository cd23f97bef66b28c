//! Diagnostics (KRM-function-result-shaped findings) and the plugin error type.

use crate::bindings::flinkwasm::plugin::types as wit;
use crate::manifest::ResourceRef;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Fails the render.
    Error,
    /// Shown to the user; the render goes on.
    Warning,
    /// A note; the render goes on.
    Info,
}

/// One finding about the run, optionally tied to an object and a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// A sentence a user can act on.
    pub message: String,
    /// The object it is about.
    pub resource: Option<ResourceRef>,
    /// The field it is about, as a dotted path.
    pub field: Option<String>,
}

impl Diagnostic {
    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            resource: None,
            field: None,
        }
    }

    /// An error finding.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    /// A warning finding.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    /// An informational finding.
    pub fn info(message: impl Into<String>) -> Self {
        Self::new(Severity::Info, message)
    }

    /// Ties the finding to an object.
    pub fn on(mut self, resource: ResourceRef) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Ties the finding to a field (dotted path).
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn into_wit(self) -> wit::Diagnostic {
        wit::Diagnostic {
            severity: match self.severity {
                Severity::Error => wit::Severity::Error,
                Severity::Warning => wit::Severity::Warning,
                Severity::Info => wit::Severity::Info,
            },
            message: self.message,
            object: self.resource.map(|r| wit::ResourceRef {
                api_version: r.api_version,
                kind: r.kind,
                name: r.name,
                namespace: r.namespace,
            }),
            field: self.field,
        }
    }
}

/// A failure that stops the plugin. It reaches the host as one `error` diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub Box<Diagnostic>);

impl Error {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Diagnostic::error(message)))
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error(Box::new(Diagnostic {
            severity: Severity::Error,
            ..d
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}
