//! Running the flinkwasm binary in a scratch directory with its own compile cache, and writing
//! pipelines around the probe plugin.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The probe plugin component built by this package's build script.
pub fn probe_wasm() -> PathBuf {
    PathBuf::from(env!("FLINKWASM_PROBE_WASM"))
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Run {
    /// Panics with the run's output unless it exited 0.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstderr:\n{}", self.stderr);
        self
    }

    /// Asserts a failure with `code`, empty stdout, and `needle` on stderr.
    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "stdout must be empty on failure, got:\n{}",
            self.stdout
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// A scratch directory with a private compile cache, and the binary to run there.
pub struct Scratch {
    /// The scratch directory (the pipeline directory).
    pub dir: tempfile::TempDir,
    /// The compile cache directory, outside the pipeline directory (flinkwasm refuses a cache
    /// inside the repository it renders).
    pub cache: PathBuf,
    /// Holds `cache`.
    _cache_home: tempfile::TempDir,
    bin: PathBuf,
}

impl Scratch {
    /// A new scratch directory for `bin` (pass `env!("CARGO_BIN_EXE_flinkwasm-cli")`).
    pub fn new(bin: &str) -> Scratch {
        let dir = tempfile::tempdir().expect("creating a temp dir");
        let cache_home = tempfile::tempdir().expect("creating a temp dir");
        let cache = cache_home.path().join("cache");
        Scratch {
            dir,
            cache,
            _cache_home: cache_home,
            bin: PathBuf::from(bin),
        }
    }

    /// A path outside the pipeline directory (beside the cache), for caches of a test's own.
    pub fn outside(&self, rel: &str) -> PathBuf {
        self._cache_home.path().join(rel)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file below the directory.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("creating parent dirs");
        }
        std::fs::write(&path, content).expect("writing a scratch file");
        path
    }

    /// Runs the binary with `args` in the directory, `stdin` piped in, and the private cache.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_env(args, stdin, &[])
    }

    /// Like [`Scratch::run`] with extra environment variables.
    pub fn run_env(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(self.path())
            .env("FLINKWASM_CACHE_DIR", &self.cache)
            .env_remove("RUST_LOG")
            .env_remove("FLINKWASM_LOG")
            .env_remove("FLINKWASM_PIPELINE")
            .env_remove("FLINKWASM_CLUSTER")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawning flinkwasm");
        if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
            // A plugin that fails early may close stdin first; that is fine.
            let _ = pipe.write_all(text.as_bytes());
        }
        let out = child.wait_with_output().expect("waiting for flinkwasm");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    /// Copies the probe into the directory and writes a pipeline running it with `config`
    /// (YAML flow mapping) and `limits` (YAML flow mapping, may be `{}`), pinned correctly.
    pub fn probe_pipeline(&self, config: &str, limits: &str) {
        let bytes = std::fs::read(probe_wasm()).expect("reading the probe component");
        let digest = flinkwasm::runtime::sha256_hex(&bytes);
        self.write("probe.wasm", &bytes);
        self.write(
            "flinkwasm.yaml",
            format!(
                "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: probe-test}}\nspec:\n  target: {{namespace: team-a}}\n  plugins:\n  - name: probe\n    path: probe.wasm\n    sha256: sha256:{digest}\n    config: {config}\n    limits: {limits}\n"
            ),
        );
    }
    /// Writes the team-plugin pipeline over the seed's FlinkApplications (flink-examples'
    /// two files): flink-environment lowers them without generating, then `entries`, YAML plugin
    /// entries indented four spaces (and any `spec` keys after them, indented two).
    pub fn team_pipeline(&self, entries: &str) {
        for f in ["state-machine.yaml", "flink-sql.yaml"] {
            let from = repo(&format!("workloads/flink-examples/{f}"));
            std::fs::copy(&from, self.path().join(f))
                .unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
        }
        self.write(
            "flinkwasm.yaml",
            format!(
                "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: team}}\nspec:\n  target: {{namespace: confluent}}\n  resources: [state-machine.yaml, flink-sql.yaml]\n  plugins:\n    - builtin: flink-environment\n      config: {{generate: false, argocd: {{enabled: false}}}}\n{entries}"
            ),
        );
    }
}

/// The `probe-report` ConfigMap's data in a probe's output (the Rust and the Python probe).
pub fn probe_report(stdout: &str) -> serde_json::Map<String, serde_json::Value> {
    parse_stream(stdout)
        .into_iter()
        .find(|o| o["metadata"]["name"] == "probe-report")
        .and_then(|o| o["data"].as_object().cloned())
        .expect("a probe-report ConfigMap")
}

/// A small valid input stream.
pub const INPUT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  replicas: 1\n";

/// Parses a YAML stream into JSON values (skipping empty documents).
pub fn parse_stream(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde_json::Value::deserialize(d).expect("valid YAML output"))
        .filter(|v| !v.is_null())
        .collect()
}

/// A path in the repository (`rel` from its root).
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Copies a directory tree (as the Argo CD repo-server copies a repository, or as
/// `helm plugin install` copies a plugin directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy's directory");
    for entry in std::fs::read_dir(from).expect("listing the directory to copy") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// The object of `kind` named `name` in `objects`; panics naming both when there is none.
pub fn find<'a>(objects: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the stream"))
}

/// `chart` (a test chart under `tests/charts`) rendered by the real Helm 4 engine
/// (`tests/helm/render_chart.py`, PyPI `helm-python-sdk`) as release `release` in `namespace`.
pub fn helm_template(
    chart: &str,
    release: &str,
    namespace: &str,
    values: &serde_json::Value,
) -> String {
    let out = Command::new("python3")
        .arg(repo("tests/helm/render_chart.py"))
        .arg(repo(&format!("tests/charts/{chart}")))
        .arg(release)
        .arg(namespace)
        .arg(values.to_string())
        .output()
        .expect("python3 with helm-python-sdk is needed (tests/setup.sh installs it)");
    assert!(
        out.status.success(),
        "rendering {chart} with the Helm engine failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("Helm writes UTF-8")
}

/// Compares `actual` with the golden file `tests/golden/NAME.yaml`, or writes it when
/// `FLINKWASM_UPDATE_GOLDEN` is set (then review the diff).
pub fn golden(name: &str, actual: &str) {
    let path = repo(&format!("tests/golden/{name}.yaml"));
    if std::env::var_os("FLINKWASM_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; set FLINKWASM_UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from {}; if the change is intended, rerun with FLINKWASM_UPDATE_GOLDEN=1 \
         and review the diff",
        path.display()
    );
}
