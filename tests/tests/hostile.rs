//! More hostile plugins and the guarantees around them: a component importing a host function
//! that does not exist, a plugin that renames, deletes or forges objects outside its
//! `select`, and output that is byte-identical across many runs, cold and warm.

use flinkwasm_tests::harness::{INPUT, Scratch, parse_stream};

const BIN: &str = env!("CARGO_BIN_EXE_flinkwasm-cli");

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
