//! Bad input gets a one-line cause a user can act on, the right exit code and empty stdout.

use flinkwasm_tests::harness::{INPUT, Scratch};

use crate::BIN;

const HEAD: &str =
    "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n";

fn pipeline(body: &str) -> Scratch {
    let s = Scratch::new(BIN);
    s.write("flinkwasm.yaml", format!("{HEAD}{body}"));
    s
}

#[test]
fn a_config_that_breaks_the_schema_names_the_key() {
    pipeline("  plugins:\n  - builtin: flink-environment\n    config: {kafka: {bootstrapServerz: 'k:9092'}}\n")
        .run(&["render"], None)
        .fails(3, "plugin flink-environment: invalid config: config.kafka.bootstrapServerz: unknown key");
    pipeline("  plugins:\n  - builtin: flink-environment\n    config: {schemaRegistry: {url: 'ftp://x'}}\n")
        .run(&["render"], None)
        .fails(3, "config.schemaRegistry.url: ");
}

#[test]
fn a_cluster_value_that_breaks_the_schema_names_the_key() {
    pipeline("  plugins:\n  - builtin: flink-environment\n  clusters:\n    homelab:\n      config:\n        flink-environment: {taskManager: {cpus: 2}}\n")
        .run(&["render", "--cluster", "homelab"], None)
        .fails(3, "config.taskManager.cpus: unknown key");
}

#[test]
fn unknown_pipeline_keys_name_their_path() {
    pipeline("  plugins:\n  - builtin: flink-environment\n    limits: {memry: 1Mi}\n")
        .run(&["render"], None)
        .fails(
            3,
            "flinkwasm.yaml: spec.plugins[0].limits.memry: unknown field `memry`",
        );
}

#[test]
fn limits_can_only_be_tightened() {
    pipeline("  plugins:\n  - builtin: flink-environment\n    limits: {memory: 64Gi}\n")
        .run(&["render"], None)
        .fails(
            3,
            "spec.plugins[0].limits.memory: `64Gi` is above the host's limit",
        );
}

#[test]
fn unknown_clusters_and_plugins_list_the_known_ones() {
    let s = pipeline("  plugins:\n  - builtin: flink-environment\n  clusters: {homelab: {}}\n");
    s.run(&["render", "--cluster", "prod"], None).fails(
        3,
        "unknown cluster `prod`; this pipeline knows: default, homelab",
    );
    pipeline("  plugins:\n  - builtin: nope\n")
        .run(&["render"], None)
        .fails(3, "there is no built-in plugin `nope`");
}

#[test]
fn granted_files_must_stay_inside_the_pipeline_directory() {
    pipeline("  plugins:\n  - builtin: flink-environment\n    files: [../../../../etc/passwd]\n")
        .run(&["render"], None)
        .fails(3, "is outside the pipeline directory");
    pipeline("  plugins:\n  - builtin: flink-environment\n    files: [missing.yaml]\n")
        .run(&["render"], None)
        .fails(3, "spec.plugins[0].files: cannot read missing.yaml");
}

#[test]
fn a_repository_cannot_make_the_host_read_outside_it_through_symlinks_fifos_or_size() {
    let s = pipeline("  plugins:\n  - builtin: cluster-overlay\n    files: [overlay]\n");
    s.write("overlay/ok.yaml", "a: 1\n");
    // A symlink inside a granted directory that leaves the pipeline directory.
    std::os::unix::fs::symlink("/etc/passwd", s.path().join("overlay/passwd")).unwrap();
    let r = s.run(&["post-render"], Some(INPUT)).fails(
        3,
        "spec.plugins[0].files: overlay/passwd is outside the pipeline directory",
    );
    assert!(!r.stderr.contains("root:"), "nothing of the file is shown");
    std::fs::remove_file(s.path().join("overlay/passwd")).unwrap();
    // A FIFO would block the render; a device would never end.
    let fifo = s.path().join("overlay/fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    s.run(&["post-render"], Some(INPUT))
        .fails(3, "overlay/fifo: is not a regular file (it is a FIFO)");
    std::fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink("/dev/zero", s.path().join("overlay/zero")).unwrap();
    s.run(&["post-render"], Some(INPUT))
        .fails(3, "overlay/zero is outside the pipeline directory");
    std::fs::remove_file(s.path().join("overlay/zero")).unwrap();
    s.write("overlay/big.yaml", vec![b'#'; (16 << 20) + 1]);
    s.run(&["post-render"], Some(INPUT)).fails(
        3,
        "overlay/big.yaml: is 16777217 bytes, above the 16777216 bytes",
    );
    std::fs::remove_file(s.path().join("overlay/big.yaml")).unwrap();
    s.run(&["post-render"], Some(INPUT)).ok();

    // The pipeline file itself, the resources and a component are files of the directory too.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\n",
    )
    .unwrap();
    let t = Scratch::new(BIN);
    std::os::unix::fs::symlink(
        other.path().join("secret.yaml"),
        t.path().join("flinkwasm.yaml"),
    )
    .unwrap();
    t.run(&["render"], None)
        .fails(3, "flinkwasm.yaml is outside the pipeline directory");
    let t = pipeline("  resources: [res.yaml]\n  plugins:\n  - builtin: monitoring\n");
    std::os::unix::fs::symlink(other.path().join("secret.yaml"), t.path().join("res.yaml"))
        .unwrap();
    t.run(&["render"], None).fails(
        3,
        "spec.resources: res.yaml is outside the pipeline directory",
    );
    std::fs::copy(
        flinkwasm_tests::harness::probe_wasm(),
        other.path().join("p.wasm"),
    )
    .unwrap();
    let digest =
        flinkwasm::runtime::sha256_hex(&std::fs::read(other.path().join("p.wasm")).unwrap());
    let t = pipeline(&format!(
        "  plugins:\n  - name: p\n    path: p.wasm\n    sha256: sha256:{digest}\n    config: {{action: echo}}\n"
    ));
    std::os::unix::fs::symlink(other.path().join("p.wasm"), t.path().join("p.wasm")).unwrap();
    t.run(&["post-render"], Some(INPUT))
        .fails(3, "plugin p: p.wasm is outside the pipeline directory");
}

#[test]
fn malformed_input_names_document_line_and_column() {
    let s = Scratch::new(BIN);
    s.run(
        &["post-render"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [oops\n"),
    )
    .fails(
        3,
        "stdin: document 2: invalid YAML at line 6 column 1: did not find expected ',' or ']'",
    );
}

#[test]
fn objects_without_identity_are_refused() {
    let s = Scratch::new(BIN);
    s.run(
        &["post-render"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"),
    )
    .fails(3, "stdin: document 1: ConfigMap/: missing metadata.name");
    s.run(&["post-render"], Some("just a string\n")).fails(
        3,
        "expected a Kubernetes object (a mapping), found a string",
    );
}

#[test]
fn duplicate_objects_are_reported() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n";
    Scratch::new(BIN)
        .run(&["post-render"], Some(&format!("{doc}---\n{doc}")))
        .fails(
            3,
            "input: duplicate objects: ConfigMap/x/a (objects 1 and 2)",
        );
}

#[test]
fn an_alias_bomb_and_deep_nesting_are_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let r = Scratch::new(BIN).run(&["post-render"], Some(&bomb));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = Scratch::new(BIN).run(&["post-render"], Some(&deep));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("recursion limit"), "{}", r.stderr);
}

#[test]
fn the_help_documents_the_exit_codes() {
    let r = Scratch::new(BIN).run(&["--help"], None).ok();
    assert!(
        r.stdout.contains("Exit codes:") && r.stdout.contains("5  a plugin could not be trusted"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_unreadable_granted_file_is_an_input_error_naming_the_file() {
    let s = Scratch::new(BIN);
    s.write(
        "overlays/lab/kustomization.yaml",
        b"resources: [\xff\xfe]\n",
    );
    s.write(
        "flinkwasm.yaml",
        "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  defaultCluster: lab\n  plugins:\n  - builtin: cluster-overlay\n    files: [overlays]\n  clusters: {lab: {}}\n",
    );
    s.run(&["post-render"], Some(INPUT)).fails(
        3,
        "plugin cluster-overlay: cannot read granted file overlays/lab/kustomization.yaml",
    );
    // A granted path that does not exist names itself too.
    s.write(
        "flinkwasm.yaml",
        "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins:\n  - builtin: cluster-overlay\n    files: [overlays/missing]\n",
    );
    s.run(&["post-render"], Some(INPUT))
        .fails(3, "spec.plugins[0].files: cannot read overlays/missing");
}

#[test]
fn a_100_mb_stream_is_refused_with_the_limit_named_and_bounded_memory() {
    let s = Scratch::new(BIN);
    let doc =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {k: v}\n";
    let big = doc.repeat(100 * (1 << 20) / doc.len() + 1);
    assert!(big.len() > 100 << 20);
    let r = s.run(&["post-render"], Some(&big)).fails(
        3,
        "stdin is larger than 64 MiB; split the stream or raise FLINKWASM_MAX_INPUT",
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(30),
        "{:?}",
        r.elapsed
    );
    let r = s.run_env(
        &["post-render"],
        Some(&big[..1000]),
        &[("FLINKWASM_MAX_INPUT", "lots")],
    );
    r.fails(3, "FLINKWASM_MAX_INPUT=lots is not a size");
}

#[test]
fn a_stream_that_is_not_utf8_is_refused() {
    let s = Scratch::new(BIN);
    let mut cmd = std::process::Command::new(BIN);
    let out = cmd
        .arg("post-render")
        .current_dir(s.path())
        .env("FLINKWASM_CACHE_DIR", &s.cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("stdin is not UTF-8 (invalid byte at offset 48)")
    );
}

/// A ConfigMap-shaped custom object with `inner` nested `depth` levels under `spec`, as JSON.
fn nested(depth: usize, inner: &str) -> String {
    format!(
        r#"{{"apiVersion":"example.com/v1","kind":"Deep","metadata":{{"name":"d"}},"spec":{}{inner}{}}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    )
}

#[test]
fn an_input_that_would_grow_past_the_streams_bound_as_yaml_is_refused() {
    // The pipeline runs only the probe, echoing what it is given.
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: echo}", "{}");
    // 100,000 one-character lines 100 levels deep: 200 KB of JSON. As a literal block every
    // line would be indented 200 spaces (20 MB); it is written as one quoted line instead.
    let lines = "a\n".repeat(100_000);
    let text = nested(100, &serde_json::to_string(&lines).unwrap());
    let r = s.run(&["post-render"], Some(&text)).ok();
    assert!(r.stdout.len() < 1 << 20, "{} bytes", r.stdout.len());
    let back = flinkwasm_tests::harness::parse_stream(&r.stdout);
    let mut v = &back[0]["spec"];
    for _ in 0..100 {
        v = &v["a"];
    }
    assert_eq!(
        v.as_str(),
        Some(lines.as_str()),
        "the string reads back unchanged"
    );
    // 100,000 items 100 levels deep: 200 KB of JSON, 20 MB of YAML, over a 4 MiB bound.
    let items = format!("[{}0]", "0,".repeat(99_999));
    let text = nested(100, &items);
    let r = s
        .run_env(
            &["post-render"],
            Some(&text),
            &[("FLINKWASM_MAX_OUTPUT", "4Mi")],
        )
        .fails(3, "Deep/d would come to about");
    assert!(
        r.stderr.contains("more than the 4 MiB a stream may be"),
        "{}",
        r.stderr
    );
    // 20,000 tiny objects: 1.2 MB of YAML, and the host's record of each.
    let tiny: String = (0..20_000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"))
        .collect();
    s.run_env(
        &["post-render"],
        Some(&tiny),
        &[("FLINKWASM_MAX_OUTPUT", "16Mi")],
    )
    .fails(3, "the stream comes to more than 16 MiB");
    s.run_env(
        &["post-render"],
        Some(&tiny),
        &[("FLINKWASM_MAX_OUTPUT", "64Mi")],
    )
    .ok();
}
