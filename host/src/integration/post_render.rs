//! `flinkwasm post-render`: Helm's post-renderer (Helm 3 executable, Helm 4 `postrenderer/v1`
//! plugin): a chart's rendered stream on stdin, the transformed stream on stdout, every object
//! keeping the file Helm 4 splits the stream by.

use super::{Empty, Integration, load_pipeline, read_stdin};
use crate::annotations;
use crate::held::{Held, Id, Returned};
use crate::pipeline::{PipelineFile, Target};
use crate::plan::{Caller, Options};
use crate::run::{Hooks, Input, Rendered};
use anyhow::Result;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

/// A post-render of stdin.
#[derive(Debug, Clone)]
pub struct PostRender {
    /// The pipeline file or directory (else `./flinkwasm.yaml`, else the built-in one).
    pub pipeline: Option<PathBuf>,
    /// The cluster.
    pub cluster: Option<String>,
    /// Target overrides from the command line.
    pub target: Target,
    /// Run only these plugins.
    pub only: Vec<String>,
}

/// Helm's file annotation stays the host's ([`annotations::helm_file`]): a given object keeps
/// its file, an added one is filed under `flinkwasm/` or in a given object's file. Nothing to
/// do for a stream without files (Helm 3, plain stdin).
impl Hooks for PostRender {
    fn returned(
        &self,
        plugin: &str,
        stream: &Held,
        given: &[bool],
        returned: &mut [Returned],
    ) -> Result<()> {
        if !stream.ids().any(|id| id.helm_file().is_some()) {
            return Ok(());
        }
        let file = |i: usize| stream.id(i).and_then(Id::helm_file);
        let given_files: HashSet<&str> = given
            .iter()
            .enumerate()
            .filter(|(_, g)| **g)
            .filter_map(|(i, _)| file(i))
            .collect();
        for r in returned.iter_mut() {
            let original = r.origin.map(file);
            annotations::helm_file(plugin, original, &given_files, r)?;
        }
        Ok(())
    }
}

impl Integration for PostRender {
    fn pipeline(&self) -> Result<(PipelineFile, PathBuf)> {
        load_pipeline(self.pipeline.as_deref())
    }

    fn options(&self) -> Result<Options> {
        Ok(Options {
            cluster: self.cluster.clone(),
            target: self.target.clone(),
            only: self.only.clone(),
            ..Options::new(Caller::PostRender)
        })
    }

    fn input(&mut self) -> Result<Input> {
        // Read whole first: a stream over the limit is refused before any work.
        Ok(Input::Text {
            text: read_stdin()?,
            origin: "stdin".into(),
        })
    }

    fn empty(&self) -> Empty {
        Empty::RefusedWhenEmptied
    }

    fn write(&self, rendered: Rendered, out: &mut dyn Write) -> Result<()> {
        rendered.stream.write_to(out)
    }
}
