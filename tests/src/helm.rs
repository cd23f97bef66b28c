//! The Helm side of the chart-source tests: the `helm` test fixture on a PATH of its own
//! (`tests/helm/helm-fixture`, built on the real Helm 4 engine, since the Helm CLI is not
//! installable here), and a real chart repository served on 127.0.0.1 (test charts packaged by
//! the engine, with their `index.yaml`) by a small HTTP server thread that stops when dropped.

use crate::harness::repo;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A directory holding `helm`: the fixture, run by the `python3` that has helm-python-sdk.
pub struct HelmFixture {
    dir: tempfile::TempDir,
}

impl HelmFixture {
    /// Writes `bin/helm` (a shell wrapper naming the interpreter and the fixture by absolute
    /// path, since flinkwasm gives Helm only the system's PATH).
    pub fn new() -> HelmFixture {
        let dir = tempfile::tempdir().expect("a temp dir");
        let python = which("python3").expect("python3 on PATH (tests/setup.sh)");
        let bin = dir.path().join("helm");
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
                python.display(),
                repo("tests/helm/helm-fixture").display()
            ),
        )
        .expect("writing the wrapper");
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("making it executable");
        HelmFixture { dir }
    }

    /// The directory to put on PATH.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `helm` executable.
    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("helm")
    }
}

impl Default for HelmFixture {
    fn default() -> Self {
        HelmFixture::new()
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A chart repository on 127.0.0.1: packaged test charts and `index.yaml`, served until
/// dropped.
pub struct ChartRepo {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// Each archive's `sha256:` digest, by file name.
    pub digests: Vec<(String, String)>,
    /// How many requests it answered.
    pub requests: Arc<AtomicUsize>,
    dir: tempfile::TempDir,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChartRepo {
    /// Packages `charts` (directories under `tests/charts`) and serves them.
    pub fn serve(charts: &[&str]) -> ChartRepo {
        let dir = tempfile::tempdir().expect("a temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1");
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(repo("tests/helm/chart_repo.py"))
            .arg(dir.path())
            .arg(&url);
        for c in charts {
            cmd.arg(repo(&format!("tests/charts/{c}")));
        }
        let out = cmd.output().expect("python3 with helm-python-sdk");
        assert!(
            out.status.success(),
            "packaging the test charts: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let digests = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(path, digest)| {
                let name = Path::new(path).file_name().unwrap().to_string_lossy();
                (name.into_owned(), digest.to_string())
            })
            .collect();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let root = dir.path().to_path_buf();
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                // Bounded: the thread ends when the repository is dropped, or after 10 minutes.
                let deadline = std::time::Instant::now() + Duration::from_secs(600);
                while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            requests.fetch_add(1, Ordering::Relaxed);
                            let _ = answer(stream, &root);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        ChartRepo {
            url,
            digests,
            requests,
            dir,
            stop,
            thread: Some(thread),
        }
    }

    /// The digest (`sha256:…`) of the archive whose name starts with `chart`.
    pub fn digest(&self, chart: &str) -> &str {
        &self
            .digests
            .iter()
            .find(|(n, _)| n.starts_with(chart))
            .unwrap_or_else(|| panic!("{chart} is not in the repository"))
            .1
    }

    /// The directory served.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ChartRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one HTTP/1.x GET with a file of `root` (plain names only), else 404.
fn answer(stream: std::net::TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let name = request
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/');
    let mut out = stream;
    let body = (!name.is_empty() && !name.contains('/') && !name.contains(".."))
        .then(|| std::fs::read(root.join(name)).ok())
        .flatten();
    match body {
        Some(body) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)
        }
        None => out
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}
