//! flinkwasm as a Helm post-renderer: the Helm 4 plugin in `charts/helm-plugin/flinkwasm`
//! driven by the real Helm 4 engine (PyPI `helm-python-sdk`, client dry-run install), and the
//! Helm 3 executable contract (stdin to stdout, hooks and Helm's file annotation kept).

use flinkwasm_tests::harness::{Scratch, copy_dir, parse_stream, repo};
use serde_json::json;
use std::process::Command;

use crate::BIN;

/// `helm plugin install charts/helm-plugin/flinkwasm` into a private `$HELM_PLUGINS` (a local
/// install is a copy of the directory), then a client dry-run install through it.
fn helm4_install(
    s: &Scratch,
    chart: &str,
    values: serde_json::Value,
    args: &[&str],
) -> (bool, String, String) {
    let plugins = s.path().join("helm-plugins");
    copy_dir(
        &repo("charts/helm-plugin/flinkwasm"),
        &plugins.join("flinkwasm"),
    );
    let log = s.path().join("flinkwasm.log");
    let out = Command::new("python3")
        .arg(repo("tests/helm/install_with_plugin.py"))
        .arg(repo(&format!("tests/charts/{chart}")))
        .arg(chart)
        .arg("confluent")
        .arg(values.to_string())
        .arg("flinkwasm")
        .args(args)
        .env("HELM_PLUGINS", &plugins)
        .env("FLINKWASM_BIN", BIN)
        .env("FLINKWASM_CACHE_DIR", &s.cache)
        .env("FLINKWASM_LOG_FILE", &log)
        .current_dir(s.path())
        .output()
        .expect("python3 with helm-python-sdk is needed (tests/setup.sh installs it)");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        format!("{}{logged}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn helm4_installs_through_the_flinkwasm_plugin() {
    let s = Scratch::new(BIN);
    let (ok, manifest, stderr) = helm4_install(
        &s,
        "flink-kubernetes-operator",
        json!({"webhook": {"create": false}}),
        &["--plugin=flink-operator"],
    );
    assert!(ok, "{stderr}");
    // Helm split the result back into its templates by the annotation flinkwasm kept.
    for source in ["deployment.yaml", "configmap.yaml", "serviceaccounts.yaml"] {
        assert!(
            manifest.contains(&format!(
                "# Source: flink-kubernetes-operator/templates/{source}"
            )),
            "{manifest}"
        );
    }
    let objects = parse_stream(&manifest);
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"],
        json!({"cpu": "2", "memory": "3Gi"})
    );
    assert_eq!(
        dep["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "confluent-platform-flink"
    );
}

#[test]
fn a_failing_post_render_fails_the_helm4_install_and_the_cause_is_logged() {
    let s = Scratch::new(BIN);
    // The chart's default webhook needs cert-manager, which the default target lacks.
    let (ok, manifest, stderr) = helm4_install(
        &s,
        "flink-kubernetes-operator",
        json!({}),
        &["--plugin=flink-operator"],
    );
    assert!(!ok, "the install must fail:\n{manifest}");
    assert!(manifest.is_empty());
    assert!(stderr.contains("flinkwasm"), "{stderr}");
    assert!(
        stderr.contains("the chart's admission webhook needs cert-manager"),
        "FLINKWASM_LOG_FILE keeps what Helm 4 hides:\n{stderr}"
    );
}

#[test]
fn helm3_contract_hooks_and_helms_file_annotation_pass_through() {
    let s = Scratch::new(BIN);
    let input = "\
---
# Source: chart/templates/hook.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: confluent
  annotations:
    helm.sh/hook: pre-install
    postrenderer.helm.sh/postrender-filename: chart/templates/hook.yaml
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flink-kubernetes-operator
  namespace: confluent
  annotations:
    postrenderer.helm.sh/postrender-filename: chart/templates/deployment.yaml
spec:
  selector: {matchLabels: {app.kubernetes.io/name: flink-kubernetes-operator}}
  template:
    metadata: {labels: {app.kubernetes.io/name: flink-kubernetes-operator}}
    spec:
      containers: [{name: flink-kubernetes-operator, image: op}]
";
    let r = s
        .run(&["post-render", "--plugin", "flink-operator"], Some(input))
        .ok();
    let out = parse_stream(&r.stdout);
    let given = parse_stream(input);
    assert_eq!(out[0], given[0], "the hook passes through unchanged");
    assert_eq!(
        out[1]["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"],
        "chart/templates/deployment.yaml"
    );
    // Empty input is Helm 3's empty chart: empty output, success.
    let r = s.run(&["post-render"], Some("")).ok();
    assert!(r.stdout.is_empty());
}
