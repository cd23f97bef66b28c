//! The compile cache: reused when valid, repaired when corrupt, optional when unwritable, and
//! safe under concurrent renders from an empty cache. The compile path is exercised with a
//! pinned plugin from a file (the team-overlay example); the built-ins are precompiled into the
//! binary and never compiled, which the last tests pin down.

use flinkwasm_tests::harness::Scratch;
use std::path::PathBuf;

use crate::BIN;

/// A pipeline of the five built-ins plus the team-overlay example, pinned by digest.
fn with_pinned_plugin(s: &Scratch) {
    let bytes = std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).unwrap();
    let digest = flinkwasm::runtime::sha256_hex(&bytes);
    s.write("plugins/team-overlay.wasm", &bytes);
    let default = std::fs::read_to_string(flinkwasm_tests::harness::repo(
        "host/src/pipeline/default.yaml",
    ))
    .unwrap();
    let (head, clusters) = default.split_once("\n  clusters:").unwrap();
    s.write(
        "flinkwasm.yaml",
        format!(
            "{head}\n    - name: team-overlay\n      path: plugins/team-overlay.wasm\n      sha256: sha256:{digest}\n      config: {{team: payments, costCenter: CC-4711}}\n      emit: {{kinds: ['*', Application.argoproj.io]}}\n  clusters:{clusters}"
        ),
    );
}

/// The built-ins the default pipeline runs (not `flink-sql`, which only a pipeline that grants
/// it SQL runs).
fn default_builtins() -> Vec<&'static flinkwasm::builtin::Builtin> {
    let text = std::fs::read_to_string(flinkwasm_tests::harness::repo(
        "host/src/pipeline/default.yaml",
    ))
    .unwrap();
    let pipeline: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let names: Vec<&str> = pipeline["spec"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["builtin"].as_str())
        .collect();
    flinkwasm::builtin::BUILTIN_COMPONENTS
        .iter()
        .filter(|b| names.contains(&b.name))
        .collect()
}

/// The compile cache's entries for compiled (not built-in) components.
fn entries(cache: &std::path::Path) -> Vec<PathBuf> {
    all_entries(cache)
        .into_iter()
        .filter(|p| !is_builtin_entry(p))
        .collect()
}

fn is_builtin_entry(p: &std::path::Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("builtin-"))
}

fn all_entries(cache: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    // `checks/` holds passed config checks, not compiled code.
    for engine_dir in std::fs::read_dir(cache)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| d.file_name() != "checks")
    {
        for e in std::fs::read_dir(engine_dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

#[test]
fn a_warm_cache_is_reused_and_a_corrupt_entry_is_recompiled() {
    let s = Scratch::new(BIN);
    with_pinned_plugin(&s);
    let cold = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(cold.stderr.contains("outcome=Miss"), "{}", cold.stderr);
    let files = entries(&s.cache);
    assert_eq!(files.len(), 1, "one entry for the pinned plugin: {files:?}");
    let warm = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(warm.stderr.contains("outcome=Hit"), "{}", warm.stderr);
    assert_eq!(warm.stdout, cold.stdout);

    // Flip one byte in the middle of the compiled code.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&files[0], &bytes).unwrap();
    let repaired = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(
        repaired
            .stderr
            .contains("compile cache entry failed its checks"),
        "{}",
        repaired.stderr
    );
    assert!(
        repaired.stderr.contains("outcome=Corrupt"),
        "{}",
        repaired.stderr
    );
    assert_eq!(repaired.stdout, cold.stdout);

    // A foreign file in its place is not trusted either; then the repaired entry is a hit.
    std::fs::write(&files[0], b"\x7fELF not ours").unwrap();
    s.run(&["render"], None).ok();
    let again = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(again.stderr.contains("outcome=Hit"), "{}", again.stderr);
}

#[test]
fn an_unwritable_cache_directory_does_not_stop_a_render() {
    let s = Scratch::new(BIN);
    let blocker = s.write("not-a-dir", "file");
    let cache = blocker.join("cache");
    with_pinned_plugin(&s);
    let r = s
        .run_env(
            &["render"],
            None,
            &[("FLINKWASM_CACHE_DIR", cache.to_str().unwrap())],
        )
        .ok();
    assert!(r.stdout.contains("kind: FlinkEnvironment"));
    assert!(r.stdout.contains("example.com/cost-center: CC-4711"));
    assert!(r.stderr.contains("compile cache not used"), "{}", r.stderr);
}

#[test]
fn concurrent_renders_from_an_empty_cache_agree() {
    let s = Scratch::new(BIN);
    with_pinned_plugin(&s);
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| s.run(&["render"], None)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("render thread"))
            .collect()
    });
    let first = &runs[0].stdout;
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(&r.stdout, first);
    }
    let files = all_entries(&s.cache);
    assert_eq!(
        files.len(),
        1 + default_builtins().len(),
        "one complete entry per component and no temporary files: {files:?}"
    );
    let warm = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(
        warm.stderr.contains("outcome=Hit"),
        "the entry left by the race is valid: {}",
        warm.stderr
    );
}

#[test]
fn built_ins_are_precompiled_and_mapped_from_the_cache_after_the_first_run() {
    assert!(
        flinkwasm::builtin::BUILTIN_COMPONENTS
            .iter()
            .all(|b| b.precompiled.is_some()),
        "a native build embeds every built-in's machine code"
    );
    let s = Scratch::new(BIN);
    let first = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    let n = default_builtins().len();
    assert_eq!(
        first.stderr.matches("outcome=Precompiled").count(),
        n,
        "no built-in is compiled on a first run: {}",
        first.stderr
    );
    let files = all_entries(&s.cache);
    assert_eq!(files.len(), n, "{files:?}");
    for b in default_builtins() {
        let entry = files
            .iter()
            .find(|p| p.ends_with(format!("builtin-{}.cwasm", b.digest)))
            .unwrap_or_else(|| panic!("no entry for {}: {files:?}", b.name));
        assert_eq!(
            std::fs::read(entry).unwrap(),
            b.precompiled.unwrap(),
            "the entry is a byte copy of the embedded code"
        );
    }
    let second = s.run(&["render"], None).ok();
    assert_eq!(second.stdout, first.stdout);

    // A truncated entry is not mapped: the code comes from the binary, and the entry is
    // written again whole.
    let victim = &files[0];
    let len = std::fs::metadata(victim).unwrap().len();
    std::fs::write(victim, b"short").unwrap();
    let third = s.run(&["render"], None).ok();
    assert_eq!(third.stdout, first.stdout);
    assert_eq!(std::fs::metadata(victim).unwrap().len(), len);
}

#[test]
fn built_ins_render_without_any_cache_directory() {
    let s = Scratch::new(BIN);
    let blocker = s.write("not-a-dir", "file");
    let cache = blocker.join("cache");
    let r = s
        .run_env(
            &["--log-level", "flinkwasm=debug", "render"],
            None,
            &[("FLINKWASM_CACHE_DIR", cache.to_str().unwrap())],
        )
        .ok();
    assert!(r.stdout.contains("kind: FlinkEnvironment"));
    assert_eq!(
        r.stderr.matches("outcome=Precompiled").count(),
        default_builtins().len(),
        "{}",
        r.stderr
    );
}

/// The records in the cache whose names start with `prefix`.
fn records(cache: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(cache.join("checks"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    out.sort();
    out
}

/// The passed-check markers in the cache.
fn checks(cache: &std::path::Path) -> Vec<String> {
    records(cache, "config-")
}

#[test]
fn a_config_check_is_remembered_only_when_it_passed_and_only_in_a_private_directory() {
    const HEAD: &str = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins:\n  - builtin: monitoring\n";
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        format!("{HEAD}    config: {{port: 9249}}\n"),
    );
    s.run(&["render"], None).ok();
    let first = checks(&s.cache);
    assert_eq!(first.len(), 1, "{first:?}");
    s.run(&["render"], None).ok();
    assert_eq!(
        checks(&s.cache),
        first,
        "a passed check is reused, not recorded again"
    );

    // A config that fails is refused every time and never recorded.
    s.write(
        "flinkwasm.yaml",
        format!("{HEAD}    config: {{port: 9249, prot: 1}}\n"),
    );
    for _ in 0..2 {
        s.run(&["render"], None).fails(
            3,
            "plugin monitoring: invalid config: config.prot: unknown key",
        );
    }
    assert_eq!(checks(&s.cache), first);

    // A record planted for the failing config is not trusted where others can write.
    let info = s.run(&["plugins", "inspect", "monitoring"], None).ok();
    let info: serde_json::Value = serde_json::from_str(&info.stdout).expect("inspect JSON");
    let schema = serde_json::to_string(&info["configSchema"]).expect("schema text");
    let bad = serde_json::json!({"port": 9249, "prot": 1});
    let key = flinkwasm::schema::check_key(&schema, &bad);
    let dir = s.cache.join("checks");
    std::fs::write(dir.join(&key), b"").expect("planting a record");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    s.run(&["render"], None)
        .fails(3, "config.prot: unknown key");
    // The same record in a private directory is what a passed check leaves, and is used (so
    // the key above is the one flinkwasm computes): the host skips its check and the plugin's
    // own config parsing refuses the key instead.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    s.run(&["render"], None).fails(
        4,
        "plugin monitoring: invalid plugin configuration: unknown field `prot`",
    );
}

#[test]
fn a_description_is_remembered_per_component_and_only_trusted_in_a_private_directory() {
    const PIPELINE: &str = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins:\n  - builtin: monitoring\n";
    const ENV: &str = "apiVersion: platform.confluent.io/v1\nkind: FlinkEnvironment\nmetadata: {name: env, namespace: confluent}\nspec:\n  kubernetesNamespace: confluent\n  flinkApplicationDefaults:\n    spec:\n      flinkConfiguration: {taskmanager.numberOfTaskSlots: \"1\"}\n";
    let s = Scratch::new(BIN);
    s.write("flinkwasm.yaml", PIPELINE);
    let debug = ["--log-level", "flinkwasm=debug", "post-render"];
    // A first run asks the plugin and records its answer; the second reads the record.
    let first = s.run(&debug, Some(ENV)).ok();
    assert!(!first.stderr.contains("description read from the cache"));
    assert!(
        first.stdout.contains("metrics.reporter"),
        "monitoring turns the reporter on: {}",
        first.stdout
    );
    let names = records(&s.cache, "describe-");
    assert_eq!(names.len(), 1, "{names:?}");
    let path = s.cache.join("checks").join(&names[0]);
    let record = std::fs::read_to_string(&path).expect("record");
    let parsed: serde_json::Value = serde_json::from_str(&record).expect("a JSON record");
    assert_eq!(parsed["name"], "monitoring");
    let second = s.run(&debug, Some(ENV)).ok();
    assert!(second.stderr.contains("description read from the cache"));
    assert_eq!(second.stdout, first.stdout);

    // A record that does not decode is ignored, and replaced by the plugin's own answer.
    std::fs::write(&path, "{not json").expect("spoiling the record");
    let third = s.run(&debug, Some(ENV)).ok();
    assert!(!third.stderr.contains("description read from the cache"));
    assert_eq!(third.stdout, first.stdout);
    assert_eq!(std::fs::read_to_string(&path).expect("record"), record);

    // A record is what the host believes: one saying monitoring only generates makes a
    // post-render skip it. It is believed only where no one else can write.
    let mut forged = parsed.clone();
    forged["role"] = "generator".into();
    std::fs::write(&path, forged.to_string()).expect("forging the record");
    use std::os::unix::fs::PermissionsExt;
    let dir = s.cache.join("checks");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let open = s.run(&["post-render"], Some(ENV)).ok();
    assert_eq!(
        open.stdout, first.stdout,
        "a shared directory's record is ignored"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let private = s.run(&["post-render"], Some(ENV)).ok();
    assert!(
        !private.stdout.contains("metrics.reporter"),
        "the private record is used (so the test above could fail): {}",
        private.stdout
    );
}

#[test]
fn plugins_described_from_the_cache_and_a_new_one_run_together_as_from_an_empty_cache() {
    let s = Scratch::new(BIN);
    let bytes = std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).expect("team-overlay built");
    let digest = flinkwasm::runtime::sha256_hex(&bytes);
    s.write("team-overlay.wasm", &bytes);
    const HEAD: &str = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  target: {namespace: confluent}\n  plugins:\n  - builtin: flink-operator\n";
    // The built-ins are described once, alone.
    s.write("flinkwasm.yaml", format!("{HEAD}  - builtin: monitoring\n"));
    s.run(&["render"], None).ok();
    // Then a plugin never described runs between them: it starts while the plan is made, the
    // built-ins come from the loader.
    s.write(
        "flinkwasm.yaml",
        format!(
            "{HEAD}  - name: team-overlay\n    path: team-overlay.wasm\n    sha256: sha256:{digest}\n    config: {{team: payments, costCenter: CC-1}}\n    emit: {{kinds: ['*', Application.argoproj.io]}}\n  - builtin: monitoring\n"
        ),
    );
    let mixed = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    for plugin in ["flink-operator", "monitoring"] {
        assert!(
            mixed.stderr.contains(&format!(
                "description read from the cache plugin=\"{plugin}\""
            )),
            "{plugin} described from the cache: {}",
            mixed.stderr
        );
    }
    assert!(
        !mixed
            .stderr
            .contains("description read from the cache plugin=\"team-overlay\"")
    );
    let empty = s.outside("empty-cache");
    let fresh = s
        .run_env(
            &["render"],
            None,
            &[("FLINKWASM_CACHE_DIR", empty.to_str().unwrap())],
        )
        .ok();
    assert_eq!(mixed.stdout, fresh.stdout);
    assert!(
        mixed.stdout.contains("example.com/cost-center: CC-1"),
        "team-overlay ran: {}",
        mixed.stdout
    );
    assert!(
        mixed.stdout.contains("name: flink-dashboard"),
        "monitoring ran"
    );
}

/// A pipeline running the probe (echo), pinned, in `s`.
fn with_probe(s: &Scratch) -> String {
    s.probe_pipeline("{action: label, label: from-probe}", "{}");
    flinkwasm::runtime::sha256_hex(&std::fs::read(flinkwasm_tests::harness::probe_wasm()).unwrap())
}

/// A valid compiled entry of the team-overlay example and its engine directory's name, made
/// in a private cache of its own.
fn entry_of_another_component() -> (String, Vec<u8>) {
    let other = Scratch::new(BIN);
    with_pinned_plugin(&other);
    other.run(&["render"], None).ok();
    let files = entries(&other.cache);
    assert_eq!(files.len(), 1, "{files:?}");
    let engine = files[0]
        .parent()
        .and_then(|p| p.file_name())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (engine, std::fs::read(&files[0]).unwrap())
}

/// Plants `entry` as the compiled entry of the component `digest` in `dir`.
fn plant(dir: &std::path::Path, engine: &str, digest: &str, entry: &[u8]) {
    let at = dir.join(engine);
    std::fs::create_dir_all(&at).unwrap();
    std::fs::write(at.join(format!("{digest}.cwasm")), entry).unwrap();
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn code_from_a_directory_others_control_never_runs() {
    use std::os::unix::fs::PermissionsExt;
    let (engine, foreign) = entry_of_another_component();
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    let uid = String::from_utf8_lossy(&uid.stdout).trim().to_string();

    // In a private cache, another component's valid entry under this component's key is
    // refused by its header and recompiled.
    let s = Scratch::new(BIN);
    let digest = with_probe(&s);
    let clean = s
        .run(&["post-render"], Some(flinkwasm_tests::harness::INPUT))
        .ok();
    plant(&s.cache, &engine, &digest, &foreign);
    let r = s
        .run(
            &["--log-level", "flinkwasm=debug", "post-render"],
            Some(flinkwasm_tests::harness::INPUT),
        )
        .ok();
    assert!(
        r.stderr.contains("compile cache entry failed its checks"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stdout, clean.stdout,
        "the probe ran, not the planted component"
    );

    // A world-writable directory (an emptyDir, say) is not used itself: flinkwasm works in a
    // private subdirectory of its own, and what was planted beside it never loads.
    let shared = s.outside("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    plant(&shared, &engine, &digest, &foreign);
    let env = [("FLINKWASM_CACHE_DIR", shared.to_str().unwrap())];
    let debug = ["--log-level", "flinkwasm=debug", "post-render"];
    let r = s
        .run_env(&debug, Some(flinkwasm_tests::harness::INPUT), &env)
        .ok();
    assert_eq!(r.stdout, clean.stdout);
    assert!(r.stderr.contains("outcome=Miss"), "{}", r.stderr);
    let private = shared.join(format!("flinkwasm-{uid}"));
    assert!(
        private
            .join(&engine)
            .join(format!("{digest}.cwasm"))
            .is_file()
    );
    let again = s
        .run_env(&debug, Some(flinkwasm_tests::harness::INPUT), &env)
        .ok();
    assert!(
        again.stderr.contains("outcome=Hit"),
        "the private subdirectory is the cache: {}",
        again.stderr
    );

    if !is_root() {
        eprintln!("not root: the other-uid cases of this test need root (CI runs as root)");
        return;
    }
    // A directory that belongs to another user, mode 0755: the same.
    let theirs = s.outside("theirs");
    std::fs::create_dir(&theirs).unwrap();
    plant(&theirs, &engine, &digest, &foreign);
    std::os::unix::fs::chown(&theirs, Some(4321), Some(4321)).unwrap();
    std::os::unix::fs::chown(theirs.join(&engine), Some(4321), Some(4321)).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [("FLINKWASM_CACHE_DIR", theirs.to_str().unwrap())];
    let r = s
        .run_env(&debug, Some(flinkwasm_tests::harness::INPUT), &env)
        .ok();
    assert_eq!(r.stdout, clean.stdout);
    assert!(r.stderr.contains("outcome=Miss"), "{}", r.stderr);

    // A symlink another user owns on the way to a private cache that holds a planted entry:
    // it could be pointed anywhere, so the cache is not used at all.
    let target = s.outside("target-cache");
    std::fs::create_dir(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
    plant(&target, &engine, &digest, &foreign);
    let link = s.outside("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(4321), Some(4321)).unwrap();
    let env = [("FLINKWASM_CACHE_DIR", link.to_str().unwrap())];
    let r = s
        .run_env(&debug, Some(flinkwasm_tests::harness::INPUT), &env)
        .ok();
    assert_eq!(r.stdout, clean.stdout);
    assert!(
        r.stderr.contains("is a symlink that belongs to uid 4321"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("outcome=Disabled"), "{}", r.stderr);
    // Swapped for a symlink of the user's own, the same path is a cache again: the planted
    // entry is refused by its header and replaced.
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = s
        .run_env(&debug, Some(flinkwasm_tests::harness::INPUT), &env)
        .ok();
    assert_eq!(r.stdout, clean.stdout);
    assert!(r.stderr.contains("outcome=Corrupt"), "{}", r.stderr);
}

#[test]
fn a_description_planted_where_others_can_write_is_not_believed() {
    use std::os::unix::fs::PermissionsExt;
    const PIPELINE: &str = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins:\n  - builtin: monitoring\n";
    const ENV: &str = "apiVersion: platform.confluent.io/v1\nkind: FlinkEnvironment\nmetadata: {name: env, namespace: confluent}\nspec:\n  kubernetesNamespace: confluent\n  flinkApplicationDefaults:\n    spec:\n      flinkConfiguration: {taskmanager.numberOfTaskSlots: \"1\"}\n";
    let s = Scratch::new(BIN);
    s.write("flinkwasm.yaml", PIPELINE);
    let first = s.run(&["post-render"], Some(ENV)).ok();
    let name = records(&s.cache, "describe-")
        .pop()
        .expect("a description record");
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.cache.join("checks").join(&name)).unwrap())
            .unwrap();
    forged["role"] = "generator".into();
    // The whole cache directory world-writable, with the forged record in it.
    let shared = s.outside("shared");
    std::fs::create_dir_all(shared.join("checks")).unwrap();
    std::fs::write(shared.join("checks").join(&name), forged.to_string()).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let r = s
        .run_env(
            &["post-render"],
            Some(ENV),
            &[("FLINKWASM_CACHE_DIR", shared.to_str().unwrap())],
        )
        .ok();
    assert_eq!(
        r.stdout, first.stdout,
        "monitoring still ran as a transformer"
    );
}

#[test]
fn a_relative_cache_path_never_puts_the_cache_in_the_repository() {
    // In Argo CD and CI the working directory is the repository being rendered, whose files
    // are the user's own: a cache there would run whatever machine code the repository holds.
    let s = Scratch::new(BIN);
    with_pinned_plugin(&s);
    let r = s
        .run_env(
            &["render"],
            None,
            &[
                ("FLINKWASM_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", ".xdg"),
                ("HOME", "."),
            ],
        )
        .ok();
    assert!(r.stdout.contains("example.com/cost-center: CC-4711"));
    assert!(
        r.stderr.contains("$HOME (.) is not an absolute path"),
        "{}",
        r.stderr
    );
    assert!(!s.path().join(".xdg").exists());
    assert!(!s.path().join(".cache/flinkwasm").exists());
    let r = s
        .run_env(&["render"], None, &[("FLINKWASM_CACHE_DIR", "cache")])
        .ok();
    assert!(
        r.stderr
            .contains("$FLINKWASM_CACHE_DIR (cache) is not an absolute path")
    );
    assert!(!s.path().join("cache").exists());
}

/// Renders the pinned-plugin pipeline at `dir` (`None`: the scratch directory) with the cache
/// in `cache`, which is in the repository: the render succeeds, the cache is refused.
fn renders_refusing_the_cache(s: &Scratch, dir: Option<&std::path::Path>, cache: &std::path::Path) {
    let mut args = vec!["--log-level", "flinkwasm=debug", "render"];
    args.extend(dir.and_then(|d| d.to_str()));
    let r = s
        .run_env(
            &args,
            None,
            &[("FLINKWASM_CACHE_DIR", cache.to_str().unwrap())],
        )
        .ok();
    assert!(r.stdout.contains("example.com/cost-center: CC-4711"));
    assert!(
        r.stderr.contains("is inside the repository being rendered"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("outcome=Hit"), "{}", r.stderr);
}

#[test]
fn a_cache_inside_the_pipeline_directory_is_never_used_however_it_is_named() {
    // An absolute path can name the repository too (`$PWD/.cache`, `/proc/self/cwd/...`): its
    // files are the user's own and would pass every other check.
    let s = Scratch::new(BIN);
    with_pinned_plugin(&s);
    renders_refusing_the_cache(&s, None, &s.path().join("planted"));
    renders_refusing_the_cache(&s, None, std::path::Path::new("/proc/self/cwd/planted"));
}

#[test]
fn a_cache_anywhere_in_the_git_work_tree_of_the_pipeline_is_never_used() {
    // The pipeline in apps/demo of a checked-out repository, the cache at its top.
    let s = Scratch::new(BIN);
    with_pinned_plugin(&s);
    let top = s.outside("repo");
    let app = top.join("apps/demo");
    std::fs::create_dir_all(top.join(".git")).unwrap();
    flinkwasm_tests::harness::copy_dir(s.path(), &app);
    renders_refusing_the_cache(&s, Some(&app), &top.join(".cache"));
}
