//! Plugins in Python and JavaScript against the same contract: the team-overlay example gives
//! the same bytes in Rust, Python and JavaScript under render, post-render and Argo CD; the
//! hostile probe written in Python is contained with the same messages as the Rust one; and
//! `plugins new --lang` scaffolds projects that build with their one command and run.

use crate::BIN;
use crate::argocd::{RepoServer, argocd_env, plugin};
use flinkwasm::runtime::sha256_hex;
use flinkwasm_tests::harness::{INPUT, Scratch, golden, parse_stream, probe_report, repo};
use flinkwasm_tests::polyglot::{self, LIMITS, Lang};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Where built components and their compile caches are kept between test runs.
fn store() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("polyglot")
}

/// One compile cache per component, filled once per test process by `plugins verify` with
/// `bin` (`config` is a valid config of the plugin, a YAML flow mapping): later runs given it
/// start warm.
fn warm(bin: &str, wasm: &Path, config: &str) -> PathBuf {
    static WARM: OnceLock<Mutex<BTreeMap<PathBuf, PathBuf>>> = OnceLock::new();
    let warmed = WARM.get_or_init(Default::default);
    let mut warmed = warmed.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cache) = warmed.get(wasm) {
        return cache.clone();
    }
    let cache = wasm.with_extension("cache");
    let s = Scratch::new(bin);
    let bytes = std::fs::read(wasm).expect("a built component");
    s.write("plugin.wasm", &bytes);
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: warm}}\nspec:\n  plugins:\n  - name: warm\n    path: plugin.wasm\n    sha256: sha256:{}\n    config: {config}\n    limits: {LIMITS}\n",
            sha256_hex(&bytes)
        ),
    );
    // `plugins verify` compiles and describes the component: the cache is warm after it.
    s.run_env(
        &["plugins", "verify"],
        None,
        &[("FLINKWASM_CACHE_DIR", cache.to_str().expect("a UTF-8 path"))],
    )
    .ok();
    warmed.insert(wasm.to_path_buf(), cache.clone());
    cache
}

const TEAM: &str = "{team: payments, costCenter: CC-4711}";

/// The team-overlay component in `lang` (`None`: Rust) and a compile cache to run it with.
fn team_overlay(lang: Option<Lang>) -> (Vec<u8>, Vec<(&'static str, String)>) {
    match lang {
        None => (
            std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).expect("team-overlay built"),
            Vec::new(),
        ),
        Some(lang) => {
            let wasm = polyglot::team_overlay(lang, &store());
            let cache = warm(BIN, &wasm, TEAM);
            (
                std::fs::read(&wasm).expect("a built component"),
                vec![("FLINKWASM_CACHE_DIR", cache.display().to_string())],
            )
        }
    }
}

/// The plugin entry for team-overlay at `path`, the same text in every language.
fn entry(path: &str, wasm: &[u8]) -> String {
    format!(
        "    - name: team-overlay\n      path: {path}\n      sha256: sha256:{}\n      config: {TEAM}\n      limits: {LIMITS}\n",
        flinkwasm::runtime::sha256_hex(wasm)
    )
}

/// The flink-examples pipeline with team-overlay after flink-environment.
fn examples_pipeline(s: &Scratch, wasm: &[u8]) {
    s.write("plugins/team-overlay.wasm", wasm);
    s.team_pipeline(&entry("plugins/team-overlay.wasm", wasm));
}

/// What team-overlay in `lang` gives under render, post-render and Argo CD's `generate`.
fn outputs(lang: Option<Lang>) -> [String; 3] {
    let (wasm, env) = team_overlay(lang);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = Scratch::new(BIN);
    examples_pipeline(&s, &wasm);
    let render = s.run_env(&["render"], None, &env).ok().stdout;
    let stream = [
        std::fs::read_to_string(repo("workloads/flink-examples/state-machine.yaml")).unwrap(),
        std::fs::read_to_string(repo("workloads/flink-examples/flink-sql.yaml")).unwrap(),
        INPUT.to_string(),
    ]
    .join("\n---\n");
    let post = s.run_env(&["post-render"], Some(&stream), &env).ok().stdout;

    let rs = RepoServer::new();
    let path = "workloads/flink-examples";
    let app = rs.app(path);
    std::fs::write(app.join("team-overlay.wasm"), &wasm).unwrap();
    let pipeline = std::fs::read_to_string(app.join("flinkwasm.yaml")).unwrap();
    let mut with_team = pipeline.trim_end().to_string();
    with_team.push('\n');
    with_team.push_str(&entry("team-overlay.wasm", &wasm));
    std::fs::write(app.join("flinkwasm.yaml"), with_team).unwrap();
    let p = plugin();
    let mut argo = argocd_env("flink-examples", path, &[], "[]");
    argo.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let init = rs.run(&p.spec.init, path, &argo);
    assert!(
        init.status.success(),
        "{lang:?}: init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let generated = rs.run(&p.spec.generate, path, &argo);
    assert!(
        generated.status.success(),
        "{lang:?}: generate: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let argocd = String::from_utf8(generated.stdout).expect("UTF-8 output");
    [render, post, argocd]
}

#[test]
fn the_team_overlay_gives_the_same_bytes_in_rust_python_and_javascript() {
    let rust = outputs(None);
    // The Rust plugin's render is the golden file; it is what the README shows.
    golden("team-overlay", &rust[0]);
    let objects = parse_stream(&rust[0]);
    assert_eq!(
        objects
            .iter()
            .filter(|o| o["kind"] == "PodDisruptionBudget")
            .count(),
        2,
        "a budget per FlinkApplication"
    );
    assert!(
        parse_stream(&rust[2])
            .iter()
            .any(|o| o["kind"] == "PodDisruptionBudget"),
        "Argo CD's render has the budgets"
    );
    for lang in Lang::ALL {
        let other = outputs(Some(lang));
        for (mode, (a, b)) in ["render", "post-render", "argocd generate"]
            .iter()
            .zip(rust.iter().zip(other.iter()))
        {
            assert!(
                a == b,
                "{lang:?} differs from Rust under {mode}:\n--- rust\n{a}\n--- {lang:?}\n{b}"
            );
        }
    }
}

/// A pipeline running the Python probe with `config` and `limits`, its compile cache warm.
fn python_probe(config: &str, limits: &str) -> (Scratch, Vec<(&'static str, String)>) {
    let wasm = polyglot::build(Lang::Python, &repo("tests/plugins/probe-python"), &store());
    let cache = warm(BIN, &wasm, "{action: echo}");
    let bytes = std::fs::read(&wasm).unwrap();
    let s = Scratch::new(BIN);
    s.write("probe.wasm", &bytes);
    let limits = match limits.trim_end_matches('}').trim() {
        "{" => LIMITS.to_string(),
        l => format!("{l}, {}", LIMITS.trim_start_matches('{')),
    };
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: probe-test}}\nspec:\n  target: {{namespace: team-a}}\n  plugins:\n  - name: probe\n    path: probe.wasm\n    sha256: sha256:{}\n    config: {config}\n    limits: {limits}\n",
            flinkwasm::runtime::sha256_hex(&bytes)
        ),
    );
    (
        s,
        vec![("FLINKWASM_CACHE_DIR", cache.display().to_string())],
    )
}

/// Runs the Python probe as a Helm post-renderer over [`INPUT`].
fn post_render(config: &str, limits: &str) -> flinkwasm_tests::harness::Run {
    let (s, env) = python_probe(config, limits);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    s.run_env(&["post-render"], Some(INPUT), &env)
}

#[test]
fn a_python_plugin_hits_the_same_limits_with_the_same_messages() {
    post_render("{action: echo}", "{}").ok();
    post_render("{action: alloc}", "{memory: 64Mi}").fails(
        4,
        "plugin probe: exceeded its memory limit of 64.0 MiB while running",
    );
    let r = post_render("{action: spin}", "{timeout: 500ms}").fails(
        4,
        "plugin probe: timed out after 500ms (its time limit) while running",
    );
    assert!(r.elapsed < Duration::from_secs(20), "took {:?}", r.elapsed);
    post_render("{action: output, size: 4194304}", "{output: 1Mi}")
        .fails(4, "above its output limit of 1.0 MiB");
    post_render("{action: stdout-flood}", "{}")
        .fails(4, "plugin probe: wrote more than 1.0 MiB to stdout/stderr");
    // Python's own recursion limit is lifted: the interpreter's stack lives in linear memory.
    post_render("{action: recurse}", "{memory: 128Mi}")
        .fails(4, "plugin probe: exceeded its memory limit of 128.0 MiB");
    let r = post_render("{action: log-flood}", "{}").ok();
    assert!(
        r.stderr
            .contains("bytes of plugin log dropped (limit 1048576 bytes per call)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_python_plugins_failures_name_the_plugin_the_object_and_the_field() {
    // A bug: the exception's own line, not the runtime's generic panic.
    post_render("{action: raise}", "{}").fails(
        4,
        "plugin probe: panicked or aborted: RuntimeError: probe raised on purpose",
    );
    // A refusal through the SDK: an error diagnostic on the object and field.
    post_render("{action: error}", "{}").fails(
        4,
        "plugin probe: Deployment/team-a/web spec.replicas: probe refuses this object",
    );
}

#[test]
fn a_python_plugin_sees_no_files_network_environment_or_clock() {
    let data = probe_report(
        &post_render("{action: read-file, path: /etc/passwd}", "{}")
            .ok()
            .stdout,
    );
    for key in ["read", "list"] {
        assert!(
            data[key].as_str().unwrap().starts_with("denied"),
            "{data:?}"
        );
    }
    let target = std::env::temp_dir().join(format!("flinkwasm-pyprobe-{}", std::process::id()));
    let data = probe_report(
        &post_render(
            &format!("{{action: write-file, path: '{}'}}", target.display()),
            "{}",
        )
        .ok()
        .stdout,
    );
    assert!(
        data["write"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
    assert!(!target.exists());

    let (s, mut env) = python_probe("{action: env}", "{}");
    env.push(("SECRET_TOKEN", "hunter2".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = s.run_env(&["post-render"], Some(INPUT), &env).ok();
    let data = probe_report(&r.stdout);
    assert_eq!(
        (data["vars"].as_str(), data["args"].as_str()),
        (Some("0"), Some("0"))
    );
    assert!(!r.stdout.contains("hunter2"));

    let data = probe_report(&post_render("{action: net}", "{}").ok().stdout);
    for key in ["tcp", "dns", "udp"] {
        let v = data[key].as_str().unwrap();
        assert!(v.starts_with("denied"), "{key}: {data:?}");
        assert!(
            !v.contains("idna"),
            "{key} never reached the network layer: {v}"
        );
    }

    let a = post_render("{action: nondeterminism}", "{}").ok().stdout;
    let b = post_render("{action: nondeterminism}", "{}").ok().stdout;
    assert_eq!(a, b, "clocks and randomness cannot make output differ");
    let data = probe_report(&a);
    assert_eq!(data["wallClock"], "0");
    assert_eq!(data["monotonic"], "0");
}

/// `plugins new NAME --lang LANG` in a scratch directory; returns the project directory.
fn scaffold(s: &Scratch, name: &str, lang: Lang) -> PathBuf {
    let r = s
        .run(
            &[
                "plugins",
                "new",
                name,
                "--lang",
                lang.name(),
                "--dir",
                "src",
            ],
            None,
        )
        .ok();
    assert!(
        r.stdout.contains(&format!("src/{name}/{}", lang.entry())),
        "{}",
        r.stdout
    );
    s.path().join("src").join(name)
}

/// Runs the scaffold's one build command in `dir`.
fn build_scaffold(dir: &Path, lang: Lang) {
    match lang {
        Lang::Python => succeeds(Command::new("sh").arg("build.sh").current_dir(dir)),
        Lang::JavaScript => {
            // `npm install` once per project, as its README says: here the tests' own install
            // of the same pinned packages.
            std::os::unix::fs::symlink(
                repo("plugins/sdk-js/node_modules"),
                dir.join("node_modules"),
            )
            .unwrap();
            succeeds(
                Command::new("npm")
                    .args(["run", "--silent", "build"])
                    .current_dir(dir),
            );
        }
    }
}

#[test]
fn plugins_new_scaffolds_python_and_javascript_projects_that_build_and_run() {
    for lang in Lang::ALL {
        let s = Scratch::new(BIN);
        let name = format!("acme-{}", lang.name());
        let dir = scaffold(&s, &name, lang);
        s.run(
            &[
                "plugins",
                "new",
                &name,
                "--lang",
                lang.name(),
                "--dir",
                "src",
            ],
            None,
        )
        .fails(3, "already exists");
        // The project carries the contract it is built against, the host's own.
        assert_eq!(
            std::fs::read_to_string(dir.join("wit/plugin.wit")).unwrap(),
            std::fs::read_to_string(repo("wit/plugin.wit")).unwrap()
        );
        build_scaffold(&dir, lang);
        let wasm = std::fs::read(dir.join(format!("{name}.wasm"))).expect("the built component");
        s.write("plugin.wasm", &wasm);
        s.write(
            "flinkwasm.yaml",
            format!(
                "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  target: {{namespace: team-a}}\n  plugins:\n  - name: {name}\n    path: plugin.wasm\n    sha256: sha256:{}\n    config: {{labels: {{example.com/team: payments}}}}\n    limits: {LIMITS}\n",
                flinkwasm::runtime::sha256_hex(&wasm)
            ),
        );
        let out = s.run(&["post-render"], Some(INPUT)).ok().stdout;
        let objects = parse_stream(&out);
        assert_eq!(
            objects[0]["metadata"]["labels"]["example.com/team"], "payments",
            "{lang:?}"
        );
    }
    Scratch::new(BIN)
        .run(&["plugins", "new", "x", "--lang", "cobol"], None)
        .fails(2, "cobol");
}

#[test]
fn a_python_plugin_is_pushed_signed_pulled_and_run_like_any_other() {
    let wasm = polyglot::team_overlay(Lang::Python, &store());
    let cache = warm(BIN, &wasm, TEAM);
    let env = [("FLINKWASM_CACHE_DIR", cache.to_str().expect("a UTF-8 path"))];
    let mut reg = flinkwasm_tests::registry::Registry::start();
    let s = Scratch::new(BIN);
    let keys = s.outside("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (key, public) = crate::oci::openssl_keys(&keys, "platform");
    std::fs::copy(&public, s.path().join("platform.pub")).unwrap();
    let component = std::fs::read(&wasm).unwrap();
    let reference = crate::oci::flinkwasm_push_bytes(
        &s,
        &reg,
        "teams/team-overlay-python",
        Some(&key),
        &component,
    );
    s.team_pipeline(&format!(
        "    - name: team-overlay\n      oci: {reference}\n      config: {TEAM}\n      limits: {LIMITS}\n  verify: {{keys: [platform.pub]}}\n"
    ));
    let pulled = s.run_env(&["plugins", "pull"], None, &env).ok();
    assert!(
        pulled.stdout.contains("ok  team-overlay"),
        "{}",
        pulled.stdout
    );
    reg.stop();
    // Offline now: the pulled, verified Python component gives the Rust plugin's bytes.
    golden(
        "team-overlay",
        &s.run_env(&["render"], None, &env).ok().stdout,
    );
}

/// Runs `cmd` and panics with its output unless it succeeds.
fn succeeds(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_python_and_javascript_sdks_pass_their_own_tests() {
    // Python: natively under CPython, against the bindings componentize-py generates.
    let bindings = tempfile::tempdir().unwrap();
    succeeds(
        Command::new("componentize-py")
            .arg("-d")
            .arg(repo("wit/plugin.wit"))
            .args(["-w", "plugin", "bindings"])
            .arg(bindings.path()),
    );
    let sdk = repo("plugins/sdk-python");
    succeeds(
        Command::new("python3")
            .args(["-m", "unittest", "test_flinkwasm"])
            .current_dir(&sdk)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env(
                "PYTHONPATH",
                format!("{}:{}", bindings.path().display(), sdk.display()),
            ),
    );
    // JavaScript: natively under Node, the host's `log` import stubbed.
    succeeds(
        Command::new("npm")
            .args(["test", "--silent"])
            .current_dir(repo("plugins/sdk-js")),
    );
}
