//! `cluster-overlay` against the real kustomize: the same overlays built by `kubectl kustomize`
//! (kustomize v5.5 on this machine image) and by flinkwasm must give the same objects.

use flinkwasm_tests::harness::{Scratch, copy_dir, parse_stream, repo};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

use crate::BIN;

/// `kubectl kustomize DIR`, parsed; the test fails (it does not skip) without kubectl.
fn kustomize(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is needed for this test (it ships kustomize)");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    parse_stream(&String::from_utf8(out.stdout).unwrap())
}

fn sorted(objects: Vec<Value>) -> Vec<String> {
    let mut v: Vec<String> = objects
        .iter()
        .map(|o| serde_json::to_string_pretty(o).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn every_overlay_feature_matches_kubectl_kustomize() {
    let fixture = repo("tests/fixtures/overlay");
    let expected = kustomize(&fixture.join("overlays/lab"));
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &["render", fixture.to_str().unwrap(), "--cluster", "lab"],
            None,
        )
        .ok();
    let actual = parse_stream(&r.stdout);
    assert_eq!(actual.len(), 6, "{}", r.stdout);
    let (a, e) = (sorted(actual), sorted(expected));
    for (x, y) in a.iter().zip(&e) {
        assert_eq!(
            x, y,
            "flinkwasm (left) and kubectl kustomize (right) differ"
        );
    }
    assert_eq!(a.len(), e.len());
}

#[test]
fn the_seeds_overlays_match_kubectl_kustomize_for_both_clusters() {
    let s = Scratch::new(BIN);
    let component = repo("workloads/flink-resources");
    for cluster in ["homelab", "flink-demo"] {
        let expected = kustomize(&component.join("overlays").join(cluster));
        let r = s
            .run(
                &[
                    "render",
                    component.to_str().unwrap(),
                    "--cluster",
                    cluster,
                    "--plugin",
                    "cluster-overlay",
                ],
                None,
            )
            .ok();
        assert_eq!(
            sorted(parse_stream(&r.stdout)),
            sorted(expected),
            "cluster {cluster}"
        );
    }
}

fn scratch_fixture() -> Scratch {
    let s = Scratch::new(BIN);
    copy_dir(&repo("tests/fixtures/overlay"), s.path());
    s
}

#[test]
fn a_patch_that_matches_nothing_is_an_error_naming_the_patch_file() {
    let s = scratch_fixture();
    s.write(
        "overlays/lab/deployment-patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: missing, namespace: team-a}\nspec: {replicas: 2}\n",
    );
    s.run(&["render"], None).fails(
        4,
        "plugin cluster-overlay: patch overlays/lab/deployment-patch.yaml matches nothing: no object in the stream is Deployment team-a/missing",
    );
    let s = scratch_fixture();
    let k = std::fs::read_to_string(s.path().join("overlays/lab/kustomization.yaml")).unwrap();
    s.write(
        "overlays/lab/kustomization.yaml",
        k.replace("name: settings", "name: nope"),
    );
    s.run(&["render"], None)
        .fails(4, "patches[1] (inline) matches nothing: no object in the stream is target {kind=ConfigMap, name=nope}");
}

#[test]
fn an_unsupported_kustomization_field_or_an_ungranted_file_is_an_error() {
    let s = scratch_fixture();
    let k = std::fs::read_to_string(s.path().join("overlays/lab/kustomization.yaml")).unwrap();
    s.write(
        "overlays/lab/kustomization.yaml",
        format!("{k}images:\n  - name: nginx\n    newTag: '2'\n"),
    );
    s.run(&["render"], None).fails(
        4,
        "overlay overlays/lab/kustomization.yaml: field `images` is not supported by cluster-overlay",
    );
    let s = scratch_fixture();
    s.write(
        "flinkwasm.yaml",
        std::fs::read_to_string(s.path().join("flinkwasm.yaml"))
            .unwrap()
            .replace("- overlays", "- overlays/lab/kustomization.yaml"),
    );
    s.run(&["render"], None).fails(
        4,
        "extra.yaml (overlays/lab/extra.yaml) is not among the files granted to this plugin",
    );
}

#[test]
fn an_inline_kustomization_in_the_cluster_config_applies_after_the_files() {
    let s = scratch_fixture();
    let p = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap().replace(
        "    lab: {}",
        "    lab:\n      config:\n        cluster-overlay:\n          kustomization:\n            commonAnnotations: {inline: 'yes'}\n            patches:\n              - target: {kind: Service}\n                patch: '[{\"op\": \"add\", \"path\": \"/spec/type\", \"value\": \"ClusterIP\"}]'\n",
    );
    s.write("flinkwasm.yaml", p);
    let r = s.run(&["render"], None).ok();
    let o = parse_stream(&r.stdout);
    let svc = o.iter().find(|x| x["kind"] == "Service").unwrap();
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    assert!(
        o.iter()
            .all(|x| x["metadata"]["annotations"]["inline"] == "yes")
    );
    assert!(
        r.stdout.contains("inline: 'yes'"),
        "YAML 1.1 readers must not see a boolean"
    );
}
