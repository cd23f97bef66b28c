//! flinkwasm as a KRM function, run by the real `kpt fn eval --exec` (and, where this
//! machine's kustomize allows exec functions, by kustomize).

use flinkwasm_tests::harness::{parse_stream, repo};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::BIN;

/// A package directory with the seed's FlinkEnvironment and an unrelated ConfigMap, and the
/// binary linked as `flinkwasm-krm` (the name under which it is the function).
fn package() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(
        repo("workloads/flink-resources/base/flink-environment.yaml"),
        pkg.join("flink-environment.yaml"),
    )
    .unwrap();
    std::fs::write(pkg.join("settings.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: confluent\ndata:\n  enabled: 'yes'\n").unwrap();
    let exe = dir.path().join("flinkwasm-krm");
    std::os::unix::fs::symlink(BIN, &exe).unwrap();
    (dir, exe)
}

fn kpt(args: &[&str], cwd: &Path, cache: &Path) -> Output {
    Command::new("kpt")
        .args(args)
        .current_dir(cwd)
        .env("FLINKWASM_CACHE_DIR", cache)
        .output()
        .expect("kpt is needed for this test (on the machine image)")
}

#[test]
fn kpt_fn_eval_lowers_the_seed_in_place_and_reports_results() {
    let (dir, exe) = package();
    let results = dir.path().join("results");
    let out = kpt(
        &[
            "fn",
            "eval",
            "pkg",
            "--exec",
            exe.to_str().unwrap(),
            "--results-dir",
            results.to_str().unwrap(),
            "--",
            "plugins=flink-environment,monitoring",
            "cluster=homelab",
        ],
        dir.path(),
        &dir.path().join("cache"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kpt: {stderr}");
    // The file was rewritten in place: the real shape, and nothing generated (krm mode).
    let env = parse_stream(
        &std::fs::read_to_string(dir.path().join("pkg/flink-environment.yaml")).unwrap(),
    );
    assert_eq!(env.len(), 1);
    assert_eq!(env[0]["apiVersion"], "platform.confluent.io/v1beta1");
    assert_eq!(
        env[0]["spec"]["flinkApplicationDefaults"]["spec"]["flinkConfiguration"]["metrics.reporter.prom.port"],
        "9249"
    );
    let settings = std::fs::read_to_string(dir.path().join("pkg/settings.yaml")).unwrap();
    assert_eq!(
        parse_stream(&settings)[0]["data"]["enabled"],
        "yes",
        "a YAML 1.1 boolean word stays a string"
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("pkg"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 2, "no new files: {entries:?}");
    // Results carry the plugins' diagnostics with the object and its file.
    let results: Value =
        serde_yaml::from_str(&std::fs::read_to_string(results.join("results.yaml")).unwrap())
            .unwrap();
    let all = results.to_string();
    assert!(
        all.contains("flink-environment: state.backend is the legacy name"),
        "{all}"
    );
    assert!(all.contains("flink-environment.yaml"), "{all}");
}

#[test]
fn a_failing_function_fails_kpt_and_leaves_the_files_alone() {
    let (dir, exe) = package();
    let before = std::fs::read_to_string(dir.path().join("pkg/flink-environment.yaml")).unwrap();
    std::fs::write(
        dir.path().join("pkg/flink-environment.yaml"),
        before.replace("  kafkaCluster:", "  replicas: 3\n  kafkaCluster:"),
    )
    .unwrap();
    let out = kpt(
        &[
            "fn",
            "eval",
            "pkg",
            "--exec",
            exe.to_str().unwrap(),
            "--",
            "plugins=flink-environment",
        ],
        dir.path(),
        &dir.path().join("cache"),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spec.replicas is not a field of FlinkEnvironment"),
        "{stderr}"
    );
    let after = std::fs::read_to_string(dir.path().join("pkg/flink-environment.yaml")).unwrap();
    assert!(
        after.contains("flink.confluent.io/v1beta1"),
        "the package is unchanged"
    );
}

#[test]
fn krm_reads_and_writes_a_resource_list_keeping_kpt_annotations() {
    let (dir, exe) = package();
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      internal.config.kubernetes.io/path: a.yaml\n      internal.config.kubernetes.io/index: '0'\n      config.kubernetes.io/path: a.yaml\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fn}\n  data: {plugins: monitoring}\n";
    let mut child = Command::new(&exe)
        .current_dir(dir.path())
        .env("FLINKWASM_CACHE_DIR", dir.path().join("cache"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_yaml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(list["kind"], "ResourceList");
    assert_eq!(
        list["items"][0]["metadata"]["annotations"]["internal.config.kubernetes.io/path"],
        "a.yaml"
    );
    assert_eq!(list["results"][0]["severity"], "warning", "{list}");
    assert!(
        list["results"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("monitoring: no FlinkEnvironment")
    );
}
