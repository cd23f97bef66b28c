//! Plugins written in Python and JavaScript, built with the real toolchains (componentize-py,
//! componentize-js) that `tests/setup.sh` installs at pinned versions.
//!
//! A build takes 10 to 20 seconds and its output is not reproducible byte for byte, so each
//! component is built once and kept in the test target directory under the sha256 of everything
//! that goes into it (toolchain version, WIT, SDK, sources). The e2e tests and the benchmark
//! share this file; it needs only `crate::harness::repo`.

use crate::harness::repo;
use flinkwasm::runtime::sha256_hex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// A language a plugin is written in, besides Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lang {
    /// Python, built by componentize-py with the SDK in `plugins/sdk-python`.
    Python,
    /// JavaScript, built by componentize-js with the SDK in `plugins/sdk-js`.
    JavaScript,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::Python, Lang::JavaScript];

    /// The language's name, as `plugins new --lang` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
        }
    }

    /// The entry file of a plugin in this language.
    pub fn entry(self) -> &'static str {
        match self {
            Lang::Python => "app.py",
            Lang::JavaScript => "app.js",
        }
    }

    /// What identifies the toolchain: its pinned version as installed.
    fn toolchain(self) -> String {
        match self {
            Lang::Python => run_text(Command::new("componentize-py").arg("--version")),
            Lang::JavaScript => std::fs::read_to_string(repo("plugins/sdk-js/package-lock.json"))
                .expect("plugins/sdk-js/package-lock.json"),
        }
    }

    /// The SDK file built into every plugin of this language.
    fn sdk(self) -> PathBuf {
        match self {
            Lang::Python => repo("plugins/sdk-python/flinkwasm.py"),
            Lang::JavaScript => repo("plugins/sdk-js/flinkwasm.js"),
        }
    }
}

/// Runs `cmd` and returns its stdout; panics with its stderr when it fails.
fn run_text(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?} (tests/setup.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files of a plugin source directory (not recursive, no `.wasm`), by name.
fn sources(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.ends_with(".wasm") {
            files.insert(name, std::fs::read(entry.path()).expect("a source file"));
        }
    }
    files
}

/// Serialises builds: two tests asking for one component build it once.
static BUILDS: Mutex<()> = Mutex::new(());

/// The component built from the plugin in `dir` (entry `app.py` or `app.js`, the SDK supplied
/// when the directory has no copy of its own), kept in `store` under its inputs' digest.
pub fn build(lang: Lang, dir: &Path, store: &Path) -> PathBuf {
    let _one_at_a_time = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let wit = repo("wit/plugin.wit");
    let mut key = format!("{}\n", lang.toolchain());
    for path in [&wit, &lang.sdk()] {
        key.push_str(&sha256_hex(&std::fs::read(path).expect("WIT and SDK")));
        key.push('\n');
    }
    for (name, content) in sources(dir) {
        key.push_str(&format!("{name} {}\n", sha256_hex(&content)));
    }
    let out = store.join(format!(
        "{}-{}.wasm",
        lang.name(),
        &sha256_hex(key.as_bytes())[..16]
    ));
    if out.is_file() {
        return out;
    }
    std::fs::create_dir_all(store).expect("creating the component store");
    let partial = out.with_extension("partial");
    match lang {
        Lang::Python => run_text(
            Command::new("componentize-py")
                .arg("-d")
                .arg(&wit)
                .args(["-w", "plugin", "componentize", "-p"])
                .arg(repo("plugins/sdk-python"))
                .arg("-p")
                .arg(dir)
                .arg("app")
                .arg("-o")
                .arg(&partial),
        ),
        Lang::JavaScript => run_text(
            Command::new("node")
                .arg(repo("plugins/sdk-js/build.mjs"))
                .arg(dir.join("app.js"))
                .arg(&partial)
                .arg(&wit),
        ),
    };
    std::fs::rename(&partial, &out).expect("keeping the component");
    out
}

/// The team-overlay example (`plugins/examples/team-overlay-<lang>`) built into `store`.
pub fn team_overlay(lang: Lang, store: &Path) -> PathBuf {
    build(
        lang,
        &repo(&format!("plugins/examples/team-overlay-{}", lang.name())),
        store,
    )
}

/// The compile limits a Python or JavaScript component needs on a slow machine: such a
/// component is tens of MB of interpreter, which takes seconds to compile, once.
pub const LIMITS: &str = "{compileTimeout: 300s, compileMemory: 2Gi}";
