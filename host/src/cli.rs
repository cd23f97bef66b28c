//! The command line: arguments parsed and resolved into one integration (`integration/`) or
//! one `plugins` command, logging set up, the exit code mapped (`error.rs`). `main` only calls
//! [`main`] here.

use crate::error::{self, EXIT_CODES_HELP};
use crate::integration::argocd;
use crate::pipeline::Target;
use crate::runtime::{Cache, Runtime};
use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write as _;
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
    /// Print the bootstrap (root) Application of the app-of-apps: the flinkwasm CMP on the
    /// root pipeline at PATH of the repository, for one cluster; `kubectl apply` it once.
    Bootstrap(argocd::BootstrapArgs),
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
            namespaces: None,
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
    /// Check every plugin of the pipeline: pin (an `oci:` plugin's digest and required
    /// signature), component, world, and config against its schema.
    Verify {
        /// The pipeline directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Pull the pipeline's `oci:` plugins and their signatures into the cache, then verify
    /// every plugin: later runs need no registry (air-gapped runs, the Argo CD init step).
    Pull {
        /// The pipeline directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Push a component to an OCI registry as a Wasm artifact; prints the reference to pin,
    /// `<registry>/<repository>@sha256:<digest>`. Credentials: DOCKER_CONFIG or
    /// ~/.docker/config.json.
    Push {
        /// The component (`.wasm`, built for wasm32-wasip2).
        file: PathBuf,
        /// Where to: `oci://<registry>/<repository>[:tag]`.
        target: String,
        /// Sign the pushed manifest with this ECDSA P-256 private key (unencrypted PKCS#8 or
        /// SEC1 PEM); the cosign signature goes to `sha256-<digest>.sig`.
        #[arg(long)]
        sign_key: Option<PathBuf>,
    },
    /// Create a new plugin project (Rust, Python or JavaScript) that builds to a component with
    /// one command.
    New {
        /// The plugin's name (lower-case, dashes).
        name: String,
        /// The plugin's language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: crate::scaffold::Lang,
        /// Where to create the crate's directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Rust only: use the SDK from this local checkout (plugins/sdk) instead of the
        /// flinkwasm Git repository. (Python and JavaScript projects carry their SDK module.)
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
    use crate::integration::{self, krm, post_render, render};
    match command {
        // Handled by `main` before logging starts.
        Command::Isolate { .. } => Err(error::input("__isolate is internal")),
        Command::Render(args) => integration::execute(
            runtime()?,
            &mut render::Render {
                dir: args.dir,
                output: args.output,
                cluster: args.target.cluster.clone(),
                target: args.target.target(),
                only: args.plugins,
            },
        ),
        Command::PostRender(args) => integration::execute(
            runtime()?,
            &mut post_render::PostRender {
                pipeline: args.pipeline,
                cluster: args.target.cluster.clone(),
                target: args.target.target(),
                only: args.plugins,
            },
        ),
        Command::Argocd(ArgocdCommand::Generate { dir }) => {
            // The init step pulled (`plugins pull`); generate reads only the cache.
            crate::network::set_offline();
            let inputs = argocd::inputs(&|k| std::env::var(k).ok())?;
            integration::execute(runtime()?, &mut argocd::Generate { dir, inputs })
        }
        Command::Argocd(ArgocdCommand::Bootstrap(args)) => write_stdout(&argocd::bootstrap(&args)?),
        Command::Argocd(ArgocdCommand::Parameters { dir }) => {
            crate::network::set_offline();
            write_stdout(&argocd::parameters(runtime()?, &dir)?)
        }
        Command::Krm(args) => {
            integration::execute(runtime()?, &mut krm::Krm::from_stdin(args.pipeline)?)
        }
        Command::Plugins(cmd) => write_stdout(&plugins_cmd(cmd)?),
    }
}

/// The process's runtime. It lives until the process exits and is never dropped: tearing down
/// the loaded components (unmapping their machine code, one by one) would only delay the exit
/// that frees everything at once.
fn runtime() -> Result<&'static Runtime> {
    let stuck = i32::from(error::ExitKind::Plugin.code());
    Ok(Box::leak(Box::new(Runtime::new(
        Cache::from_env(),
        Some(stuck),
    )?)))
}

fn plugins_cmd(cmd: PluginsCommand) -> Result<String> {
    match cmd {
        PluginsCommand::New {
            name,
            dir,
            lang,
            sdk_path,
        } => crate::plugins::new(&name, &dir, lang, sdk_path.as_deref()),
        PluginsCommand::List { dir } => crate::plugins::list(&dir),
        PluginsCommand::Inspect { name, dir } => crate::plugins::inspect(runtime()?, &name, &dir),
        PluginsCommand::Verify { dir } => crate::plugins::verify(runtime()?, &dir),
        PluginsCommand::Pull { dir } => crate::plugins::pull(runtime()?, &dir),
        PluginsCommand::Push {
            file,
            target,
            sign_key,
        } => crate::plugins::push(&file, &target, sign_key.as_deref()),
    }
}

/// Writes a command's whole output, once it succeeded.
fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing stdout")
}
