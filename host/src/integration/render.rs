//! `flinkwasm render`: the whole stack from a pipeline directory (or the built-in default),
//! to stdout or atomically to a file.

use super::Integration;
use crate::error;
use crate::pipeline::{PipelineFile, Target};
use crate::plan::{Caller, Options};
use crate::run::Hooks;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// A render of `dir`.
#[derive(Debug, Clone)]
pub struct Render {
    /// The pipeline directory.
    pub dir: PathBuf,
    /// Where to write instead of stdout.
    pub output: Option<PathBuf>,
    /// The cluster (else the pipeline's default).
    pub cluster: Option<String>,
    /// Target overrides from the command line.
    pub target: Target,
    /// Run only these plugins.
    pub only: Vec<String>,
}

impl Hooks for Render {}

impl Integration for Render {
    fn pipeline(&self) -> Result<(PipelineFile, PathBuf)> {
        if !self.dir.is_dir() {
            return Err(error::input(format!(
                "{} is not a directory",
                self.dir.display()
            )));
        }
        PipelineFile::load(&self.dir)
    }

    fn options(&self) -> Result<Options> {
        Ok(Options {
            cluster: self.cluster.clone(),
            target: self.target.clone(),
            only: self.only.clone(),
            ..Options::new(Caller::Render)
        })
    }

    fn destination(&self) -> Option<&Path> {
        self.output.as_deref()
    }
}
