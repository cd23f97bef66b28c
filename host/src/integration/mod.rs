//! The integrations: the ways a caller runs a pipeline. Each is one type implementing
//! [`Integration`] (as Spin's triggers each are one type): where its pipeline and input come
//! from, what it asks of the run, what it checks after each plugin, and how it writes the
//! result. [`execute`] is the one driver: it resolves the plan, runs it, refuses an empty
//! result the way the integration's callers need, and writes stdout (or a file) once, after
//! everything succeeded.
//!
//! Adding an integration is adding a type here; `run.rs` and the plugins know nothing of them.

pub mod argocd;
pub mod krm;
pub mod post_render;
pub mod render;

use crate::error;
use crate::pipeline::PipelineFile;
use crate::plan::{Options, Plan};
use crate::run::{self, Hooks, Input, Rendered};
use crate::runtime::Runtime;
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// When an empty result is a failure rather than an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// Always: the pipeline must produce objects (render, Argo CD: an auto-pruning app would
    /// delete everything it owns on an empty success).
    Refused,
    /// When the run was given objects and returned none (post-render: Helm 4 fails on it;
    /// KRM: `kpt fn eval` would delete every file of the package). Empty in, empty out is
    /// fine (Helm 3 accepts it).
    RefusedWhenEmptied,
}

/// One way of running a pipeline.
pub trait Integration: Hooks {
    /// The pipeline and the directory its relative paths start from.
    fn pipeline(&self) -> Result<(PipelineFile, PathBuf)>;

    /// What the caller asks of the run.
    fn options(&self) -> Result<Options>;

    /// The input stream. Read before any plugin is loaded, so an oversized stream is refused
    /// before any work. By default none: the pipeline's resources and generators make it.
    fn input(&mut self) -> Result<Input> {
        Ok(Input::None)
    }

    /// When an empty result is a failure. By default always: an empty render applied with
    /// pruning (Argo CD's auto-prune, `kubectl apply --prune`) deletes everything it owned.
    fn empty(&self) -> Empty {
        Empty::Refused
    }

    /// Writes the result, which is complete (every object has its final text) and not empty
    /// where that is refused. By default the stream as YAML.
    fn write(&self, rendered: Rendered, out: &mut dyn Write) -> Result<()> {
        rendered.stream.write_to(out)
    }

    /// Where the result goes: stdout unless the integration names a file (written
    /// atomically).
    fn destination(&self) -> Option<&Path> {
        None
    }
}

/// Runs `integration` on the runtime `rt`: plan, run, refuse an empty result, write once.
pub fn execute(rt: &Runtime, integration: &mut dyn Integration) -> Result<()> {
    let (pipeline, base) = integration.pipeline()?;
    let input = integration.input()?;
    let opts = integration.options()?;
    let plan = Plan::resolve(&pipeline, &base, &opts)?;
    rt.cache().keep_out_of_repository(plan.root.path());
    // A chart the pipeline names starts the stream (the chart source, `chart/`).
    let input = crate::chart::input(rt, &plan, &base, &opts, input)?;
    let mut rendered = run::run(rt, &plan, input, &*integration)?;
    refuse_empty(integration.empty(), &rendered)?;
    // Every object becomes its final YAML before the first byte goes out: stdout is all or
    // nothing.
    rendered.stream.finish()?;
    match integration.destination() {
        Some(path) => {
            let mut bytes = Vec::new();
            integration.write(rendered, &mut bytes)?;
            write_atomically(path, &bytes)
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            integration.write(rendered, &mut out)?;
            out.flush().context("writing stdout")
        }
    }
}

/// The empty-output refusal, written once for every integration.
fn refuse_empty(rule: Empty, rendered: &Rendered) -> Result<()> {
    if !rendered.stream.is_empty() {
        return Ok(());
    }
    match rule {
        Empty::Refused => Err(error::plugin(format!(
            "the pipeline produced no objects for cluster {}; refusing to print an empty \
             stream (an auto-pruning Argo CD app would delete everything it owns)",
            rendered.cluster
        ))),
        Empty::RefusedWhenEmptied if rendered.input_objects > 0 => Err(error::plugin(format!(
            "the pipeline removed all {} objects; refusing to print an empty stream",
            rendered.input_objects
        ))),
        Empty::RefusedWhenEmptied => Ok(()),
    }
}

/// A pipeline named by a file or directory, else `./flinkwasm.yaml`, else the built-in one.
pub fn load_pipeline(path: Option<&Path>) -> Result<(PipelineFile, PathBuf)> {
    match path {
        Some(p) if p.is_dir() => PipelineFile::load(p),
        Some(p) => PipelineFile::load_file(p),
        None => PipelineFile::load(Path::new(".")),
    }
}

/// The largest stream read from stdin unless `FLINKWASM_MAX_INPUT` says otherwise: far above
/// any chart's output, and a bound on the memory a hostile stream can make the host use.
pub const DEFAULT_MAX_INPUT: usize = 64 << 20;

/// Reads stdin, refusing more than `FLINKWASM_MAX_INPUT` (default [`DEFAULT_MAX_INPUT`]) bytes.
pub fn read_stdin() -> Result<String> {
    use std::io::Read as _;
    let limit = match std::env::var("FLINKWASM_MAX_INPUT") {
        Ok(v) => crate::pipeline::parse_bytes(&v).ok_or_else(|| {
            error::input(format!(
                "FLINKWASM_MAX_INPUT={v} is not a size such as 64Mi or 200000000"
            ))
        })?,
        Err(_) => DEFAULT_MAX_INPUT,
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| error::input(format!("reading stdin: {e}")))?;
    if bytes.len() > limit {
        return Err(error::input(format!(
            "stdin is larger than {} MiB; split the stream or raise FLINKWASM_MAX_INPUT",
            limit >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        error::input(format!(
            "stdin is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename. The temporary
/// file is created new (`O_EXCL`, an unpredictable name, never through a symlink), so in a
/// directory others can write nobody can plant a symlink that makes flinkwasm overwrite
/// another file, or own the file before it is renamed into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    // A rendered stream is no secret (secret values are refused): readable as any new file.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(|| format!("setting the mode of {}", tmp.path().display()))?;
    tmp.persist(path)
        .map(drop)
        .with_context(|| format!("renaming into {}", path.display()))
}
