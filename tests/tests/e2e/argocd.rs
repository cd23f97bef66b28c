//! flinkwasm as an Argo CD Config Management Plugin, driven by a harness that does what the
//! repo-server does: copy the repository to a temp dir, run the shipped `plugin.yaml`'s `init`
//! then `generate` in the app's path with exactly Argo CD's environment (and nothing else), and
//! split stdout as a YAML stream.

use flinkwasm_tests::harness::{copy_dir, parse_stream, repo};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::BIN;

/// `plugin.yaml`, with unknown fields denied (Argo CD v3.5's schema for the fields used).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigManagementPlugin {
    api_version: String,
    kind: String,
    metadata: BTreeMap<String, String>,
    pub(crate) spec: PluginSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PluginSpec {
    #[serde(default)]
    version: Option<String>,
    pub(crate) init: Cmd,
    pub(crate) generate: Cmd,
    discover: Discover,
    parameters: Parameters,
    preserve_file_mode: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cmd {
    command: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Discover {
    file_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Parameters {
    #[serde(rename = "static")]
    fixed: Vec<StaticParameter>,
    dynamic: Cmd,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StaticParameter {
    name: String,
    title: String,
    tooltip: String,
    collection_type: String,
}

pub(crate) fn plugin() -> ConfigManagementPlugin {
    let text = std::fs::read_to_string(repo("charts/argocd-cmp/plugin.yaml")).unwrap();
    serde_yaml::from_str(&text).expect("plugin.yaml fits the ConfigManagementPlugin schema")
}

/// The repo-server's copy of the repository, the sidecar's PATH and cache.
pub(crate) struct RepoServer {
    pub(crate) root: tempfile::TempDir,
}

impl RepoServer {
    pub(crate) fn new() -> RepoServer {
        let root = tempfile::tempdir().unwrap();
        copy_dir(&repo("workloads"), &root.path().join("repo/workloads"));
        std::fs::create_dir_all(root.path().join("bin")).unwrap();
        std::os::unix::fs::symlink(BIN, root.path().join("bin/flinkwasm")).unwrap();
        RepoServer { root }
    }

    pub(crate) fn app(&self, path: &str) -> PathBuf {
        self.root.path().join("repo").join(path)
    }

    /// Runs a plugin.yaml command in `app_path` with exactly `env` plus the sidecar's basics.
    pub(crate) fn run(&self, cmd: &Cmd, app_path: &str, env: &[(String, String)]) -> Output {
        let mut c = Command::new(&cmd.command[0]);
        c.args(&cmd.command[1..])
            .args(&cmd.args)
            .current_dir(self.app(app_path))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.root.path().join("bin").display()),
            )
            .env("HOME", self.root.path())
            .env("FLINKWASM_CACHE_DIR", self.root.path().join("cache"));
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("running the plugin command")
    }
}

/// The environment Argo CD gives `init` and `generate` for an app.
pub(crate) fn argocd_env(
    app: &str,
    path: &str,
    plugin_env: &[(&str, &str)],
    params: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("ARGOCD_APP_NAME", app.to_string()),
        ("ARGOCD_APP_NAMESPACE", "confluent".to_string()),
        ("ARGOCD_APP_PROJECT_NAME", "default".to_string()),
        ("ARGOCD_APP_REVISION", "0123456789abcdef0123456789abcdef01234567".to_string()),
        ("ARGOCD_APP_REVISION_SHORT", "0123456".to_string()),
        ("ARGOCD_APP_REVISION_SHORT_8", "01234567".to_string()),
        ("ARGOCD_APP_SOURCE_PATH", path.to_string()),
        ("ARGOCD_APP_SOURCE_REPO_URL", "https://git.example.com/platform/gitops.git".to_string()),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD".to_string()),
        ("KUBE_VERSION", "1.31.0".to_string()),
        ("KUBE_API_VERSIONS", "v1,apps/v1,monitoring.coreos.com/v1,platform.confluent.io/v1beta1,argoproj.io/v1alpha1".to_string()),
        ("ARGOCD_APP_PARAMETERS", params.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in plugin_env {
        env.push((format!("ARGOCD_ENV_{k}"), v.to_string()));
    }
    // Argo CD also exports each parameter as PARAM_<NAME>[_<i>|_<KEY>]; flinkwasm reads the JSON.
    let parsed: Vec<Value> = serde_json::from_str(params).unwrap_or_default();
    for p in parsed {
        let name = p["name"]
            .as_str()
            .unwrap_or_default()
            .to_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        if let Some(s) = p["string"].as_str() {
            env.push((format!("PARAM_{name}"), s.to_string()));
        }
    }
    env
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plugin_yaml_init_then_generate_with_all_three_parameter_types() {
    let p = plugin();
    assert_eq!(
        (p.api_version.as_str(), p.kind.as_str()),
        ("argoproj.io/v1alpha1", "ConfigManagementPlugin")
    );
    assert_eq!(p.metadata["name"], "flinkwasm");
    assert!(
        p.spec.version.is_none(),
        "unversioned: Applications name the plugin `flinkwasm`"
    );
    assert!(!p.spec.preserve_file_mode);
    let names: Vec<&str> = p
        .spec
        .parameters
        .fixed
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["cluster", "plugins"]);
    assert!(
        p.spec
            .parameters
            .fixed
            .iter()
            .all(|s| !s.title.is_empty() && !s.tooltip.is_empty() && !s.collection_type.is_empty())
    );

    let rs = RepoServer::new();
    let path = "workloads/flink-resources";
    assert!(
        rs.app(path)
            .join(p.spec.discover.file_name.trim_start_matches("./"))
            .is_file(),
        "discover finds the app"
    );
    let params = r#"[{"name":"cluster","string":"flink-demo"},{"name":"plugins","array":["cluster-overlay","flink-environment","monitoring"]},{"name":"monitoring","map":{"prometheusRelease":"kube-prometheus-stack","port":"9250"}}]"#;
    let env = argocd_env("flink-resources", path, &[("CLUSTER", "homelab")], params);
    let init = rs.run(&p.spec.init, path, &env);
    assert!(init.status.success(), "init: {}", text(&init).1);
    let out = rs.run(&p.spec.generate, path, &env);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "generate: {stderr}");
    let objects = parse_stream(&stdout);
    let find = |kind: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}:\n{stdout}"))
    };
    let env_defaults = &find("FlinkEnvironment")["spec"]["flinkApplicationDefaults"]["spec"];
    assert_eq!(
        env_defaults["flinkConfiguration"]["taskmanager.numberOfTaskSlots"], "4",
        "the cluster parameter beats ARGOCD_ENV_CLUSTER"
    );
    assert_eq!(
        env_defaults["flinkConfiguration"]["metrics.reporter.prom.port"], "9250",
        "a map parameter, typed by the schema"
    );
    assert_eq!(
        find("ServiceMonitor")["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    assert!(
        objects.iter().all(|o| o["kind"] != "Application"),
        "the component does not render its own Application"
    );
}

#[test]
fn the_plugin_env_selects_the_cluster_and_kube_facts_come_from_argocd() {
    let p = plugin();
    let rs = RepoServer::new();
    let path = "workloads/flink-resources";
    // No monitoring.coreos.com/v1 on this cluster: the monitors are skipped.
    let mut env = argocd_env("flink-resources", path, &[("CLUSTER", "flink-demo")], "[]");
    for (k, v) in env.iter_mut() {
        if k == "KUBE_API_VERSIONS" {
            *v = "v1,apps/v1,platform.confluent.io/v1beta1".to_string();
        }
    }
    let out = rs.run(&p.spec.generate, path, &env);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let objects = parse_stream(&stdout);
    assert!(
        objects
            .iter()
            .all(|o| o["apiVersion"] != "monitoring.coreos.com/v1")
    );
    assert!(
        stderr.contains("monitoring.coreos.com/v1 is not among the cluster's API versions"),
        "{stderr}"
    );
    let env_obj = objects
        .iter()
        .find(|o| o["kind"] == "FlinkEnvironment")
        .unwrap();
    assert_eq!(
        env_obj["spec"]["flinkApplicationDefaults"]["spec"]["jobManager"]["resource"]["memory"],
        "2048m"
    );
}

#[test]
fn dynamic_parameters_announce_every_plugins_config() {
    let p = plugin();
    let rs = RepoServer::new();
    let path = "workloads/flink-resources";
    // The dynamic command gets a reduced environment: no revision, namespace or KUBE_*.
    let env = vec![
        ("ARGOCD_APP_NAME".to_string(), "flink-resources".to_string()),
        ("ARGOCD_APP_SOURCE_PATH".to_string(), path.to_string()),
    ];
    let out = rs.run(&p.spec.parameters.dynamic, path, &env);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let announced: Vec<Value> = serde_json::from_str(&stdout).expect("a JSON array");
    let names: Vec<&str> = announced
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cluster",
            "plugins",
            "cluster-overlay",
            "flink-environment",
            "monitoring"
        ]
    );
    for a in &announced {
        let ct = a["collectionType"].as_str().unwrap();
        assert!(
            a[ct].is_string() || a[ct].is_array() || a[ct].is_object(),
            "{a}"
        );
        assert!(a["title"].is_string() && a["tooltip"].is_string(), "{a}");
        assert!(matches!(ct, "string" | "array" | "map"));
    }
    assert_eq!(announced[0]["string"], "homelab");
    assert_eq!(announced[3]["map"]["argocd.layout"], "component");
    assert_eq!(announced[4]["map"]["operator.enabled"], "false");
}

#[test]
fn a_failing_render_is_a_nonzero_exit_with_empty_stdout_never_an_empty_success() {
    let p = plugin();
    let rs = RepoServer::new();
    let path = "workloads/flink-resources";
    // An overlay patch that no longer matches (someone renamed the environment).
    let patch = rs
        .app(path)
        .join("overlays/flink-demo/flink-environment-patch.yaml");
    let text_before = std::fs::read_to_string(&patch).unwrap();
    std::fs::write(
        &patch,
        text_before.replace("name: default-flink-env", "name: renamed-env"),
    )
    .unwrap();
    let env = argocd_env("flink-resources", path, &[("CLUSTER", "flink-demo")], "[]");
    let out = rs.run(&p.spec.generate, path, &env);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stdout.is_empty(),
        "auto-prune would delete the app's objects on empty success"
    );
    assert!(
        stderr.contains("overlays/flink-demo/flink-environment-patch.yaml matches nothing"),
        "{stderr}"
    );

    // A parameter of the wrong type is an input error that names it.
    let env = argocd_env(
        "flink-resources",
        path,
        &[],
        r#"[{"name":"monitoring","map":{"port":"metrics"}}]"#,
    );
    let out = rs.run(&p.spec.generate, path, &env);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out)
            .1
            .contains("Argo CD parameter monitoring: port must be of type integer"),
        "{}",
        text(&out).1
    );

    // A pipeline that renders nothing at all.
    std::fs::write(rs.app(path).join("flinkwasm.yaml"), "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: empty}\nspec:\n  plugins:\n    - builtin: cluster-overlay\n").unwrap();
    let out = rs.run(
        &p.spec.generate,
        path,
        &argocd_env("flink-resources", path, &[], "[]"),
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn the_sidecar_component_joins_the_repo_server_as_argo_cd_requires() {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(repo("tests/fixtures/argocd-install"))
        .output()
        .expect("kubectl is needed for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = parse_stream(&String::from_utf8(out.stdout).unwrap());
    let cm = objects.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert_eq!(cm["metadata"]["name"], "flinkwasm-cmp-plugin");
    let shipped = std::fs::read_to_string(repo("charts/argocd-cmp/plugin.yaml")).unwrap();
    assert_eq!(cm["data"]["plugin.yaml"], shipped.as_str());
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let pod = &dep["spec"]["template"]["spec"];
    let sidecar = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "flinkwasm")
        .unwrap();
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    let mounts: BTreeMap<String, String> = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(mounts["/var/run/argocd"], "var-files");
    assert_eq!(mounts["/home/argocd/cmp-server/plugins"], "plugins");
    assert_eq!(
        mounts["/home/argocd/cmp-server/config/plugin.yaml"],
        "flinkwasm-plugin-config"
    );
    assert_eq!(mounts["/tmp"], "flinkwasm-tmp", "its own /tmp");
    let cache_env = sidecar["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "FLINKWASM_CACHE_DIR")
        .unwrap();
    assert_eq!(
        mounts[cache_env["value"].as_str().unwrap()],
        "flinkwasm-cache",
        "the cache is a volume"
    );
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for name in mounts.values() {
        assert!(volumes.contains(&name.as_str()), "volume {name} exists");
    }
    assert!(
        pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "argocd-repo-server"),
        "the repo-server is kept"
    );
}
