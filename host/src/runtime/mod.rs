//! The WebAssembly runtime: one wasmtime engine per process, plugins loaded through the compile
//! cache, and every instance in its own sandboxed store with limits.

mod cache;
pub mod compile;
mod contract;
mod described;
pub mod engine;
mod error;
mod limits;
mod sandbox;
mod ticker;

pub use cache::{Cache, Outcome, hex, record_key, sha256_hex};
pub use compile::{Compile, compile_in_child};
pub use error::{Cause, Fault, PluginError};
pub use limits::Limits;
pub use sandbox::State;

use anyhow::{Context as _, Result};
use ticker::Ticker;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, Trap};

pub use contract::VERSION as CONTRACT;
/// The contract's `host` interface, as the host sees it.
pub use contract::current::flinkwasm::plugin::host as wit_host;
/// The contract's types, as the host sees them (`flinkwasm:plugin@0.3.0`).
pub use contract::current::flinkwasm::plugin::types as wit;

/// The engine, the linker every plugin is instantiated with, the compile cache and the epoch
/// ticker.
pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    cache: Cache,
    ticker: Ticker,
    /// Every component loaded, kept until the runtime goes: dropping a plugin's instance then
    /// frees its memory but leaves its machine code mapped, so a run does not unmap code (a
    /// write lock on the address space that stalls the other loader threads) just before the
    /// process exits and frees everything at once.
    loaded: std::sync::Mutex<Vec<wasmtime::component::Component>>,
}

impl Runtime {
    /// A runtime using `cache`. With `exit_on_stuck`, a plugin blocked in a host call past its
    /// time limit ends the process with that exit code; the CLI sets it (the runtime knows
    /// nothing of exit codes).
    pub fn new(cache: Cache, exit_on_stuck: Option<i32>) -> Result<Runtime> {
        let engine = Engine::new(&engine::config())
            .map_err(anyhow::Error::from)
            .context("creating the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        // WASI p2 as the plugins' std needs it; the State's WasiCtx denies every capability.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        contract::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking the flinkwasm host interface")?;
        let ticker =
            Ticker::start(engine.clone(), exit_on_stuck).context("starting the epoch ticker")?;
        Ok(Runtime {
            engine,
            linker,
            cache,
            ticker,
            loaded: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The compile cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The description recorded for plugin `name`'s component (sha256 `digest`), if it was
    /// described before (see [`Instance::describe_recorded`]).
    pub fn remembered(&self, name: &str, digest: &str) -> Option<wit::PluginInfo> {
        let bytes = self.cache.recorded(&described::key(digest))?;
        let info = described::decode(&bytes)?;
        tracing::debug!(plugin = name, "description read from the cache");
        Some(info)
    }

    /// Loads and links a plugin component: from `precompiled` (a built-in's machine code,
    /// embedded at build time) when this engine accepts it, else from the compile cache, else by
    /// compiling it (see [`Compile`]). `bytes` must already be trusted (built in, or checked
    /// against its pin) and `digest` must be their sha256.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        digest: &str,
        precompiled: Option<&'static [u8]>,
        compile: Compile,
    ) -> Result<Plugin> {
        let digest = digest.to_string();
        let embedded = precompiled.and_then(|code| {
            self.cache
                .load_precompiled(&self.engine, code, &digest, name)
        });
        let (component, outcome) = match embedded {
            Some(loaded) => loaded,
            None => match self.cache.lookup(&self.engine, &digest, name) {
                Ok(component) => (component, Outcome::Hit),
                Err(outcome) => {
                    let artifact = compile.run(&self.engine, name, bytes)?;
                    // SAFETY: `artifact` is what `Engine::precompile_component` made of these
                    // bytes with this engine's settings, in this process or in an isolated
                    // copy of this binary (see `Compile`).
                    let component = unsafe { Component::deserialize(&self.engine, &artifact) }
                        .map_err(anyhow::Error::from)
                        .with_context(|| {
                            format!("plugin {name}: loading the freshly compiled component")
                        })?;
                    let stored = self.cache.store(&self.engine, &digest, &artifact);
                    let outcome = match (stored, outcome) {
                        (false, Outcome::Miss) => Outcome::Disabled,
                        (_, outcome) => outcome,
                    };
                    (component, outcome)
                }
            },
        };
        tracing::debug!(
            plugin = name,
            digest = digest.as_str(),
            ?outcome,
            "component loaded"
        );
        // A poisoned lock only means another loader panicked; the list is still sound.
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(component.clone());
        Ok(Plugin {
            pre: self.link(name, &component)?,
            name: name.to_string(),
            digest,
            outcome,
        })
    }

    /// Links `component` against the host's imports and binds it to the contract's version
    /// its exports match.
    fn link(&self, name: &str, component: &Component) -> Result<contract::Pre, PluginError> {
        let pre = self.linker.instantiate_pre(component).map_err(|e| {
            // wasmtime names the missing import in the outer message (`component imports
            // function `x`, but ...`) and the reason in the cause; keep both.
            PluginError::new(name, Cause::Import(format!("{:#}", anyhow::Error::from(e))))
        })?;
        contract::Pre::new(pre)
            .map_err(|e| PluginError::new(name, Cause::World(anyhow::Error::from(e).to_string())))
    }
}

/// A loaded, linked plugin, ready to instantiate.
pub struct Plugin {
    name: String,
    digest: String,
    outcome: Outcome,
    pre: contract::Pre,
}

impl Plugin {
    /// The plugin's name in the pipeline.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The component's sha256, lower-case hex.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// What the compile cache did for this load.
    pub fn cache_outcome(&self) -> Outcome {
        self.outcome
    }

    /// A fresh instance in its own sandbox under `limits`.
    pub fn instantiate<'r>(&self, runtime: &'r Runtime, limits: Limits) -> Result<Instance<'r>> {
        let mut store = Store::new(&runtime.engine, State::new(&self.name, &limits));
        store.limiter(|s| &mut s.limiter);
        // What wasmtime may copy out of the plugin in one call (its default is 128 MiB, which
        // would fire before a larger output limit, with wasmtime's own message): the output
        // limit plus room for the lists' bookkeeping. A return above the output limit is then
        // refused by `run`, with flinkwasm's message, and never costs more than this.
        store.set_hostcall_fuel(copy_allowance(&limits));
        store.epoch_deadline_trap();
        store.set_epoch_deadline(Ticker::ticks(limits.timeout));
        let armed = runtime.ticker.arm(&self.name, limits.timeout);
        let bindings = self.pre.instantiate(&mut store);
        runtime.ticker.disarm(armed);
        let mut instance = Instance {
            name: self.name.clone(),
            limits,
            runtime,
            store,
            bindings: None,
        };
        match bindings {
            Ok(b) => instance.bindings = Some(b),
            Err(e) => return Err(instance.fail(e, "starting")),
        }
        Ok(instance)
    }
}

/// A running plugin instance.
pub struct Instance<'r> {
    name: String,
    limits: Limits,
    runtime: &'r Runtime,
    store: Store<State>,
    bindings: Option<contract::Bindings>,
}

impl Instance<'_> {
    fn call<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&contract::Bindings, &mut Store<State>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let Some(bindings) = self.bindings.take() else {
            return Err(PluginError::new(&self.name, Cause::Unusable).into());
        };
        self.store
            .set_epoch_deadline(Ticker::ticks(self.limits.timeout));
        let armed = self.runtime.ticker.arm(&self.name, self.limits.timeout);
        let result = f(&bindings, &mut self.store);
        self.runtime.ticker.disarm(armed);
        match result {
            // The pipe closes when full, and a guest may shrug the write error off and
            // return: what it wrote past the bound is lost, so the call fails all the same.
            Ok(_) if self.store.data().stdio_full() => {
                self.store.data_mut().drain_stdio();
                self.store.data_mut().log.finish();
                Err(self.error(what, Fault::Stdio(self.limits.log_bytes)).into())
            }
            Ok(v) => {
                tracing::debug!(
                    plugin = self.name.as_str(),
                    call = what,
                    memory_peak = self.store.data().limiter.memory_peak,
                    "plugin call returned"
                );
                self.store.data_mut().drain_stdio();
                self.store.data_mut().log.finish();
                self.bindings = Some(bindings);
                Ok(v)
            }
            Err(e) => Err(self.fail(e, what)),
        }
    }

    /// Turns a wasmtime failure into an error that names the plugin and the cause.
    fn fail(&mut self, e: wasmtime::Error, what: &str) -> anyhow::Error {
        let limits = self.limits;
        // The pipe refuses a write that would overflow it, possibly before it is exactly full,
        // so its trap message is the reliable sign.
        let stdio_full =
            self.store.data().stdio_full() || format!("{e:?}").contains("write beyond capacity");
        let last_stderr = self.store.data_mut().drain_stdio();
        self.store.data_mut().log.finish();
        let memory_hit = self.store.data().limiter.memory_hit.clone();
        let trap = e.downcast_ref::<Trap>().copied();
        let text = format!("{e:#}");
        let fault = if let Some(why) = memory_hit {
            Fault::Memory(limits.memory_bytes, why)
        } else if text.contains("fuel allocated for hostcalls has been exhausted") {
            Fault::OutputLimit(limits.output_bytes)
        } else if let Some(what) = count_limit(&text) {
            Fault::Counts(what)
        } else if trap == Some(Trap::Interrupt) {
            Fault::Timeout(limits.timeout)
        } else if trap == Some(Trap::StackOverflow) {
            Fault::StackOverflow
        } else if stdio_full {
            Fault::Stdio(limits.log_bytes)
        } else if trap == Some(Trap::UnreachableCodeReached) {
            Fault::Panic(last_stderr)
        } else {
            match trap {
                Some(t) => Fault::Trap(t),
                None => Fault::Failed(crate::text::safe(&text).into_owned()),
            }
        };
        self.error(what, fault).into()
    }

    /// This plugin's failure while `during`.
    fn error(&self, during: &str, fault: Fault) -> PluginError {
        PluginError::new(
            &self.name,
            Cause::Call {
                during: during.to_string(),
                fault,
            },
        )
    }

    /// Calls `describe`, and checks the answer against the bounds of [`check_info`].
    pub fn describe(&mut self) -> Result<wit::PluginInfo> {
        let info = self.call("describing itself", |b, s| b.describe(s))?;
        check_info(&self.name, &info)?;
        Ok(info)
    }

    /// Calls `describe` and records the answer in the cache for the component with sha256
    /// `digest` (the contract makes it depend on the component alone), where
    /// [`Runtime::remembered`] finds it on later runs.
    pub fn describe_recorded(&mut self, digest: &str) -> Result<wit::PluginInfo> {
        let info = self.describe()?;
        self.runtime
            .cache
            .record(&described::key(digest), &described::encode(&info));
        Ok(info)
    }

    /// Calls `run`, and checks the output against the output limit.
    pub fn run(&mut self, ctx: &wit::Context, manifests: &[String]) -> Result<wit::RunOutput> {
        let out = self.call("running", |b, s| b.run(s, ctx, manifests))?;
        if out.diagnostics.len() > MAX_DIAGNOSTICS {
            let cause = Cause::Diagnostics(out.diagnostics.len());
            return Err(PluginError::new(&self.name, cause).into());
        }
        let size = output_size(&out);
        if size > self.limits.output_bytes {
            let cause = Cause::Output(size, self.limits.output_bytes);
            return Err(PluginError::new(&self.name, cause).into());
        }
        Ok(out)
    }
}

/// What the host keeps of each returned manifest besides its text (its identity, its place
/// in the stream, its YAML document's frame), counted against the output limit with it: a
/// million tiny manifests would otherwise cost the host far more than their bytes.
pub const MANIFEST_OVERHEAD: usize = 256;

/// Everything a plugin returned, in bytes: every manifest, with [`MANIFEST_OVERHEAD`] each,
/// and every string of every diagnostic (message, object reference, field). All of it is
/// copied into the host and may reach stderr or KRM `results`, so all of it counts against
/// the output limit.
pub fn output_size(out: &wit::RunOutput) -> usize {
    let diagnostic = |d: &wit::Diagnostic| {
        d.message.len()
            + d.field.as_ref().map_or(0, String::len)
            + d.object.as_ref().map_or(0, |o| {
                o.api_version.len()
                    + o.kind.len()
                    + o.name.len()
                    + o.namespace.as_ref().map_or(0, String::len)
            })
    };
    out.manifests
        .iter()
        .map(|m| m.len() + MANIFEST_OVERHEAD)
        .sum::<usize>()
        + out.diagnostics.iter().map(diagnostic).sum::<usize>()
}

/// The host-copy allowance of one call: the output limit plus 16 MiB for what wasmtime also
/// counts (a `String` header per list entry, the records around them).
fn copy_allowance(limits: &Limits) -> usize {
    limits.output_bytes.saturating_add(16 << 20)
}

/// The most diagnostics one `run` may return: each becomes a line on stderr or a KRM result.
pub const MAX_DIAGNOSTICS: usize = 4096;

/// The largest config schema a plugin may describe. The built-ins' are a few KiB; the schema is
/// compiled by the host, so its size is the first bound on the host's work.
pub const MAX_SCHEMA_BYTES: usize = 1 << 20;
/// The longest name, version or description a plugin may describe.
const MAX_INFO_TEXT: usize = 1024;

/// Refuses a description that is larger than any plugin needs: a schema over
/// [`MAX_SCHEMA_BYTES`], a name, version or description over 1 KiB, more than 256 groups or
/// kinds in its `select`.
fn check_info(plugin: &str, info: &wit::PluginInfo) -> Result<()> {
    let refuse = |what: String| Err(PluginError::new(plugin, Cause::Description(what)).into());
    if info.config_schema.len() > MAX_SCHEMA_BYTES {
        return refuse(format!(
            "a config schema of {}, above the {} a schema may have",
            mib(info.config_schema.len()),
            mib(MAX_SCHEMA_BYTES)
        ));
    }
    for (what, text) in [
        ("name", &info.name),
        ("version", &info.version),
        ("description", &info.description),
    ] {
        if text.len() > MAX_INFO_TEXT {
            return refuse(format!(
                "a {what} of {} bytes (at most {MAX_INFO_TEXT})",
                text.len()
            ));
        }
    }
    if let Some(s) = &info.select {
        let texts = s.groups.iter().chain(&s.kinds);
        if s.groups.len() + s.kinds.len() > 256 || texts.clone().any(|t| t.len() > 253) {
            return refuse(
                "a select of more than 256 groups and kinds, or names over 253 bytes".into(),
            );
        }
    }
    Ok(())
}

/// Which count limit a wasmtime error names (`resource limit exceeded: memory count too
/// high`), if any.
fn count_limit(text: &str) -> Option<&'static str> {
    if !text.contains("resource limit exceeded") {
        return None;
    }
    ["memory", "table", "instance"]
        .into_iter()
        .find(|w| text.contains(&format!("{w} count too high")))
        .map(|w| match w {
            "memory" => "linear memories",
            "table" => "tables",
            _ => "core instances",
        })
}

/// `bytes` for a message: in MiB from 1 MiB up.
pub fn mib(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{bytes} bytes")
    }
}
