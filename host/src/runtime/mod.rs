//! The WebAssembly runtime: one wasmtime engine per process, plugins loaded through the compile
//! cache, and every instance in its own sandboxed store with limits.

mod cache;
mod described;
pub mod engine;
mod sandbox;
mod ticker;

pub use cache::{Cache, Outcome, hex, record_key, sha256_hex};
pub use sandbox::State;

use crate::error;
use crate::pipeline::Limits;
use anyhow::{Context as _, Result};
use ticker::Ticker;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, Store, Trap};

/// Host bindings generated from `wit/plugin.wit`; the WIT file documents every item.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

/// The contract's types, as the host sees them.
pub use bindings::flinkwasm::plugin::types as wit;

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
    /// time limit ends the process (exit code 4); the CLI sets it.
    pub fn new(cache: Cache, exit_on_stuck: bool) -> Result<Runtime> {
        let engine = Engine::new(&engine::config())
            .map_err(anyhow::Error::from)
            .context("creating the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        // WASI p2 as the plugins' std needs it; the State's WasiCtx denies every capability.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        bindings::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
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
    /// compiling. `bytes` must already be trusted (built in, or checked against its pin) and
    /// `digest` must be their sha256.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        digest: &str,
        precompiled: Option<&'static [u8]>,
    ) -> Result<Plugin> {
        let digest = digest.to_string();
        let embedded = precompiled.and_then(|code| {
            self.cache
                .load_precompiled(&self.engine, code, &digest, name)
        });
        let (component, outcome) = match embedded {
            Some(loaded) => loaded,
            None => self.cache.load(&self.engine, bytes, &digest, name)?,
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
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            // wasmtime names the missing import in the outer message (`component imports
            // function `x`, but ...`) and the reason in the cause; keep both.
            error::integrity(format!(
                "plugin {name}: needs an import flinkwasm does not provide (plugins may import only \
                 flinkwasm:plugin/host and WASI): {:#}",
                anyhow::Error::from(e)
            ))
        })?;
        let pre = bindings::PluginPre::new(pre).map_err(|e| {
            error::integrity(format!(
                "plugin {name}: does not implement the flinkwasm:plugin@0.2.0 world: {}",
                anyhow::Error::from(e)
            ))
        })?;
        Ok(Plugin {
            name: name.to_string(),
            digest,
            outcome,
            pre,
        })
    }
}

/// A loaded, linked plugin, ready to instantiate.
pub struct Plugin {
    name: String,
    digest: String,
    outcome: Outcome,
    pre: bindings::PluginPre<State>,
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
    bindings: Option<bindings::Plugin>,
}

impl Instance<'_> {
    fn call<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&bindings::Plugin, &mut Store<State>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let Some(bindings) = self.bindings.take() else {
            return Err(error::plugin(format!(
                "plugin {}: instance is unusable after an earlier failure",
                self.name
            )));
        };
        self.store
            .set_epoch_deadline(Ticker::ticks(self.limits.timeout));
        let armed = self.runtime.ticker.arm(&self.name, self.limits.timeout);
        let result = f(&bindings, &mut self.store);
        self.runtime.ticker.disarm(armed);
        match result {
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
        let name = self.name.clone();
        let limits = self.limits;
        // The pipe refuses a write that would overflow it, possibly before it is exactly full,
        // so its trap message is the reliable sign.
        let stdio_full =
            self.store.data().stdio_full() || format!("{e:?}").contains("write beyond capacity");
        let last_stderr = self.store.data_mut().drain_stdio();
        self.store.data_mut().log.finish();
        let memory_hit = self.store.data().limiter.memory_hit;
        let trap = e.downcast_ref::<Trap>().copied();
        let cause = if memory_hit {
            format!("exceeded its memory limit of {}", mib(limits.memory_bytes))
        } else if trap == Some(Trap::Interrupt) {
            format!("timed out after {:?} (its time limit)", limits.timeout)
        } else if trap == Some(Trap::StackOverflow) {
            "overflowed its stack (unbounded recursion?)".to_string()
        } else if stdio_full {
            format!(
                "wrote more than {} to stdout/stderr (use the log import)",
                mib(limits.log_bytes)
            )
        } else if trap == Some(Trap::UnreachableCodeReached) {
            match last_stderr {
                Some(line) => format!("panicked or aborted: {line}"),
                None => "panicked or aborted (wasm `unreachable`)".to_string(),
            }
        } else {
            let e = anyhow::Error::from(e);
            match trap {
                Some(t) => format!("trapped: {t}"),
                None => format!("failed: {e:#}"),
            }
        };
        error::plugin(format!("plugin {name}: {cause} while {what}"))
    }

    /// Calls `describe`.
    pub fn describe(&mut self) -> Result<wit::PluginInfo> {
        self.call("describing itself", |b, s| b.call_describe(s))
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
        let out = self.call("running", |b, s| b.call_run(s, ctx, manifests))?;
        let size: usize = out.manifests.iter().map(String::len).sum::<usize>()
            + out
                .diagnostics
                .iter()
                .map(|d| d.message.len())
                .sum::<usize>();
        if size > self.limits.output_bytes {
            return Err(error::plugin(format!(
                "plugin {}: returned {} of output, above its output limit of {}",
                self.name,
                mib(size),
                mib(self.limits.output_bytes)
            )));
        }
        Ok(out)
    }
}

fn mib(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{bytes} bytes")
    }
}
