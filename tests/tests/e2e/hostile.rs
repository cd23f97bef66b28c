//! More hostile plugins and the guarantees around them: a component importing a host function
//! that does not exist, a plugin that renames, deletes or forges objects outside its
//! `select`, and output that is byte-identical across many runs, cold and warm.

use flinkwasm_tests::harness::{INPUT, Scratch, parse_stream};

use crate::BIN;

#[test]
fn a_component_importing_an_unknown_host_function_is_refused_before_it_runs() {
    let s = Scratch::new(BIN);
    let bytes = std::fs::read(env!("FLINKWASM_ROGUE_IMPORT_WASM")).unwrap();
    let digest = flinkwasm::runtime::sha256_hex(&bytes);
    s.write("rogue.wasm", &bytes);
    s.write(
        "flinkwasm.yaml",
        format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  plugins:\n  - name: rogue\n    path: rogue.wasm\n    sha256: sha256:{digest}\n"),
    );
    let r = s
        .run(&["post-render"], Some(INPUT))
        .fails(5, "plugin rogue");
    assert!(
        r.stderr.contains("exfiltrate"),
        "names the import: {}",
        r.stderr
    );
    // The next run with a good pipeline still works.
    s.probe_pipeline("{action: echo}", "{}");
    s.run(&["post-render"], Some(INPUT)).ok();
}

const TWO: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\nspec: {replicas: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team-a}\ndata: {a: '1'}\n";

fn select_configmaps(s: &Scratch, action: &str) {
    s.probe_pipeline(&format!("{{action: {action}}}"), "{}");
    let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    s.write(
        "flinkwasm.yaml",
        format!("{p}    select: {{kinds: [ConfigMap]}}\n"),
    );
}

#[test]
fn a_plugin_cannot_touch_objects_outside_its_select() {
    let s = Scratch::new(BIN);
    select_configmaps(&s, "rename");
    let r = s.run(&["post-render"], Some(TWO)).ok();
    let names: Vec<String> = parse_stream(&r.stdout)
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["web", "settings-renamed"],
        "the Deployment was not given, so not renamed"
    );

    select_configmaps(&s, "delete");
    let r = s.run(&["post-render"], Some(TWO)).ok();
    assert_eq!(
        parse_stream(&r.stdout),
        parse_stream(TWO)[..1],
        "only what it was given can go"
    );

    select_configmaps(&s, "forge");
    s.run(&["post-render"], Some(TWO)).fails(
        4,
        "plugin probe: returned Deployment/team-a/web, an object it was not given (outside its select)",
    );
}

#[test]
fn renders_are_byte_identical_cold_and_warm() {
    let s = Scratch::new(BIN);
    let first = s.run(&["render"], None).ok().stdout;
    for _ in 0..100 {
        assert_eq!(s.run(&["render"], None).ok().stdout, first, "warm");
    }
    for i in 0..20 {
        let cold = Scratch::new(BIN);
        assert_eq!(
            cold.run(&["render", s.path().to_str().unwrap()], None)
                .ok()
                .stdout,
            first,
            "cold run {i}"
        );
    }
}

/// A pipeline running the component `bytes` as plugin `hostile` with `limits` (a YAML flow
/// mapping), pinned.
fn hand_made(bytes: &[u8], limits: &str) -> Scratch {
    let s = Scratch::new(BIN);
    let digest = flinkwasm_tests::components::write_pinned(s.path(), "hostile.wasm", bytes);
    s.write(
        "flinkwasm.yaml",
        format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  target: {{namespace: team-a}}\n  plugins:\n  - name: hostile\n    path: hostile.wasm\n    sha256: sha256:{digest}\n    limits: {limits}\n"),
    );
    s
}

#[test]
fn memory_is_one_budget_over_every_memory_and_table() {
    use flinkwasm_tests::components::*;
    // Six extra memories of 60 MiB each, declared: 360 MiB under a 64 MiB limit.
    hand_made(&many_memories(6, 960), "{memory: 64Mi}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin hostile: exceeded its memory limit of 64.0 MiB while starting: creating a linear memory would bring its memories and tables to");
    // Six memories grown by 448 MiB each while running, under the default 512 MiB.
    hand_made(&memories_grown_in_run(6, 7168), "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin hostile: exceeded its memory limit of 512.0 MiB while running: growing a linear memory");
    // Twenty tables of 2^20 elements (8 MiB each at their host size); a hundred are more
    // tables than a plugin may have at all.
    hand_made(&many_tables(20, 1 << 20), "{memory: 64Mi}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "creating a table would bring its memories and tables to");
    hand_made(&many_tables(100, 1 << 20), "{memory: 64Mi}")
        .run(&["post-render"], Some(INPUT))
        .fails(
            4,
            "plugin hostile: needs more tables than a plugin may have",
        );
    // More memories than any plugin needs, however small.
    hand_made(&many_memories(12, 1), "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(
            4,
            "plugin hostile: needs more linear memories than a plugin may have",
        );
}

#[test]
fn compiling_an_untrusted_component_is_bounded_and_caches_nothing() {
    let bomb = flinkwasm_tests::components::compile_bomb(60_000, 400);
    let s = hand_made(&bomb, "{compileTimeout: 1s}");
    let r = s.run(&["post-render"], Some(INPUT)).fails(
        4,
        "plugin hostile: compiling it took longer than its compile time limit of 1s (limits.compileTimeout); nothing was cached",
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(8),
        "took {:?}",
        r.elapsed
    );
    let s = hand_made(&bomb, "{compileMemory: 64Mi, compileTimeout: 60s}");
    s.run(&["post-render"], Some(INPUT)).fails(
        4,
        "plugin hostile: compiling it needed more than its compile memory limit of 64 MiB (limits.compileMemory)",
    );
    let cached: Vec<_> = walk(&s.cache)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("builtin-")
        })
        .collect();
    assert!(
        cached.is_empty(),
        "a failed compile leaves nothing: {cached:?}"
    );
}

/// Every file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn a_described_schema_is_bounded_before_the_host_compiles_it() {
    let s = hand_made(&flinkwasm_tests::components::schema_bomb(25 << 20), "{}");
    let r = s.run(&["post-render"], Some(INPUT)).fails(
        4,
        "plugin hostile: describes itself with a config schema of 25.0 MiB, above the 1.0 MiB a schema may have",
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(10),
        "took {:?}",
        r.elapsed
    );
}

#[test]
fn everything_a_plugin_returns_counts_against_its_output_limit() {
    let s = Scratch::new(BIN);
    s.probe_pipeline(
        "{action: diagnostic-flood, size: 67108864}",
        "{output: 1Mi}",
    );
    let r = s
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: returned");
    assert!(
        r.stderr.contains("its output limit of 1.0 MiB"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.len() < 64 << 10,
        "stderr stays small: {} bytes",
        r.stderr.len()
    );
}

const NO_NAMESPACE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n";

#[test]
fn select_compares_objects_as_the_cluster_does() {
    // The withheld Deployment has no namespace, so it lands in the run's (team-a); a
    // Deployment returned with `namespace: team-a` is the same object.
    let s = Scratch::new(BIN);
    select_configmaps(&s, "forge");
    let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    s.write(
        "flinkwasm.yaml",
        p.replace(
            "config: {action: forge}",
            "config: {action: forge, namespace: team-a}",
        ),
    );
    s.run(&["post-render"], Some(NO_NAMESPACE)).fails(
        4,
        "plugin probe: returned Deployment/team-a/web, an object it was not given",
    );
    // And the same object written twice, with and without its namespace, is a duplicate.
    let twice = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team-a}\n";
    s.probe_pipeline("{action: echo}", "{}");
    s.run(&["post-render"], Some(twice))
        .fails(3, "duplicate objects: ConfigMap/team-a/a (objects 1 and 2)");
}

const HELM_INPUT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\n  annotations: {postrenderer.helm.sh/postrender-filename: chart/templates/cm.yaml}\ndata: {a: '1'}\n";

#[test]
fn helm_files_and_krm_paths_stay_the_hosts() {
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: helm-file, label: given}", "{}");
    s.run(&["post-render"], Some(HELM_INPUT)).fails(
        4,
        "plugin probe: changed Helm's postrenderer.helm.sh/postrender-filename of ConfigMap/team-a/settings from `chart/templates/cm.yaml` to `../../x.yaml`",
    );
    s.probe_pipeline("{action: helm-file}", "{}");
    s.run(&["post-render"], Some(HELM_INPUT)).fails(
        4,
        "plugin probe: added ConfigMap/team-a/added with Helm's postrenderer.helm.sh/postrender-filename `../../x.yaml`",
    );
    s.probe_pipeline("{action: helm-file, path: flinkwasm/extra.yaml}", "{}");
    let ok = s.run(&["post-render"], Some(HELM_INPUT)).ok();
    assert!(
        ok.stdout
            .contains("postrenderer.helm.sh/postrender-filename: flinkwasm/extra.yaml")
    );

    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: settings\n    namespace: team-a\n    annotations: {internal.config.kubernetes.io/path: settings.yaml}\n";
    for path in ["../../escaped.yaml", "/etc/cron.d/x", "a/../../b.yaml"] {
        s.probe_pipeline(&format!("{{action: krm-path, path: '{path}'}}"), "{}");
        s.run(&["krm"], Some(list))
            .fails(4, "with internal.config.kubernetes.io/path");
    }
    s.probe_pipeline("{action: delete}", "{}");
    s.run(&["krm"], Some(list)).fails(
        4,
        "the pipeline removed all 1 objects; refusing to print an empty stream",
    );
}

#[test]
fn plugin_text_cannot_forge_lines_or_drive_a_terminal() {
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: forge-lines}", "{}");
    let r = s.run(&["post-render"], Some(INPUT)).ok();
    // Two warnings, two lines, each the host's own.
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    for line in lines {
        assert!(
            line.starts_with(" WARN "),
            "a line the host did not write: {line:?}"
        );
    }
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\r'),
        "{:?}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("innocent\\nerror: plugin flink-operator: forged line\\r\\u{1b}[2Jcleared"),
        "{}",
        r.stderr
    );
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: settings, namespace: team-a}\n";
    let r = s.run(&["krm"], Some(list)).ok();
    assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\r'));
    let results = &parse_stream(&r.stdout)[0]["results"][0];
    assert_eq!(
        results["message"],
        "probe: look\\nerror: plugin cmf: forged too\\u{1b}[31m"
    );
    assert_eq!(results["field"]["path"], "spec\\rforged");
}

#[test]
fn failures_on_returned_json_name_the_plugin_at_any_depth_the_contract_allows() {
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: deep-128}", "{}");
    let ok = s.run(&["post-render"], Some(INPUT)).ok();
    assert!(
        ok.stdout.contains("name: raw"),
        "128 levels are written out"
    );
    for (action, needle) in [
        (
            "deep-129",
            "returned manifest 1: is nested deeper than 128 levels",
        ),
        (
            "huge-number",
            "returned manifest 1 is not JSON: number out of range",
        ),
        ("lone-surrogate", "returned manifest 1 is not JSON"),
        (
            "big-int",
            "an integer beyond 64 bits that cannot be kept exactly",
        ),
        ("merge-key", "has a key `<<`"),
        ("long-key", "has a key of 1100 characters"),
    ] {
        s.probe_pipeline(&format!("{{action: {action}}}"), "{}");
        let r = s
            .run(&["post-render"], Some(INPUT))
            .fails(4, "plugin probe: returned manifest 1");
        assert!(r.stderr.contains(needle), "{action}: {}", r.stderr);
    }
}

#[test]
fn an_emission_policy_keeps_plugins_to_their_grant() {
    let s = Scratch::new(BIN);
    for mode in [&["post-render"][..], &["render"][..]] {
        s.probe_pipeline("{action: escalate}", "{}");
        s.run(mode, Some(INPUT)).fails(
            4,
            "plugin probe: may not write ClusterRoleBinding/everyone-is-admin: the kind ClusterRoleBinding.rbac.authorization.k8s.io is not granted",
        );
        s.probe_pipeline("{action: privileged-daemonset}", "{}");
        s.run(mode, Some(INPUT)).fails(
            4,
            "plugin probe: may not write DaemonSet/kube-system/node-shell: namespace kube-system is not one of the run's (team-a)",
        );
    }
    // Granted, the same objects pass; a grant of `*` still does not cover kube-system.
    s.probe_pipeline("{action: escalate}", "{}");
    let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    let grant = "    emit: {kinds: ['*', ClusterRoleBinding.rbac.authorization.k8s.io], namespaces: ['*'], clusterScoped: true}\n";
    s.write("flinkwasm.yaml", format!("{p}{grant}"));
    let r = s.run(&["post-render"], Some(INPUT)).ok();
    assert!(r.stdout.contains("everyone-is-admin"));
    s.probe_pipeline("{action: privileged-daemonset}", "{}");
    let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    s.write("flinkwasm.yaml", format!("{p}{grant}"));
    s.run(&["post-render"], Some(INPUT)).fails(
        4,
        "namespace kube-system is not granted by its `emit:` in the pipeline (system namespaces must be named",
    );
}

#[test]
fn a_plugin_cannot_smuggle_objects_inside_a_list() {
    let s = Scratch::new(BIN);
    for (action, carrier) in [
        ("smuggle-list", "SecretList/carrier"),
        ("smuggle-items", "ConfigMap/carrier"),
    ] {
        s.probe_pipeline(&format!("{{action: {action}}}"), "{}");
        // Even a plugin granted everything may not write a list.
        let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
        let grant = "    emit: {kinds: ['*', '*.rbac.authorization.k8s.io', Secret], namespaces: ['*'], clusterScoped: true}\n";
        s.write("flinkwasm.yaml", format!("{p}{grant}"));
        for mode in [&["post-render"][..], &["render"][..]] {
            let r = s.run(mode, Some(INPUT)).fails(
                4,
                &format!("plugin probe: may not write {carrier}: it is a list"),
            );
            assert!(r.stdout.is_empty());
        }
    }
    // A list a chart rendered, passed through untouched, is the user's and goes on.
    s.probe_pipeline("{action: echo}", "{}");
    let list = "apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: in-list}\n";
    let r = s.run(&["post-render"], Some(list)).ok();
    assert!(r.stdout.contains("in-list"), "{}", r.stdout);
}

#[test]
fn output_counts_what_it_costs_the_host_not_only_its_json_bytes() {
    let s = Scratch::new(BIN);
    // 200 KiB of JSON, 20 MB of YAML: every item is a line indented 200 spaces.
    s.probe_pipeline("{action: deep-wide, size: 100000}", "{output: 4Mi}");
    let r = s.run(&["render"], None).fails(
        4,
        "plugin probe: its output, written as YAML, comes to more than its output limit of 4.0 MiB by returned manifest 1",
    );
    assert!(r.stdout.is_empty());
    s.probe_pipeline("{action: deep-wide, size: 1000}", "{output: 4Mi}");
    s.run(&["render"], None).ok();
    // 20,000 tiny manifests: 1.4 MB of JSON, and each costs the host its record too.
    s.probe_pipeline("{action: many-tiny, size: 20000}", "{output: 4Mi}");
    s.run(&["render"], None)
        .fails(4, "above its output limit of 4.0 MiB");
    s.probe_pipeline("{action: many-tiny, size: 5000}", "{output: 4Mi}");
    s.run(&["render"], None).ok();
}

#[test]
fn a_plugin_cannot_tell_a_cold_cache_from_a_warm_one() {
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: cold-or-warm}", "{}");
    let cold = s.run(&["post-render"], Some(INPUT)).ok().stdout;
    let warm = s.run(&["post-render"], Some(INPUT)).ok().stdout;
    assert!(cold.contains("described: 'false'"), "{cold}");
    assert_eq!(cold, warm);
}
