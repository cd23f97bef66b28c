//! Running the Helm CLI for a chart source (`chart/`): the real `helm` binary, found by
//! `$FLINKWASM_HELM` (an absolute path) or on `PATH` (absolute entries only: in Argo CD the
//! current directory is the repository, which must not supply the binary).
//!
//! Helm is trusted code working on untrusted input (the chart, its values, a repository's
//! answers), so every run is bounded and told only what it needs:
//! - arguments are built by flinkwasm, every value as `--flag=value` after checks in
//!   `chart/`, so no user string is ever read as a flag;
//! - the environment is cleared: `HOME` and Helm's config, cache and data homes point into a
//!   private temporary directory of the run, `PATH` is the system's, and only the proxy and CA
//!   variables pass (how the sidecar reaches a chart repository, README "GitOps");
//! - stdout is read up to [`MAX_OUTPUT`], stderr up to [`MAX_STDERR`]; past the first or after
//!   the wall time the process is killed, and when Helm ends its process group goes too (a
//!   process that left the group and holds the pipes is waited for [`PIPE_GRACE`], no more);
//! - a failure is an input error naming what was asked and Helm's stderr, made safe.

use crate::error;
use anyhow::Result;
use std::ffi::OsString;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most stdout a Helm run may write: far above any chart (the stream bound of stdin).
pub const MAX_OUTPUT: usize = crate::integration::DEFAULT_MAX_INPUT;
/// The most stderr kept from a Helm run.
pub const MAX_STDERR: usize = 64 << 10;
/// The data memory Helm may use (`RLIMIT_DATA`): the real charts render in well under 100 MiB,
/// and a chart that loops building strings must not take the repo-server's memory with it.
pub const MAX_MEMORY: u64 = 1 << 30;
/// How much of Helm's stderr an error shows.
const SHOWN_STDERR: usize = 2000;
/// Environment variables passed to Helm: how it reaches a repository (proxies, CAs).
const PASSED: &[&str] = &[
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// The Helm CLI.
#[derive(Debug, Clone)]
pub struct Helm {
    bin: PathBuf,
}

impl Helm {
    /// `$FLINKWASM_HELM`, else `helm` in an absolute directory of `PATH`.
    pub fn find() -> Result<Helm> {
        Helm::find_with(&|k| std::env::var_os(k))
    }

    /// [`Helm::find`] with `var` for the environment.
    pub fn find_with(var: &dyn Fn(&str) -> Option<OsString>) -> Result<Helm> {
        if let Some(bin) = var("FLINKWASM_HELM").filter(|v| !v.is_empty()) {
            let bin = PathBuf::from(bin);
            if !bin.is_absolute() {
                return Err(error::input(format!(
                    "FLINKWASM_HELM={} is not an absolute path",
                    crate::text::safe(&bin.to_string_lossy())
                )));
            }
            return Ok(Helm { bin });
        }
        let path = var("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join("helm"))
            .find(|bin| executable(bin))
            .map(|bin| Helm { bin })
            .ok_or_else(|| {
                error::input(
                    "the pipeline names a chart, and no Helm CLI was found: put `helm` on PATH \
                     (an absolute directory) or set FLINKWASM_HELM to its absolute path",
                )
            })
    }

    /// Runs `helm ARGS` with `home` as its private home, for at most `timeout`; its stdout, or
    /// an input error naming `what` with Helm's message.
    pub fn run(
        &self,
        args: &[OsString],
        home: &Path,
        timeout: Duration,
        what: &str,
    ) -> Result<Vec<u8>> {
        self.run_with(args, home, timeout, what, &[])
    }

    /// [`Helm::run`] that confines Helm to this machine: every request to another host goes
    /// to a proxy that listens nowhere (Go's HTTP client never proxies a loopback host), so
    /// nothing Helm sends for a loopback registry (credentials above all) leaves the machine,
    /// wherever the registry's challenge or redirects point.
    pub fn run_on_this_machine(
        &self,
        args: &[OsString],
        home: &Path,
        timeout: Duration,
        what: &str,
    ) -> Result<Vec<u8>> {
        const NOWHERE: &str = "http://127.0.0.1:9";
        let confined = [
            ("HTTPS_PROXY", NOWHERE),
            ("HTTP_PROXY", NOWHERE),
            ("https_proxy", NOWHERE),
            ("http_proxy", NOWHERE),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ];
        self.run_with(args, home, timeout, what, &confined)
    }

    fn run_with(
        &self,
        args: &[OsString],
        home: &Path,
        timeout: Duration,
        what: &str,
        env: &[(&str, &str)],
    ) -> Result<Vec<u8>> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(home)
            .env_clear()
            .env("HOME", home)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for k in PASSED {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        // SAFETY: between fork and exec the closure makes only two raw system calls
        // (setrlimit, prctl), which allocate nothing and take no lock.
        unsafe {
            cmd.pre_exec(|| {
                use rustix::process::{Resource, Rlimit, Signal, set_parent_process_death_signal};
                let bound = Rlimit {
                    current: Some(MAX_MEMORY),
                    maximum: Some(MAX_MEMORY),
                };
                rustix::process::setrlimit(Resource::Data, bound)?;
                // Helm dies with flinkwasm (killed by Argo CD's exec timeout, say).
                set_parent_process_death_signal(Some(Signal::KILL))?;
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            error::input(format!(
                "{what}: cannot run Helm ({}): {e}",
                self.bin.display()
            ))
        })?;
        let overflow = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = |pipe: Option<Box<dyn std::io::Read + Send>>, max: usize| {
            let overflow = overflow.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(pipe) = pipe {
                    let _ = pipe.take(max as u64 + 1).read_to_end(&mut bytes);
                }
                if bytes.len() > max {
                    overflow.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                bytes
            })
        };
        let out = reader(child.stdout.take().map(|p| Box::new(p) as _), MAX_OUTPUT);
        let err = reader(child.stderr.take().map(|p| Box::new(p) as _), MAX_STDERR);
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if Instant::now() >= deadline || overflow.load(std::sync::atomic::Ordering::Relaxed) {
                // The whole process group: a child Helm started must not keep the pipes open.
                if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
                    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        // Whatever Helm started in its group goes with it; a process that left the group
        // (setsid) and still holds the pipes gets a short grace, never an unbounded wait.
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let grace = Instant::now() + PIPE_GRACE;
        while !(out.is_finished() && err.is_finished()) {
            if Instant::now() >= grace {
                return Err(error::input(format!(
                    "{what}: Helm exited, but a process it started outside its process group \
                     keeps its output open; refused"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        let message = || {
            let text = String::from_utf8_lossy(&stderr);
            crate::text::safe_within(text.trim(), SHOWN_STDERR).into_owned()
        };
        match status {
            None if stdout.len() > MAX_OUTPUT || stderr.len() > MAX_STDERR => {
                Err(error::input(format!(
                    "{what}: Helm wrote more than {} MiB; refused",
                    MAX_OUTPUT >> 20
                )))
            }
            None => Err(error::input(format!(
                "{what}: Helm did not finish within {} s (killed): {}",
                timeout.as_secs(),
                message()
            ))),
            Some(s) if !s.success() => Err(error::input(format!(
                "{what}: Helm failed ({s}): {}",
                message()
            ))),
            Some(_) if stdout.len() > MAX_OUTPUT => Err(error::input(format!(
                "{what}: Helm wrote more than {} MiB; refused",
                MAX_OUTPUT >> 20
            ))),
            Some(_) => Ok(stdout),
        }
    }
}

/// How long Helm's pipes may stay open after Helm is gone: its own output is read as it is
/// written, so only a process it left behind holds them longer.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Whether `path` is a regular file (after symlinks) someone may execute.
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_comes_from_an_absolute_path_only() {
        let rel = |k: &str| (k == "FLINKWASM_HELM").then(|| OsString::from("bin/helm"));
        assert!(Helm::find_with(&rel).is_err());
        // A relative PATH entry (the repository in Argo CD) is never searched.
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("helm");
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let path = OsString::from(format!(".:{}", dir.path().display()));
        let found = Helm::find_with(&|k| (k == "PATH").then(|| path.clone())).unwrap();
        assert_eq!(found.bin, bin);
        let only_relative = |k: &str| (k == "PATH").then(|| OsString::from("."));
        assert!(Helm::find_with(&only_relative).is_err());
    }

    #[test]
    fn output_time_and_failure_are_bounded_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let script = |body: &str| {
            let bin = dir.path().join("helm");
            std::fs::write(&bin, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            Helm { bin }
        };
        let home = tempfile::tempdir().unwrap();
        let ok = script(
            "echo \"$HOME\" $(env | grep -vc '^HOME=\\|^HELM_\\|^PATH=\\|^PWD=\\|^SHLVL=\\|^_=\\|_PROXY=\\|_proxy=\\|^SSL_CERT_')",
        );
        let out = ok
            .run(&[], home.path(), Duration::from_secs(10), "chart x")
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().trim(),
            format!("{} 0", home.path().display()),
            "a minimal environment"
        );
        let failing = script("printf 'Error: \\033[31mno such chart\\n' >&2; exit 1");
        let e = failing
            .run(&[], home.path(), Duration::from_secs(10), "chart x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("chart x: Helm failed") && e.contains("\\u{1b}[31mno such chart"),
            "{e}"
        );
        let slow = script("sleep 30");
        let started = Instant::now();
        let e = slow
            .run(&[], home.path(), Duration::from_millis(300), "chart x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did not finish"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // A child left in Helm's group dies with it; one that left the group and holds the
        // pipe is waited for only briefly.
        let started = Instant::now();
        let grouped = script("sleep 30 & echo ok");
        let out = grouped
            .run(&[], home.path(), Duration::from_secs(20), "chart x")
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim(), "ok");
        // The script exits only once the child has left the group (its new session wrote
        // the marker): exiting before would race the kill of the group against setsid.
        let marker = dir.path().join("detached");
        let detached = script(&format!(
            "setsid sh -c 'echo left > \"$0\"; exec sleep 30' '{}' &\n\
             while [ ! -s '{}' ]; do sleep 0.01; done; echo ok",
            marker.display(),
            marker.display()
        ));
        let e = detached
            .run(&[], home.path(), Duration::from_secs(20), "chart x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("keeps its output open"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
    }
}
