//! The command line: argument parsing, logging setup and the commands. `main` only calls
//! [`main`] here.

use crate::builtin;
use crate::error::{self, EXIT_CODES_HELP};
use crate::pipeline::{self, PipelineFile, Target};
use crate::render::{self, Input, Options};
use crate::runtime::{Cache, Runtime, wit};
use crate::start::{self, Started};
use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Assembles and post-renders Kubernetes manifests for Confluent Platform for Apache Flink
/// through a pipeline of sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "flinkwasm", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Log level (error, warn, info, debug, trace) or a tracing filter; overrides RUST_LOG.
    #[arg(long, global = true, env = "FLINKWASM_LOG")]
    pub log_level: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a pipeline: DIR/flinkwasm.yaml, or the built-in default stack when DIR has none.
    Render(RenderArgs),
    /// Helm post-renderer: read a manifest stream on stdin, write the transformed stream on stdout.
    PostRender(PostRenderArgs),
    /// Show and check plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Argo CD Config Management Plugin commands (see charts/argocd-cmp/plugin.yaml).
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// KRM function for kustomize and kpt: a ResourceList on stdin, a ResourceList on stdout.
    /// Also what the binary does when it is invoked as `flinkwasm-krm`.
    Krm(KrmArgs),
    /// Internal: a job on untrusted input in a bounded child process (see `isolate.rs`).
    #[command(name = "__isolate", hide = true)]
    Isolate {
        /// `compile` or `check-config`.
        job: String,
        /// The memory bound, in bytes.
        memory: u64,
        /// The time bound, in seconds.
        timeout: u64,
    },
}

/// `flinkwasm argocd ...`.
#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// `generate`: render the app's directory with the repo-server's environment
    /// (ARGOCD_APP_*, ARGOCD_ENV_*, KUBE_VERSION, KUBE_API_VERSIONS, ARGOCD_APP_PARAMETERS).
    Generate {
        /// The app's directory (Argo CD runs the command there).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// `parameters.dynamic`: print the parameter announcement (JSON) for the Argo CD UI.
    Parameters {
        /// The app's directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

/// `flinkwasm krm`.
#[derive(Debug, Args)]
pub struct KrmArgs {
    /// The pipeline file or directory; the functionConfig's `pipeline` wins, else
    /// ./flinkwasm.yaml if present, else the built-in one.
    #[arg(long, short = 'p', env = "FLINKWASM_PIPELINE")]
    pub pipeline: Option<PathBuf>,
}

/// Target overrides shared by the commands.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The cluster to render (see `spec.clusters`).
    #[arg(long, short = 'c', env = "FLINKWASM_CLUSTER")]
    pub cluster: Option<String>,
    /// Default namespace, overriding the pipeline's.
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Release / application name, overriding the pipeline's.
    #[arg(long)]
    pub release: Option<String>,
    /// Kubernetes version of the target cluster, e.g. 1.31.0.
    #[arg(long)]
    pub kube_version: Option<String>,
    /// API versions the target cluster serves (repeatable or comma-separated).
    #[arg(long = "api-versions", value_delimiter = ',')]
    pub api_versions: Vec<String>,
}

impl TargetArgs {
    fn target(&self) -> Target {
        Target {
            namespace: self.namespace.clone(),
            release: self.release.clone(),
            kube_version: self.kube_version.clone(),
            api_versions: (!self.api_versions.is_empty()).then(|| self.api_versions.clone()),
        }
    }
}

/// `flinkwasm render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The pipeline directory (holding flinkwasm.yaml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write the stream to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Run only this plugin of the pipeline (repeatable), in pipeline order; default: all.
    #[arg(long = "plugin")]
    pub plugins: Vec<String>,
    /// Target overrides.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `flinkwasm post-render`.
#[derive(Debug, Args)]
pub struct PostRenderArgs {
    /// The pipeline file or directory; else ./flinkwasm.yaml if present, else the built-in one.
    #[arg(long, short = 'p', env = "FLINKWASM_PIPELINE")]
    pub pipeline: Option<PathBuf>,
    /// Run only this plugin (repeatable); default: every transformer of the pipeline.
    #[arg(long = "plugin")]
    pub plugins: Vec<String>,
    /// Target overrides.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `flinkwasm plugins ...`.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the built-in plugins and the pipeline's plugins with their digests.
    List {
        /// The pipeline directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Show one plugin's description and config schema (JSON).
    Inspect {
        /// The plugin's name in the pipeline, or a built-in's name.
        name: String,
        /// The pipeline directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check every plugin of the pipeline: pin, component, world, and config against its schema.
    Verify {
        /// The pipeline directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Create a new plugin crate on the SDK (builds to a component for wasm32-wasip2).
    New {
        /// The plugin's name (lower-case, dashes).
        name: String,
        /// Where to create the crate's directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Use the SDK from this local checkout (plugins/sdk) instead of the flinkwasm Git
        /// repository.
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
}

/// Parses the command line, runs the command and returns the exit code. Nothing is written to
/// stdout unless the command succeeds.
pub fn main() -> ExitCode {
    // kustomize runs an exec function by path, without arguments: installed (or linked) as
    // `flinkwasm-krm`, the binary is the KRM function.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .map(str::to_string);
    if invoked_as.as_deref() == Some("flinkwasm-krm") {
        args.insert(1, "krm".into());
    }
    let cli = Cli::parse_from(args);
    if let Command::Isolate {
        job,
        memory,
        timeout,
    } = &cli.command
    {
        return isolated(job, *memory, *timeout);
    }
    init_logging(cli.log_level.as_deref(), cli.log_format);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages may quote untrusted text; each of their lines stays one line.
            tracing::error!("{}", crate::text::safe_lines(&format!("{e:#}")));
            ExitCode::from(error::exit_code(&e))
        }
    }
}

fn init_logging(level: Option<&str>, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).unwrap_or_else(|_| EnvFilter::new("warn")),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
    };
    use std::io::IsTerminal as _;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.without_time().with_target(false).init(),
        LogFormat::Json => builder.json().with_current_span(false).init(),
    }
}

/// The child's side of an isolated job: bounded first, then the job on stdin.
fn isolated(job: &str, memory: u64, timeout: u64) -> ExitCode {
    let max_input = crate::source::MAX_COMPONENT_BYTES as usize;
    let input = match crate::isolate::enter(memory, timeout, max_input) {
        Ok(input) => input,
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::FAILURE;
        }
    };
    let result = match job {
        crate::runtime::compile::JOB => crate::runtime::compile_in_child(&input),
        crate::schema::JOB => crate::schema::check_in_child(&input),
        other => Err(format!("unknown job {other}")),
    };
    crate::isolate::leave(result)
}

/// Runs one command.
pub fn run(command: Command) -> Result<()> {
    match command {
        // Handled by `main` before logging starts.
        Command::Isolate { .. } => Err(error::input("__isolate is internal")),
        Command::Render(args) => render_cmd(&args),
        Command::PostRender(args) => post_render_cmd(&args),
        Command::Plugins(cmd) => plugins_cmd(cmd),
        Command::Argocd(cmd) => argocd_cmd(cmd),
        Command::Krm(args) => krm_cmd(&args),
    }
}

/// The process's runtime. It lives until the process exits and is never dropped: tearing down
/// the loaded components (unmapping their machine code, one by one) would only delay the exit
/// that frees everything at once.
fn runtime() -> Result<&'static Runtime> {
    Ok(Box::leak(Box::new(Runtime::new(Cache::from_env(), true)?)))
}

fn render_cmd(args: &RenderArgs) -> Result<()> {
    if !args.dir.is_dir() {
        return Err(error::input(format!(
            "{} is not a directory",
            args.dir.display()
        )));
    }
    let (pipeline, base) = PipelineFile::load(&args.dir)?;
    let rt = runtime()?;
    let opts = Options {
        mode: wit::Mode::Render,
        cluster: args.target.cluster.clone(),
        target: args.target.target(),
        defaults: Target::default(),
        only: args.plugins.clone(),
        overrides: Default::default(),
    };
    let mut rendered = render::run(rt, &pipeline, &base, &opts, Input::None)?;
    if rendered.stream.is_empty() {
        return Err(error::plugin(format!(
            "the pipeline produced no objects for cluster {}",
            rendered.cluster
        )));
    }
    let text = rendered.stream.to_yaml()?;
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes()),
        None => write_stdout(text.as_bytes()),
    }
}

/// A pipeline named by a file or directory, else `./flinkwasm.yaml`, else the built-in one.
fn load_pipeline(path: Option<&Path>) -> Result<(PipelineFile, PathBuf)> {
    match path {
        Some(p) if p.is_dir() => PipelineFile::load(p),
        Some(p) => PipelineFile::load_file(p),
        None => PipelineFile::load(Path::new(".")),
    }
}

fn post_render_cmd(args: &PostRenderArgs) -> Result<()> {
    let (pipeline, base) = load_pipeline(args.pipeline.as_deref())?;
    // Read whole first: a stream over the limit is refused before any work.
    let input = read_stdin()?;
    let rt = runtime()?;
    let opts = Options {
        mode: wit::Mode::PostRender,
        cluster: args.target.cluster.clone(),
        target: args.target.target(),
        defaults: Target::default(),
        only: args.plugins.clone(),
        overrides: Default::default(),
    };
    let input = Input::Text {
        text: input,
        origin: "stdin".into(),
    };
    let mut rendered = render::run(rt, &pipeline, &base, &opts, input)?;
    rendered.refuse_emptied()?;
    // Every object becomes YAML before the first byte goes out: stdout is all or nothing.
    rendered.stream.finish()?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    rendered
        .stream
        .write_to(&mut out)
        .and_then(|()| out.flush().map_err(anyhow::Error::from))
        .context("writing stdout")
}

fn argocd_cmd(cmd: ArgocdCommand) -> Result<()> {
    let env = |k: &str| std::env::var(k).ok();
    match cmd {
        ArgocdCommand::Generate { dir } => {
            let inputs = crate::argocd::inputs(&env)?;
            let (pipeline, base) = PipelineFile::load(&dir)?;
            let rt = runtime()?;
            let opts = Options {
                mode: wit::Mode::ArgocdCmp,
                cluster: inputs.cluster,
                target: inputs.target,
                defaults: inputs.defaults,
                only: inputs.only,
                overrides: inputs.overrides,
            };
            let mut rendered = render::run(rt, &pipeline, &base, &opts, Input::None)?;
            // Empty output with auto-prune deletes everything the app owned: never exit 0 on it.
            if rendered.stream.is_empty() {
                return Err(error::plugin(format!(
                    "the pipeline produced no objects for cluster {}; refusing to print an empty \
                     stream (Argo CD would prune everything the app owns)",
                    rendered.cluster
                )));
            }
            write_stdout(rendered.stream.to_yaml()?.as_bytes())
        }
        ArgocdCommand::Parameters { dir } => {
            let (pipeline, base) = PipelineFile::load(&dir)?;
            let rt = runtime()?;
            let mut described = Vec::new();
            for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
                let name = spec.display_name();
                let limits = spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?;
                let Started { info, .. } =
                    start::start(rt, &name, &spec.source(i, &base)?, limits)?;
                let schema =
                    serde_json::from_str(&info.config_schema).unwrap_or(serde_json::Value::Null);
                described.push((name, info.description, schema));
            }
            let doc = crate::argocd::announcement(&pipeline, &described);
            write_stdout((serde_json::to_string(&doc)? + "\n").as_bytes())
        }
    }
}

fn krm_cmd(args: &KrmArgs) -> Result<()> {
    let input = read_stdin()?;
    let list = crate::krm::parse(&input)?;
    // The functionConfig comes with the package, which is untrusted: its pipeline must be a
    // file of the directory the function runs in, like every file a pipeline reads.
    let path = match &list.config.pipeline {
        Some(p) => Some(
            crate::files::Root::new(Path::new("."))?.resolve(p, "functionConfig.data.pipeline")?,
        ),
        None => args.pipeline.clone(),
    };
    let (pipeline, base) = load_pipeline(path.as_deref())?;
    let rt = runtime()?;
    let opts = Options {
        mode: wit::Mode::Krm,
        cluster: list.config.cluster.clone(),
        target: Target::default(),
        defaults: Target::default(),
        only: list.config.plugins.clone(),
        overrides: Default::default(),
    };
    let rendered = render::run(rt, &pipeline, &base, &opts, Input::Objects(list.items))?;
    rendered.refuse_emptied()?;
    let objects = rendered.stream.objects()?;
    let results = crate::krm::results(&rendered.diagnostics, &objects);
    write_stdout(crate::krm::write(objects, results).as_bytes())
}

/// The largest stream read from stdin unless `FLINKWASM_MAX_INPUT` says otherwise: far above
/// any chart's output, and a bound on the memory a hostile stream can make the host use.
pub const DEFAULT_MAX_INPUT: usize = 64 << 20;

/// The most bytes read from stdin: `FLINKWASM_MAX_INPUT`, else [`DEFAULT_MAX_INPUT`].
fn max_input() -> Result<usize> {
    match std::env::var("FLINKWASM_MAX_INPUT") {
        Ok(v) => crate::pipeline::parse_bytes(&v).ok_or_else(|| {
            error::input(format!(
                "FLINKWASM_MAX_INPUT={v} is not a size such as 64Mi or 200000000"
            ))
        }),
        Err(_) => Ok(DEFAULT_MAX_INPUT),
    }
}

/// Reads stdin, refusing more than `FLINKWASM_MAX_INPUT` (default [`DEFAULT_MAX_INPUT`]) bytes.
fn read_stdin() -> Result<String> {
    let limit = max_input()?;
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

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing stdout")
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
}

fn new_plugin_cmd(name: &str, dir: &Path, sdk_path: Option<&Path>) -> Result<()> {
    let sdk = match sdk_path {
        Some(p) => crate::scaffold::Sdk::Path(p.to_path_buf()),
        None => crate::scaffold::Sdk::Git,
    };
    let mut out = String::new();
    for f in crate::scaffold::new_plugin(name, dir, &sdk)? {
        out.push_str(&format!("created {}\n", f.display()));
    }
    write_stdout(out.as_bytes())
}

fn plugins_cmd(cmd: PluginsCommand) -> Result<()> {
    if let PluginsCommand::New {
        name,
        dir,
        sdk_path,
    } = &cmd
    {
        return new_plugin_cmd(name, dir, sdk_path.as_deref());
    }
    let rt = runtime()?;
    let mut out = String::new();
    match cmd {
        // Handled above: it needs no runtime.
        PluginsCommand::New { .. } => {}
        PluginsCommand::List { dir } => {
            out.push_str("BUILT-IN\n");
            for b in builtin::BUILTIN_COMPONENTS {
                out.push_str(&format!(
                    "  {:<24} sha256:{}  {} bytes{}\n",
                    b.name,
                    b.digest,
                    b.component.len(),
                    if b.precompiled.is_some() {
                        ", precompiled"
                    } else {
                        ""
                    }
                ));
            }
            let (pipeline, base) = PipelineFile::load(&dir)?;
            out.push_str(&format!("PIPELINE {}\n", pipeline.metadata.name));
            for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
                let src = spec.source(i, &base)?;
                let what = match &src {
                    pipeline::Source::Builtin(b) => format!("builtin:{b}"),
                    pipeline::Source::File { rel, sha256, .. } => {
                        format!("{rel} (pinned sha256:{sha256})")
                    }
                };
                out.push_str(&format!("  {:<24} {what}\n", spec.display_name()));
            }
        }
        PluginsCommand::Inspect { name, dir } => {
            let (pipeline, base) = PipelineFile::load(&dir)?;
            let found = pipeline
                .spec
                .plugins
                .iter()
                .enumerate()
                .find(|(_, p)| p.display_name() == name);
            let (src, limits) = match found {
                Some((i, spec)) => (
                    spec.source(i, &base)?,
                    spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?,
                ),
                None => (pipeline::Source::Builtin(name.clone()), Default::default()),
            };
            let Started { info, digest, .. } = start::start(rt, &name, &src, limits)?;
            let schema: serde_json::Value =
                serde_json::from_str(&info.config_schema).unwrap_or(serde_json::Value::Null);
            let doc = serde_json::json!({
                "name": info.name,
                "version": info.version,
                "description": info.description,
                "role": match info.role {
                    wit::Role::Generator => "generator",
                    wit::Role::Transformer => "transformer",
                    wit::Role::Both => "both",
                },
                "sha256": digest,
                "select": info.select.as_ref().map(|s| serde_json::json!({
                    "groups": s.groups,
                    "kinds": s.kinds,
                })),
                "configSchema": schema,
            });
            out = serde_json::to_string_pretty(&doc)? + "\n";
        }
        PluginsCommand::Verify { dir } => {
            let (pipeline, base) = PipelineFile::load(&dir)?;
            for (i, spec) in pipeline.spec.plugins.iter().enumerate() {
                let name = spec.display_name();
                let limits = spec.limits.resolve(&format!("spec.plugins[{i}].limits"))?;
                let Started { info, digest, .. } =
                    start::start(rt, &name, &spec.source(i, &base)?, limits)?;
                let check = |config: &serde_json::Value| match spec.builtin {
                    Some(_) => crate::schema::validate(&name, &info.config_schema, config),
                    None => crate::schema::validate_isolated(&name, &info.config_schema, config),
                };
                check(&spec.config_for(None))?;
                for (cluster, values) in &pipeline.spec.clusters {
                    if let Some(patch) = values.config.get(&name) {
                        check(&spec.config_for(Some(patch)))
                            .with_context(|| format!("cluster {cluster}"))?;
                    }
                }
                out.push_str(&format!(
                    "ok  {name:<24} {} {}  sha256:{}\n",
                    info.name, info.version, digest
                ));
            }
        }
    }
    write_stdout(out.as_bytes())
}
