//! Work on untrusted input in a child process of this binary, bounded in memory and time.
//!
//! Compiling a component (Cranelift) and compiling a JSON Schema (jsonschema) run in the host,
//! outside the sandbox's limits, on bytes a plugin's author chose: a component with one huge
//! function, or a schema built to be slow, can take seconds and gigabytes. So the host hands
//! such work to a copy of itself (`/proc/self/exe __isolate JOB`), which caps its own data
//! segment (`RLIMIT_DATA`) and CPU time (`RLIMIT_CPU`) before reading its input, dies with its
//! parent, and is killed by the parent at the wall-time bound. The child writes its result on
//! stdout (read up to a bound) or a message on stderr; nothing it does reaches the cache unless
//! the parent accepts the result.
//!
//! This module knows nothing of plugins or schemas: [`run`] is the parent's side, [`enter`]
//! the child's first step; what a job does is the caller's.

use std::io::{Read as _, Write as _};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand the child is started with.
pub const SUBCOMMAND: &str = "__isolate";

/// The exit code a child uses when it refuses its input (the input is invalid, not the child
/// broken): its stderr says why.
pub const REFUSED: u8 = 3;

/// The bounds of one job.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The child's data segment, in bytes.
    pub memory: usize,
    /// Wall time until the child is killed.
    pub timeout: Duration,
    /// The most bytes of result read from the child.
    pub output: usize,
}

/// Why a job gave no result.
#[derive(Debug)]
pub enum Failure {
    /// It ran past its wall time and was killed.
    Time,
    /// It ran out of its memory bound.
    Memory,
    /// It refused its input; the child's message.
    Refused(String),
    /// It returned more than its output bound.
    TooLarge,
    /// The child could not run or died otherwise; what is known.
    Broken(String),
}

/// Runs `job` on `input` in a child process under `bounds` and returns what it wrote on stdout.
pub fn run(job: &str, input: &[u8], bounds: Bounds) -> Result<Vec<u8>, Failure> {
    let exe = std::path::Path::new("/proc/self/exe");
    let exe = if exe.exists() {
        exe.to_path_buf()
    } else {
        std::env::current_exe()
            .map_err(|e| Failure::Broken(format!("cannot find flinkwasm: {e}")))?
    };
    let mut child = Command::new(exe)
        .arg(SUBCOMMAND)
        .arg(job)
        .arg(bounds.memory.to_string())
        .arg(bounds.timeout.as_secs().max(1).to_string())
        // Nothing of the parent's environment is needed, and none of it should leak in.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::Broken(format!("cannot start the isolated process: {e}")))?;
    let deadline = Instant::now() + bounds.timeout;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    std::thread::scope(|s| {
        // A child that dies early closes its stdin; the write error is then not the story.
        s.spawn(move || stdin.map(|mut w| w.write_all(input)));
        let out = s.spawn(move || read_bounded(stdout, bounds.output));
        let err = s.spawn(move || read_bounded(stderr, 64 << 10));
        let status = wait_until(&mut child, deadline);
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        let message = String::from_utf8_lossy(&err).trim().to_string();
        match status {
            None => Err(Failure::Time),
            Some(Err(e)) => Err(Failure::Broken(format!("waiting for it failed: {e}"))),
            Some(Ok(status)) => judge(status, out, message, bounds),
        }
    })
}

/// What a finished child's status, output and message mean.
fn judge(
    status: std::process::ExitStatus,
    out: Vec<u8>,
    message: String,
    bounds: Bounds,
) -> Result<Vec<u8>, Failure> {
    use std::os::unix::process::ExitStatusExt as _;
    if status.success() {
        return if out.len() > bounds.output {
            Err(Failure::TooLarge)
        } else {
            Ok(out)
        };
    }
    let out_of_memory = message.contains("memory allocation of")
        || message.contains("out of memory")
        || message.contains("Cannot allocate memory");
    match (status.code(), status.signal()) {
        (Some(code), _) if code == i32::from(REFUSED) => Err(Failure::Refused(message)),
        // SIGXCPU: the CPU-time backstop.
        (_, Some(24)) => Err(Failure::Time),
        _ if out_of_memory => Err(Failure::Memory),
        (_, Some(signal)) => Err(Failure::Broken(format!(
            "it was ended by signal {signal}{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        ))),
        (code, None) => Err(Failure::Broken(format!(
            "it exited with {}{}",
            code.map_or("no code".to_string(), |c| c.to_string()),
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        ))),
    }
}

/// Waits for `child` until `deadline`; kills it then (`None`).
fn wait_until(
    child: &mut std::process::Child,
    deadline: Instant,
) -> Option<std::io::Result<std::process::ExitStatus>> {
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Reads `from` to its end, keeping at most `max + 1` bytes (one more than allowed tells the
/// caller it was too much) and draining the rest so the child never blocks on a full pipe.
fn read_bounded(from: Option<impl std::io::Read>, max: usize) -> Vec<u8> {
    let Some(mut from) = from else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let _ = (&mut from).take(max as u64 + 1).read_to_end(&mut kept);
    let _ = std::io::copy(&mut from, &mut std::io::sink());
    kept
}

/// The child's first step: bounds itself (`memory` bytes of data, CPU time for `timeout_secs`
/// on every core plus a margin, no core dumps), asks to die with its parent, and reads its
/// input from stdin (at most `max_input` bytes). Errors are for the child to report and exit.
pub fn enter(memory: u64, timeout_secs: u64, max_input: usize) -> Result<Vec<u8>, String> {
    use rustix::process::{Resource, Rlimit, Signal, set_parent_process_death_signal, setrlimit};
    let limit = |r: Resource, v: u64| {
        setrlimit(
            r,
            Rlimit {
                current: Some(v),
                maximum: Some(v),
            },
        )
        .map_err(|e| format!("cannot bound the isolated process ({r:?}): {e}"))
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    limit(Resource::Data, memory)?;
    limit(
        Resource::Cpu,
        timeout_secs.saturating_mul(cores).saturating_add(2),
    )?;
    limit(Resource::Core, 0)?;
    set_parent_process_death_signal(Some(Signal::KILL))
        .map_err(|e| format!("cannot tie the isolated process to its parent: {e}"))?;
    let mut input = Vec::new();
    std::io::stdin()
        .take(max_input as u64 + 1)
        .read_to_end(&mut input)
        .map_err(|e| format!("reading input: {e}"))?;
    if input.len() > max_input {
        return Err(format!("input above {max_input} bytes"));
    }
    Ok(input)
}

/// Ends the child: `result` on stdout (exit 0), or its message on stderr with [`REFUSED`].
pub fn leave(result: Result<Vec<u8>, String>) -> ExitCode {
    match result {
        Ok(bytes) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            ExitCode::from(REFUSED)
        }
    }
}
