//! Starting a run's plugins.
//!
//! Every plugin is first fetched (pin-checked) and described. A description comes from the
//! cache when the plugin's component was described before (the contract makes `describe` a
//! function of the component alone), so a warm run knows every plugin's role and `select`
//! without running any of them. A [`Loader`] thread then loads and instantiates the plugins in
//! pipeline order while the main thread runs the ones before: loading overlaps running, and a
//! generator skipped outside render modes is never instantiated.
//!
//! A plugin with no recorded description is loaded, instantiated and described up front, one
//! thread each, and keeps that instance for its run.

use crate::pipeline::{Limits, PluginSpec, Select, Source};
use crate::plan::Plan;
use crate::runtime::{Instance, Plugin, Runtime, wit};
use crate::source::{self, Trusted};
use anyhow::Result;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::Scope;

/// A plugin of the run, described, waiting for its turn.
pub(crate) struct Ready<'r> {
    /// Its place in `spec.plugins`.
    pub index: usize,
    /// Its pipeline entry.
    pub spec: &'r PluginSpec,
    /// Its name in the pipeline.
    pub name: String,
    /// What it says about itself.
    pub info: wit::PluginInfo,
    /// The objects it is given: the pipeline's `select`, else its own, else all.
    pub select: Option<Select>,
    /// Its instance, or what the [`Loader`] needs to make one: give it to
    /// [`Loader::instance`].
    pub start: Start<'r>,
}

/// How a plugin's instance comes to be.
pub(crate) enum Start<'r> {
    /// Started while being described.
    Running(Instance<'r>),
    /// Described from the cache; not loaded yet.
    Pending(Trusted, Limits),
    /// Handed to the [`Loader`].
    Loading,
}

impl Ready<'_> {
    /// Whether the plugin is given objects of this API group and kind.
    pub fn selects(&self, group: &str, kind: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.matches_type(group, kind))
    }
}

/// Fetches and describes every plugin of the run (all, or the plan's `only`) and drops
/// generators outside render modes. Plugins with no recorded description are started at once,
/// one thread each. The first failure in pipeline order is returned, so errors do not depend
/// on thread timing.
pub(crate) fn plan<'r>(rt: &'r Runtime, plan: &Plan<'r>) -> Result<Vec<Ready<'r>>> {
    let jobs = plan
        .plugins()
        .map(|(index, spec)| fetch(rt, plan, index, spec))
        .collect::<Result<Vec<_>>>()?;
    let started = start_unknown(rt, &jobs)?;
    let mut started = started.into_iter();
    let mut ready = Vec::with_capacity(jobs.len());
    for job in jobs {
        let (info, start) = match job.info {
            Some(info) => (info, Start::Pending(job.trusted, job.limits)),
            None => {
                let s = started
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("plugin {}: was not started", job.name))?;
                (s.info, Start::Running(s.instance))
            }
        };
        if info.role == wit::Role::Generator && !plan.generates {
            tracing::debug!(
                plugin = job.name.as_str(),
                "generator skipped outside render mode"
            );
            continue;
        }
        let select = job.spec.select.clone().or_else(|| {
            info.select.as_ref().map(|s| Select {
                groups: s.groups.clone(),
                kinds: s.kinds.clone(),
            })
        });
        ready.push(Ready {
            index: job.index,
            spec: job.spec,
            name: job.name,
            info,
            select,
            start,
        });
    }
    Ok(ready)
}

/// A plugin of the plan, fetched (pin-checked), with its description if it was recorded.
struct Fetched<'r> {
    index: usize,
    spec: &'r PluginSpec,
    name: String,
    limits: Limits,
    trusted: Trusted,
    info: Option<wit::PluginInfo>,
}

fn fetch<'r>(
    rt: &Runtime,
    plan: &Plan<'r>,
    index: usize,
    spec: &'r PluginSpec,
) -> Result<Fetched<'r>> {
    let name = spec.display_name();
    let limits = spec
        .limits
        .resolve(&format!("spec.plugins[{index}].limits"))?;
    let trusted = source::fetch(rt.cache(), &name, &spec.source(index, plan.root.path())?)?;
    let info = rt.remembered(&name, &trusted.digest);
    Ok(Fetched {
        index,
        spec,
        name,
        limits,
        trusted,
        info,
    })
}

/// Loads, instantiates and describes the plugins never described before, in parallel (one
/// thread each), in the order of `jobs`.
fn start_unknown<'r>(rt: &'r Runtime, jobs: &[Fetched<'r>]) -> Result<Vec<Started<'r>>> {
    let unknown: Vec<&Fetched> = jobs.iter().filter(|j| j.info.is_none()).collect();
    if unknown.len() < 2 {
        return unknown
            .iter()
            .map(|j| start_trusted(rt, &j.name, &j.trusted, j.limits, None))
            .collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = unknown
            .iter()
            .map(|j| scope.spawn(move || start_trusted(rt, &j.name, &j.trusted, j.limits, None)))
            .collect();
        handles
            .into_iter()
            .zip(&unknown)
            .map(|(h, j)| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("plugin {}: starting it panicked", j.name))?
            })
            .collect()
    })
}
/// Loads and instantiates the plugins described from the cache, in pipeline order, on a thread
/// of a [`std::thread::scope`], and hands each instance over when its turn comes. A plugin the
/// thread has not taken yet when its turn comes is made by the caller itself: waking a thread
/// can take longer than the work (an idle virtual CPU), so the caller never waits for one that
/// has not started.
pub(crate) struct Loader<'r> {
    rt: &'r Runtime,
    /// The plugins no thread has taken yet, in pipeline order.
    queue: Arc<Mutex<VecDeque<Job<'r>>>>,
    /// For each plugin handed to the loader, in pipeline order: its place and where its
    /// instance arrives if the thread makes it.
    made: VecDeque<(usize, mpsc::Receiver<Result<Instance<'r>>>)>,
}

/// A plugin for the loader, and where its instance goes.
struct Job<'r> {
    seq: usize,
    name: String,
    trusted: Trusted,
    limits: Limits,
    made: mpsc::Sender<Result<Instance<'r>>>,
}

impl<'r> Job<'r> {
    fn make(&self, rt: &'r Runtime) -> Result<Instance<'r>> {
        load(rt, &self.name, &self.trusted, &self.limits)?.instantiate(rt, self.limits)
    }
}

/// The queue, even if a thread panicked while holding it (a pop cannot leave it unsound).
fn lock<'a, 'r>(
    queue: &'a Mutex<VecDeque<Job<'r>>>,
) -> std::sync::MutexGuard<'a, VecDeque<Job<'r>>> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'r> Loader<'r> {
    /// Takes the pending plugins of `plugins` and starts loading them in `scope`. The thread
    /// stops at its first failure, or when the loader is dropped.
    pub fn spawn<'scope, 'env>(
        scope: &'scope Scope<'scope, 'env>,
        rt: &'r Runtime,
        plugins: &mut [Ready<'r>],
    ) -> Loader<'r>
    where
        'r: 'scope,
    {
        let mut jobs = VecDeque::new();
        let mut made = VecDeque::new();
        for p in plugins.iter_mut() {
            // Only pending plugins are handed over; a running one keeps its instance.
            let (trusted, limits) = match std::mem::replace(&mut p.start, Start::Loading) {
                Start::Pending(trusted, limits) => (trusted, limits),
                other => {
                    p.start = other;
                    continue;
                }
            };
            let (tx, rx) = mpsc::channel();
            let seq = jobs.len();
            jobs.push_back(Job {
                seq,
                name: p.name.clone(),
                trusted,
                limits,
                made: tx,
            });
            made.push_back((seq, rx));
        }
        // One plugin alone is made by the caller when its turn comes.
        let spawn = jobs.len() > 1;
        let queue = Arc::new(Mutex::new(jobs));
        if spawn {
            let queue = Arc::clone(&queue);
            scope.spawn(move || {
                loop {
                    let next = lock(&queue).pop_front();
                    let Some(job) = next else { break };
                    let instance = job.make(rt);
                    let failed = instance.is_err();
                    if job.made.send(instance).is_err() || failed {
                        break;
                    }
                }
            });
        }
        Loader { rt, queue, made }
    }

    /// The instance of the plugin `name` that `start` came with: the one it was described
    /// with, the one the thread made, or one made now (plugins must be asked for in pipeline
    /// order).
    pub fn instance(&mut self, name: &str, start: Start<'r>) -> Result<Instance<'r>> {
        match start {
            Start::Running(instance) => Ok(instance),
            // Not handed to the loader (it was not in the slice given to `spawn`): made here.
            Start::Pending(trusted, limits) => {
                load(self.rt, name, &trusted, &limits)?.instantiate(self.rt, limits)
            }
            Start::Loading => {
                let Some((seq, made)) = self.made.pop_front() else {
                    return Err(anyhow::anyhow!(
                        "plugin {name}: was not handed to the loader"
                    ));
                };
                let untaken = {
                    let mut queue = lock(&self.queue);
                    if queue.front().is_some_and(|j| j.seq == seq) {
                        queue.pop_front()
                    } else {
                        None
                    }
                };
                match untaken {
                    Some(job) => job.make(self.rt),
                    None => made.recv().unwrap_or_else(|_| {
                        Err(anyhow::anyhow!(
                            "plugin {name}: the thread loading it stopped before it"
                        ))
                    }),
                }
            }
        }
    }
}

/// A plugin fetched, loaded, instantiated and described: what every command that runs or
/// inspects a plugin starts from.
pub struct Started<'r> {
    /// The running instance.
    pub instance: Instance<'r>,
    /// What `describe()` said.
    pub info: wit::PluginInfo,
    /// The component's sha256, lower-case hex.
    pub digest: String,
}

/// Fetches `source` (pin-checked), loads it (precompiled, cached or compiled), instantiates it
/// under `limits` and describes it (from the cache when this component was described before).
pub fn start<'r>(
    rt: &'r Runtime,
    name: &str,
    source: &Source,
    limits: Limits,
) -> Result<Started<'r>> {
    let trusted = source::fetch(rt.cache(), name, source)?;
    let known = rt.remembered(name, &trusted.digest);
    start_trusted(rt, name, &trusted, limits, known)
}

/// Loads and instantiates `trusted`; its description is `known`, else asked for and recorded.
fn start_trusted<'r>(
    rt: &'r Runtime,
    name: &str,
    trusted: &Trusted,
    limits: Limits,
    known: Option<wit::PluginInfo>,
) -> Result<Started<'r>> {
    let plugin = load(rt, name, trusted, &limits)?;
    let info = match known {
        Some(info) => info,
        // Described in an instance of its own: were `run` to follow in the same instance, a
        // plugin could tell a cold cache from a warm one (its memory would hold what
        // `describe` left) and render differently.
        None => plugin
            .instantiate(rt, limits)?
            .describe_recorded(&trusted.digest)?,
    };
    Ok(Started {
        instance: plugin.instantiate(rt, limits)?,
        info,
        digest: trusted.digest.clone(),
    })
}

fn load(rt: &Runtime, name: &str, trusted: &Trusted, limits: &Limits) -> Result<Plugin> {
    rt.load(
        name,
        &trusted.bytes,
        &trusted.digest,
        trusted.precompiled,
        trusted.compile(limits),
    )
}
