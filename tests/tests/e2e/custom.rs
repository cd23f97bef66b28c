//! Plugins that teams write: the example in `plugins/examples/team-overlay` pinned into a
//! pipeline, and `flinkwasm plugins new` scaffolding a crate that builds to a component the
//! host runs.

use flinkwasm_tests::harness::{Scratch, parse_stream, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BIN;

fn pinned_pipeline(s: &Scratch, wasm: &Path, name: &str, config: &str) {
    let bytes = std::fs::read(wasm).unwrap();
    let digest = flinkwasm::runtime::sha256_hex(&bytes);
    s.write(&format!("plugins/{name}.wasm"), &bytes);
    s.team_pipeline(&format!(
        "    - name: {name}\n      path: plugins/{name}.wasm\n      sha256: sha256:{digest}\n      config: {config}\n"
    ));
}

#[test]
fn the_team_overlay_labels_everything_and_adds_a_budget_per_flink_application() {
    let s = Scratch::new(BIN);
    pinned_pipeline(
        &s,
        Path::new(env!("FLINKWASM_TEAM_OVERLAY_WASM")),
        "team-overlay",
        "{team: payments, costCenter: CC-4711}",
    );
    let r = s.run(&["render"], None).ok();
    let o = parse_stream(&r.stdout);
    assert!(
        o.iter()
            .all(|x| x["metadata"]["labels"]["example.com/cost-center"] == "CC-4711")
    );
    let pdbs: Vec<_> = o
        .iter()
        .filter(|x| x["kind"] == "PodDisruptionBudget")
        .collect();
    assert_eq!(pdbs.len(), 2, "one per FlinkApplication");
    let pdb = pdbs
        .iter()
        .find(|p| p["metadata"]["name"] == "my-flink-job-taskmanager")
        .unwrap();
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        serde_json::json!({"app": "my-flink-job", "component": "taskmanager"})
    );
    let app = o.iter().find(|x| x["kind"] == "FlinkApplication").unwrap();
    assert_eq!(
        app["spec"]["podTemplate"]["metadata"]["labels"]["example.com/team"],
        "payments"
    );
    // Its config is checked against its schema by the host.
    pinned_pipeline(
        &s,
        Path::new(env!("FLINKWASM_TEAM_OVERLAY_WASM")),
        "team-overlay",
        "{team: payments}",
    );
    s.run(&["render"], None).fails(3, "costCenter");
}

#[test]
fn plugins_new_scaffolds_a_crate_that_builds_and_runs_in_the_sandbox() {
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &[
                "plugins",
                "new",
                "acme-labels",
                "--dir",
                "src-plugins",
                "--sdk-path",
                repo("plugins/sdk").to_str().unwrap(),
            ],
            None,
        )
        .ok();
    assert!(
        r.stdout.contains("src-plugins/acme-labels/src/lib.rs"),
        "{}",
        r.stdout
    );
    s.run(
        &["plugins", "new", "acme-labels", "--dir", "src-plugins"],
        None,
    )
    .fails(3, "already exists");
    s.run(&["plugins", "new", "Bad_Name"], None)
        .fails(3, "lower-case letters");

    let krate = s.path().join("src-plugins/acme-labels");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scaffolded-plugin");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--release", "--target-dir"])
        .arg(&target)
        .current_dir(&krate)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the scaffold must build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = target.join("wasm32-wasip2/release/acme_labels.wasm");
    pinned_pipeline(
        &s,
        &wasm,
        "acme-labels",
        "{labels: {example.com/owner: acme}}",
    );
    let r = s.run(&["render"], None).ok();
    let o = parse_stream(&r.stdout);
    assert!(
        !o.is_empty()
            && o.iter()
                .all(|x| x["metadata"]["labels"]["example.com/owner"] == "acme")
    );
}
