//! The stack as Argo CD deploys it: the bootstrap Application from `flinkwasm argocd
//! bootstrap`, rendered by the repo-server harness of `argocd.rs` through the shipped
//! `plugin.yaml`, then every child Application it renders, each with its own path, plugin env
//! and parameters, recursively. The charts are rendered inside the pipelines by the Helm CLI
//! (the `helm` test fixture on the sidecar's PATH) from a real chart repository on 127.0.0.1.
//!
//! What the app-of-apps must hold, as the cluster would see it: no object rendered by two
//! Applications; every namespace created before anything lands in it; every object after what
//! it needs (CRDs and Namespaces first, CFK's objects after the operators); the wiring checks
//! on the union; and the union is what the CLI renders for the same directories.

use crate::BIN;
use crate::argocd::{RepoServer, argocd_env, plugin};
use flinkwasm_tests::harness::{Scratch, parse_stream, repo};
use flinkwasm_tests::helm::{ChartRepo, HelmFixture};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::process::Command;

/// The Git repository the Applications name (the harness's copy stands in for it).
const GIT: &str = "https://git.example.com/platform/gitops.git";
/// The Helm repository the component pipelines name; the harness's copy points at the test's.
const CONFLUENT: &str = "https://packages.confluent.io/helm";

/// One object as the cluster gets it: who renders it and when it is applied.
#[derive(Debug, Clone)]
struct Placed {
    /// The Application that renders it.
    app: String,
    /// Sync order: the waves of the Applications above it, then its own.
    order: Vec<i64>,
    object: Value,
}

/// The identity the cluster compares: group, kind, namespace (as applied), name.
fn key(o: &Value, default_ns: &str) -> String {
    let api = o["apiVersion"].as_str().unwrap_or_default();
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let kind = o["kind"].as_str().unwrap_or_default();
    let ns = if cluster_scoped(kind) {
        ""
    } else {
        o["metadata"]["namespace"].as_str().unwrap_or(default_ns)
    };
    format!(
        "{group}/{kind}/{ns}/{}",
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "CustomResourceDefinition"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "ClusterIssuer"
    )
}

fn wave(o: &Value) -> i64 {
    o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        .as_str()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

/// The repo-server with the workloads, the sidecar's `helm`, and the component pipelines
/// pointed at `charts`.
fn repo_server(charts: &ChartRepo, helm: &HelmFixture) -> RepoServer {
    let rs = RepoServer::new();
    std::os::unix::fs::symlink(helm.bin(), rs.root.path().join("bin/helm")).unwrap();
    for component in ["flink-kubernetes-operator", "cmf"] {
        let file = rs.app(&format!("workloads/{component}/flinkwasm.yaml"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(CONFLUENT),
            "{component} names Confluent's repository"
        );
        std::fs::write(&file, text.replace(CONFLUENT, &charts.url)).unwrap();
    }
    rs
}

/// What Argo CD does for an app-of-apps: render `root`, then each child Application (whose
/// source is the flinkwasm plugin on this repository), with its path, env and parameters.
fn sync(rs: &RepoServer, root: Value, api_versions: &str) -> Result<Vec<Placed>, String> {
    let p = plugin();
    let mut placed = Vec::new();
    let mut queue = VecDeque::from([(root, Vec::<i64>::new())]);
    while let Some((app, order)) = queue.pop_front() {
        let name = app["metadata"]["name"].as_str().unwrap().to_string();
        let source = &app["spec"]["source"];
        let path = source["path"].as_str().unwrap();
        let plugin_env: Vec<(String, String)> = source["plugin"]["env"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["name"].as_str().unwrap().into(),
                            e["value"].as_str().unwrap().into(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let pe: Vec<(&str, &str)> = plugin_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let params = source["plugin"]["parameters"].to_string();
        let params = if params == "null" {
            "[]".to_string()
        } else {
            params
        };
        let destination = app["spec"]["destination"]["namespace"]
            .as_str()
            .unwrap_or("default");
        let mut env = argocd_env(&name, path, &pe, &params);
        for (k, v) in env.iter_mut() {
            match k.as_str() {
                "KUBE_API_VERSIONS" => *v = api_versions.to_string(),
                "ARGOCD_APP_NAMESPACE" => *v = destination.to_string(),
                "ARGOCD_APP_SOURCE_REPO_URL" => {
                    *v = source["repoURL"].as_str().unwrap().to_string()
                }
                _ => {}
            }
        }
        let init = rs.run(&p.spec.init, path, &env);
        if !init.status.success() {
            return Err(format!(
                "{name}: init: {}",
                String::from_utf8_lossy(&init.stderr)
            ));
        }
        let out = rs.run(&p.spec.generate, path, &env);
        if !out.status.success() {
            return Err(format!(
                "{name}: generate: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        for object in parse_stream(&String::from_utf8(out.stdout).unwrap()) {
            let mut at = order.clone();
            at.push(wave(&object));
            let child = object["kind"] == "Application"
                && object["spec"]["source"]["plugin"]["name"] == "flinkwasm"
                && object["spec"]["source"]["repoURL"] == GIT;
            if child {
                queue.push_back((object.clone(), at.clone()));
            }
            placed.push(Placed {
                app: name.clone(),
                order: at,
                object: placed_ns(object, destination),
            });
        }
    }
    Ok(placed)
}

/// The object with the namespace Argo CD applies it in (its own, else the destination's).
fn placed_ns(mut o: Value, destination: &str) -> Value {
    let kind = o["kind"].as_str().unwrap_or_default().to_string();
    if !cluster_scoped(&kind) && o["metadata"]["namespace"].is_null() {
        o["metadata"]["namespace"] = json!(destination);
    }
    o
}

/// One owner per object: the first object two Applications render, naming both.
fn one_owner(placed: &[Placed]) -> Result<(), String> {
    let mut owner: BTreeMap<String, &Placed> = BTreeMap::new();
    for p in placed {
        if let Some(first) = owner.insert(key(&p.object, ""), p) {
            return Err(format!(
                "{} is rendered by both {} and {}",
                key(&p.object, ""),
                first.app,
                p.app
            ));
        }
    }
    Ok(())
}

/// The app-of-apps rules; the first broken one, naming the objects.
fn check(placed: &[Placed]) -> Result<(), String> {
    one_owner(placed)?;
    // Where each namespace comes from, and when: a Namespace object, or an Application's
    // CreateNamespace=true (created when that Application syncs, before its objects).
    let mut created: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut note = |ns: &str, at: Vec<i64>| {
        let e = created.entry(ns.to_string()).or_insert(at.clone());
        if at < *e {
            *e = at;
        }
    };
    for p in placed {
        if p.object["kind"] == "Namespace" {
            note(
                p.object["metadata"]["name"].as_str().unwrap(),
                p.order.clone(),
            );
        }
        let options = p.object["spec"]["syncPolicy"]["syncOptions"].to_string();
        if p.object["kind"] == "Application" && options.contains("CreateNamespace=true") {
            note(
                p.object["spec"]["destination"]["namespace"]
                    .as_str()
                    .unwrap(),
                p.order.clone(),
            );
        }
    }
    // Argo CD's own namespace exists before the bootstrap Application is applied.
    created.insert("argocd".to_string(), vec![i64::MIN]);
    for p in placed {
        let Some(ns) = p.object["metadata"]["namespace"].as_str() else {
            continue;
        };
        match created.get(ns) {
            Some(at) if *at < p.order => {}
            Some(at) => {
                return Err(format!(
                    "{} (order {:?}) lands in {ns}, created only at {at:?}",
                    key(&p.object, ""),
                    p.order
                ));
            }
            None => {
                return Err(format!(
                    "{} lands in {ns}, which nothing creates",
                    key(&p.object, "")
                ));
            }
        }
    }
    // CRDs before their objects; CFK's objects after both operators' components.
    for p in placed {
        let api = p.object["apiVersion"].as_str().unwrap_or_default();
        let group = api.split('/').next().unwrap_or_default();
        for crd in placed
            .iter()
            .filter(|c| c.object["kind"] == "CustomResourceDefinition")
        {
            if crd.object["spec"]["group"] == group
                && crd.object["spec"]["names"]["kind"] == p.object["kind"]
                && crd.order >= p.order
            {
                return Err(format!(
                    "{} comes no later than its CRD",
                    key(&p.object, "")
                ));
            }
        }
        if group == "platform.confluent.io" {
            for operator in placed.iter().filter(|o| {
                matches!(o.app.as_str(), "flink-kubernetes-operator" | "cmf-operator")
                    && o.object["kind"] == "Deployment"
            }) {
                if operator.order >= p.order {
                    return Err(format!(
                        "{} (order {:?}) is applied before {} of {} (order {:?})",
                        key(&p.object, ""),
                        p.order,
                        key(&operator.object, ""),
                        operator.app,
                        operator.order
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The bootstrap Application for `cluster`, as the CLI prints it in the repository.
fn bootstrap(rs: &RepoServer, cluster: &str) -> Value {
    let out = Command::new(BIN)
        .args([
            "argocd",
            "bootstrap",
            "--repo",
            GIT,
            "--path",
            "workloads",
            "--cluster",
            cluster,
        ])
        .current_dir(rs.root.path().join("repo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut docs = parse_stream(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(docs.len(), 1, "one Application");
    docs.remove(0)
}

/// The root pipeline's API versions, as the cluster's (`KUBE_API_VERSIONS`).
fn api_versions(rs: &RepoServer) -> String {
    let text = std::fs::read_to_string(rs.app("workloads/flinkwasm.yaml")).unwrap();
    let p: Value = serde_yaml::from_str(&text).unwrap();
    p["spec"]["target"]["apiVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",")
}

/// What the CLI renders for the root and every component directory of `placed`, keyed.
fn cli_union(
    rs: &RepoServer,
    helm: &HelmFixture,
    cluster: &str,
    placed: &[Placed],
) -> BTreeMap<String, Value> {
    let mut paths = vec!["workloads".to_string()];
    for p in placed.iter().filter(|p| p.object["kind"] == "Application") {
        paths.push(
            p.object["spec"]["source"]["path"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let s = Scratch::new(BIN);
    let mut union = BTreeMap::new();
    for path in paths {
        let dir = rs.app(&path);
        let r = s.run_env(
            &["render", dir.to_str().unwrap(), "--cluster", cluster],
            None,
            &[("FLINKWASM_HELM", helm.bin().to_str().unwrap())],
        );
        assert_eq!(r.code, 0, "render {path}: {}", r.stderr);
        for o in parse_stream(&r.stdout) {
            union.insert(key(&o, "confluent"), o);
        }
    }
    union
}

#[test]
fn the_app_of_apps_owns_every_object_once_in_wave_order_and_equals_the_cli() {
    let charts = ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let helm = HelmFixture::new();
    let rs = repo_server(&charts, &helm);
    let apis = api_versions(&rs);
    for cluster in ["homelab", "flink-demo"] {
        let root = bootstrap(&rs, cluster);
        assert_eq!(
            root["spec"]["source"]["plugin"]["env"][0],
            json!({"name": "CLUSTER", "value": cluster})
        );
        let placed = sync(&rs, root, &apis).unwrap_or_else(|e| panic!("{cluster}: {e}"));
        check(&placed).unwrap_or_else(|e| panic!("{cluster}: {e}"));

        // The root renders only Applications and Namespaces; each child its whole component.
        let by_app =
            |app: &str| -> Vec<&Placed> { placed.iter().filter(|p| p.app == app).collect() };
        assert!(
            by_app("confluent-platform-flink")
                .iter()
                .all(|p| matches!(p.object["kind"].as_str(), Some("Application" | "Namespace"))),
            "{cluster}: the root renders only Applications and Namespaces"
        );
        let waves: Vec<(String, Vec<i64>)> = placed
            .iter()
            .filter(|p| p.object["kind"] == "Application")
            .map(|p| {
                (
                    p.object["metadata"]["name"].as_str().unwrap().to_string(),
                    p.order.clone(),
                )
            })
            .collect();
        assert_eq!(
            waves,
            [
                ("flink-kubernetes-operator".to_string(), vec![116]),
                ("cmf-operator".to_string(), vec![118]),
                ("flink-resources".to_string(), vec![120]),
            ]
        );
        let kinds = |app: &str| -> Vec<String> {
            by_app(app)
                .iter()
                .map(|p| p.object["kind"].as_str().unwrap().to_string())
                .collect()
        };
        let operator = kinds("flink-kubernetes-operator");
        for k in [
            "CustomResourceDefinition",
            "Deployment",
            "ConfigMap",
            "ServiceAccount",
            "PodMonitor",
        ] {
            assert!(
                operator.contains(&k.to_string()),
                "{cluster}: the operator's component renders its {k}: {operator:?}"
            );
        }
        let cmf = kinds("cmf-operator");
        for k in ["Deployment", "Service", "PersistentVolumeClaim"] {
            assert!(
                cmf.contains(&k.to_string()),
                "{cluster}: CMF's component renders its {k}: {cmf:?}"
            );
        }
        let resources = kinds("flink-resources");
        for k in [
            "CMFRestClass",
            "FlinkEnvironment",
            "ServiceMonitor",
            "ConfigMap",
        ] {
            assert!(
                resources.contains(&k.to_string()),
                "{cluster}: flink-resources renders its {k}"
            );
        }
        // The chart went through the component's plugin: the operator Deployment carries the
        // stack's labels and the seed's resources (Helm-native, no plugin would have seen it).
        let dep = &by_app("flink-kubernetes-operator")
            .into_iter()
            .find(|p| p.object["kind"] == "Deployment")
            .unwrap()
            .object;
        assert_eq!(
            dep["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "confluent-platform-flink"
        );
        let pvc = &by_app("cmf-operator")
            .into_iter()
            .find(|p| p.object["kind"] == "PersistentVolumeClaim")
            .unwrap()
            .object;
        assert_eq!(
            pvc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
            "Prune=false"
        );

        // The wiring checks hold on the union, as one stream.
        let union: Vec<Value> = placed.iter().map(|p| p.object.clone()).collect();
        let s = Scratch::new(BIN);
        let text: String = union
            .iter()
            .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
            .collect();
        s.write("union.yaml", text);
        s.write(
            "flinkwasm.yaml",
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: union}\nspec:\n  target: {namespace: confluent}\n  resources: [union.yaml]\n  plugins:\n    - builtin: cluster-overlay\n",
        );
        let r = s.run(&["render"], None);
        assert_eq!(
            r.code, 0,
            "{cluster}: the wiring checks on the union: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("wiring:"), "{cluster}: {}", r.stderr);

        // The union is what the CLI renders for the same directories.
        let ours: BTreeMap<String, Value> = placed
            .iter()
            .map(|p| (key(&p.object, ""), p.object.clone()))
            .collect();
        let cli = cli_union(&rs, &helm, cluster, &placed);
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            cli.keys().collect::<Vec<_>>(),
            "{cluster}: the same objects"
        );
        for (k, o) in &ours {
            assert_eq!(o, &cli[k], "{cluster}: {k} differs from the CLI's");
        }
    }
    assert!(
        charts.requests.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "charts came from the repository"
    );
}

#[test]
fn a_child_that_renders_another_components_object_fails_the_app_of_apps() {
    let charts = ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let helm = HelmFixture::new();
    let rs = repo_server(&charts, &helm);
    // flink-resources also renders the operator's PodMonitor.
    let file = rs.app("workloads/flink-resources/flinkwasm.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace(
            "operator:\n          enabled: false",
            "operator:\n          enabled: true",
        ),
    )
    .unwrap();
    let placed = sync(&rs, bootstrap(&rs, "homelab"), &api_versions(&rs)).unwrap();
    let e = check(&placed).unwrap_err();
    assert!(
        e.contains("PodMonitor/confluent/flink-kubernetes-operator is rendered by both flink-kubernetes-operator and flink-resources"),
        "{e}"
    );
}

#[test]
fn a_team_plugin_changes_the_operator_chart_under_argo_cd_within_its_emission_policy() {
    let charts = ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let helm = HelmFixture::new();
    let rs = repo_server(&charts, &helm);
    let wasm = std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).unwrap();
    let digest = flinkwasm::runtime::sha256_hex(&wasm);
    let dir = rs.app("workloads/flink-kubernetes-operator");
    std::fs::write(dir.join("team-overlay.wasm"), &wasm).unwrap();
    let pipeline = std::fs::read_to_string(dir.join("flinkwasm.yaml")).unwrap();
    let with_team = |extra: &str| {
        pipeline.replace(
            "  clusters:\n",
            &format!("    - name: team-overlay\n      path: team-overlay.wasm\n      sha256: sha256:{digest}\n      config: {{team: streaming, costCenter: CC-7}}\n{extra}  clusters:\n"),
        )
    };
    // Unrestricted, it relabels the chart's RBAC too: the emission policy refuses that.
    std::fs::write(dir.join("flinkwasm.yaml"), with_team("")).unwrap();
    let e = sync(&rs, bootstrap(&rs, "homelab"), &api_versions(&rs)).unwrap_err();
    assert!(e.starts_with("flink-kubernetes-operator: generate"), "{e}");
    assert!(
        e.contains("plugin team-overlay: may not write CustomResourceDefinition/flinkdeployments.flink.apache.org")
            && e.contains("it is sensitive"),
        "{e}"
    );

    // Given only the workloads, it changes the chart's Deployment under Argo CD.
    std::fs::write(
        dir.join("flinkwasm.yaml"),
        with_team("      select:\n        kinds: [Deployment]\n"),
    )
    .unwrap();
    let placed = sync(&rs, bootstrap(&rs, "homelab"), &api_versions(&rs)).unwrap();
    check(&placed).unwrap();
    let dep = placed
        .iter()
        .find(|p| p.app == "flink-kubernetes-operator" && p.object["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        dep.object["metadata"]["labels"]["example.com/cost-center"],
        "CC-7"
    );
    let role = placed
        .iter()
        .find(|p| p.app == "flink-kubernetes-operator" && p.object["kind"] == "ServiceAccount")
        .unwrap();
    assert!(role.object["metadata"]["labels"]["example.com/cost-center"].is_null());
}

#[test]
fn the_builtin_default_renders_the_trees_objects_with_helm_native_applications() {
    let charts = ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let helm = HelmFixture::new();
    let rs = repo_server(&charts, &helm);
    let apis = api_versions(&rs);
    for cluster in ["homelab", "flink-demo"] {
        let placed = sync(&rs, bootstrap(&rs, cluster), &apis).unwrap();
        let tree: BTreeMap<String, Value> = placed
            .iter()
            .map(|p| (key(&p.object, ""), p.object.clone()))
            .collect();
        // Every object of the tree fits the real schema of its kind, the charts' included.
        let objects: Vec<Value> = tree.values().cloned().collect();
        flinkwasm_tests::schemas::check_all(&objects, cluster);
        let s = Scratch::new(BIN);
        let r = s.run(&["render", "--cluster", cluster], None).ok();
        for o in parse_stream(&r.stdout) {
            let k = key(&o, "confluent");
            let ours = tree
                .get(&k)
                .unwrap_or_else(|| panic!("{cluster}: the tree lacks {k}"));
            if o["kind"] == "Application" {
                // The same Application in the same wave; the source is Argo CD's Helm there,
                // the component's directory through the CMP here.
                assert_eq!(
                    o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
                    ours["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
                    "{k}"
                );
                assert_eq!(ours["spec"]["source"]["plugin"]["name"], "flinkwasm", "{k}");
            } else {
                let o = without_helm_native_gates(o, &k);
                assert_eq!(
                    &o, ours,
                    "{cluster}: {k} differs between the built-in default and the tree"
                );
            }
        }
    }
}

/// A CFK object of the built-in default without what the Helm-native option adds: beside the
/// Helm-native operator (116) and CMF (118) Applications it must wait in a later wave of the
/// same sync. (The tree gets that order from the flink-resources Application's wave instead.)
fn without_helm_native_gates(mut o: Value, k: &str) -> Value {
    let cfk = o["apiVersion"]
        .as_str()
        .is_some_and(|a| a.starts_with("platform.confluent.io/"));
    if !cfk {
        return o;
    }
    let metadata = o["metadata"].as_object_mut().expect("metadata");
    let annotations = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{k}: no waves beside the Helm-native Applications"));
    let wave: i64 = annotations
        .remove("argocd.argoproj.io/sync-wave")
        .and_then(|w| w.as_str().and_then(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("{k}: no sync wave"));
    assert!(
        wave > 118,
        "{k}: wave {wave}, not after the CMF Application"
    );
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
    o
}

/// A render of `dir` (the built-in default without a `flinkwasm.yaml`) for `cluster`, owned by
/// one Application named `owner`, then every Application in it that the flinkwasm CMP renders,
/// synced as Argo CD would (its children too).
fn render_and_children(
    rs: &RepoServer,
    s: &Scratch,
    cluster: &str,
    owner: &str,
) -> Result<Vec<Placed>, String> {
    let apis = api_versions(rs);
    let r = s.run(&["render", "--cluster", cluster], None).ok();
    let objects = parse_stream(&r.stdout);
    let mut placed: Vec<Placed> = objects
        .iter()
        .map(|o| Placed {
            app: owner.to_string(),
            order: vec![wave(o)],
            object: placed_ns(o.clone(), "confluent"),
        })
        .collect();
    for app in objects
        .into_iter()
        .filter(|o| o["kind"] == "Application" && o["spec"]["source"]["plugin"].is_object())
    {
        placed.extend(sync(rs, app, &apis)?);
    }
    Ok(placed)
}

#[test]
fn the_builtin_default_owns_every_object_once_with_the_applications_it_emits() {
    let charts = ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let helm = HelmFixture::new();
    let rs = repo_server(&charts, &helm);
    for cluster in ["homelab", "flink-demo"] {
        // `flinkwasm render | kubectl apply`, or one Application on the default: no object it
        // holds is rendered again by an Application it emits.
        let s = Scratch::new(BIN);
        let placed = render_and_children(&rs, &s, cluster, "built-in default")
            .unwrap_or_else(|e| panic!("{cluster}: {e}"));
        one_owner(&placed).unwrap_or_else(|e| panic!("{cluster}: {e}"));
        assert!(
            placed
                .iter()
                .any(|p| p.object["kind"] == "FlinkEnvironment"),
            "{cluster}: the default renders the FlinkEnvironment itself"
        );
    }

    // The check bites: the same pipeline with flink-environment pointing the CMP at
    // workloads/flink-resources while the metrics and dashboard stay in the render (homelab:
    // flink-demo's overlay patches the FlinkEnvironment this render would no longer hold).
    let default = std::fs::read_to_string(repo("host/src/pipeline/default.yaml")).unwrap();
    let entry = "    - builtin: flink-environment\n      config:\n";
    assert!(default.contains(entry));
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        default.replace(
            entry,
            &format!(
                "{entry}        argocd: {{layout: root}}\n        source: {{repoURL: {GIT}}}\n"
            ),
        ),
    );
    let placed = render_and_children(&rs, &s, "homelab", "built-in default").unwrap();
    let e = one_owner(&placed).unwrap_err();
    assert!(
        e.contains("is rendered by both built-in default and flink-resources"),
        "{e}"
    );
}

#[test]
fn the_helm_fixture_rejects_every_argument_flinkwasm_does_not_pass() {
    let helm = HelmFixture::new();
    let run = |args: &[&str]| Command::new(helm.bin()).args(args).output().unwrap();
    let values = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(values.path(), "{}").unwrap();
    let chart = flinkwasm_tests::harness::repo("tests/charts/flink-kubernetes-operator");
    let values_arg = format!("--values={}", values.path().display());
    let ok = run(&[
        "template",
        "r",
        chart.to_str().unwrap(),
        "--namespace=confluent",
        "--kube-version=v1.31.0",
        "--api-versions=monitoring.coreos.com/v1",
        "--include-crds",
        &values_arg,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8(ok.stdout).unwrap();
    assert!(
        out.starts_with("---\n# Source: flink-kubernetes-operator/crds/"),
        "CRDs first: {out}"
    );
    for (args, needle) in [
        (vec!["version"], "unsupported command"),
        (vec!["install", "r", "c"], "unsupported command"),
        (
            vec![
                "template",
                "r",
                chart.to_str().unwrap(),
                "--namespace=confluent",
                "--kube-version=v1.31.0",
                "--include-crds",
                &values_arg,
                "--set=a=b",
            ],
            "unsupported flag --set",
        ),
        (
            vec![
                "template",
                "r",
                chart.to_str().unwrap(),
                "--namespace",
                "confluent",
                "--kube-version=v1.31.0",
                "--include-crds",
                &values_arg,
            ],
            "--namespace=VALUE",
        ),
        (
            vec![
                "template",
                "r",
                chart.to_str().unwrap(),
                "--kube-version=v1.31.0",
                "--include-crds",
                &values_arg,
            ],
            "--namespace is required",
        ),
        (vec!["template", "--debug", "r"], "RELEASE CHART first"),
        (
            vec![
                "template",
                "r",
                chart.to_str().unwrap(),
                "--namespace=a",
                "--namespace=b",
                "--kube-version=v1.31.0",
                "--include-crds",
                &values_arg,
            ],
            "given twice",
        ),
        (
            vec![
                "pull",
                "c",
                "--repo=http://127.0.0.1:9/",
                "--version=1",
                "--destination=/tmp",
                "--untar",
            ],
            "unsupported flag --untar",
        ),
        (
            vec!["pull", "c", "--repo=http://127.0.0.1:9/"],
            "--version is required",
        ),
        // `helm pull oci://…` exactly as flinkwasm passes it, nothing else.
        (
            vec![
                "pull",
                "c",
                "--repo=http://127.0.0.1:9/",
                "--version=1",
                "--destination=/tmp",
                "--plain-http",
            ],
            "unsupported flag --plain-http",
        ),
        (
            vec![
                "pull",
                "oci://127.0.0.1:9/charts/c",
                "--version=1",
                "--destination=/tmp",
            ],
            "--registry-config is required",
        ),
        (
            vec![
                "pull",
                "oci://127.0.0.1:9/charts/c",
                "--repo=http://127.0.0.1:9/",
                "--version=1",
                "--destination=/tmp",
                "--registry-config=/tmp/r.json",
            ],
            "unsupported flag --repo",
        ),
        (
            vec![
                "pull",
                "oci://127.0.0.1:9/charts/c",
                "--version=1",
                "--destination=/tmp",
                "--registry-config=/tmp/r.json",
                "--plain-http=true",
            ],
            "--plain-http is passed as",
        ),
        (
            vec![
                "pull",
                "oci://127.0.0.1:9/charts/c",
                "--version=1",
                "--destination=/tmp",
                "--registry-config=/tmp/r.json",
                "--insecure-skip-tls-verify",
            ],
            "unsupported flag --insecure-skip-tls-verify",
        ),
        (
            vec![
                "pull",
                "oci://127.0.0.1:9/charts/c",
                "--version=1",
                "--destination=/tmp",
                "--registry-config=/tmp/r.json",
                "--username=u",
            ],
            "unsupported flag --username",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// A scratch pipeline rendering `chart` (YAML flow mapping) through flink-operator.
fn chart_pipeline(s: &Scratch, chart: &str) {
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: op}}\nspec:\n  target: {{namespace: confluent, release: op}}\n  chart: {chart}\n  plugins:\n    - builtin: flink-operator\n      config: {{argocd: {{layout: component}}}}\n"
        ),
    );
}

fn with_helm(s: &Scratch, helm: &HelmFixture, args: &[&str]) -> flinkwasm_tests::harness::Run {
    s.run_env(
        args,
        None,
        &[("FLINKWASM_HELM", helm.bin().to_str().unwrap())],
    )
}

#[test]
fn a_repository_chart_is_pulled_once_pinned_and_cached_by_url_name_version_and_pin() {
    let charts = ChartRepo::serve(&["flink-kubernetes-operator"]);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let pin = charts.digest("flink-kubernetes-operator").to_string();
    chart_pipeline(
        &s,
        &format!(
            "{{repo: '{}', name: flink-kubernetes-operator, version: 1.130.0, sha256: '{pin}', valuesFrom: flink-operator, values: {{image: {{tag: 1.130.0-patched}}}}}}",
            charts.url
        ),
    );
    let first = with_helm(&s, &helm, &["render"]).ok();
    let objects = parse_stream(&first.stdout);
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    // The plugin's values reached Helm (2 CPU / 3Gi), the pipeline's were merged over them,
    // and the plugin then transformed the chart's output.
    let pod = &dep["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][0]["resources"]["limits"]["memory"], "3Gi");
    assert_eq!(
        pod["containers"][0]["image"], "confluentinc/cp-flink-kubernetes-operator:1.130.0-patched",
        "the pipeline's values merged last"
    );
    assert_eq!(
        dep["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "confluent-platform-flink"
    );
    assert!(
        objects
            .iter()
            .any(|o| o["kind"] == "CustomResourceDefinition"),
        "--include-crds"
    );
    assert!(
        objects.iter().all(|o| o["kind"] != "Application"),
        "layout component"
    );
    let served = charts.requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(served >= 2, "index and archive");
    // Warm: nothing is pulled, and the render is the same; even with the repository gone.
    drop(charts);
    let warm = with_helm(&s, &helm, &["render"]).ok();
    assert_eq!(warm.stdout, first.stdout);
    assert!(
        warm.elapsed < std::time::Duration::from_secs(2),
        "warm render took {:?}",
        warm.elapsed
    );
}

#[test]
fn a_pin_mismatch_an_unfetchable_chart_and_a_helm_failure_are_input_errors_naming_the_chart() {
    let charts = ChartRepo::serve(&["flink-kubernetes-operator"]);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let wrong = format!("sha256:{}", "0".repeat(64));
    chart_pipeline(
        &s,
        &format!(
            "{{repo: '{}', name: flink-kubernetes-operator, version: 1.130.0, sha256: '{wrong}'}}",
            charts.url
        ),
    );
    with_helm(&s, &helm, &["render"]).fails(3, "chart flink-kubernetes-operator 1.130.0 from");
    let r = with_helm(&s, &helm, &["render"]);
    assert!(
        r.stderr.contains("and the pipeline pins sha256:000"),
        "{}",
        r.stderr
    );

    chart_pipeline(
        &s,
        &format!(
            "{{repo: '{}', name: flink-kubernetes-operator, version: 9.9.9}}",
            charts.url
        ),
    );
    with_helm(&s, &helm, &["render"]).fails(3, "Helm failed");
    let r = with_helm(&s, &helm, &["render"]);
    assert!(
        r.stderr.contains("version \\\"9.9.9\\\" not found")
            || r.stderr.contains("9.9.9\" not found")
            || r.stderr.contains("not found"),
        "{}",
        r.stderr
    );

    // A chart directory whose template does not render: Helm's message, made safe.
    s.write(
        "broken/Chart.yaml",
        "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    );
    s.write(
        "broken/templates/x.yaml",
        "kind: {{ .Values.nope.deeper }}\n",
    );
    chart_pipeline(&s, "{path: broken}");
    with_helm(&s, &helm, &["render"]).fails(3, "chart broken: Helm failed");

    // No Helm at all.
    s.run_env(&["render"], None, &[("PATH", "/usr/bin:/bin")])
        .fails(3, "no Helm CLI was found");
}

#[test]
fn a_whole_render_with_the_chart_in_the_pipeline_has_no_helm_native_application() {
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    flinkwasm_tests::harness::copy_dir(
        &flinkwasm_tests::harness::repo("tests/charts/flink-kubernetes-operator"),
        &s.path().join("charts/op"),
    );
    chart_pipeline(&s, "{path: charts/op, valuesFrom: flink-operator}");
    let pipeline = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    s.write(
        "flinkwasm.yaml",
        pipeline.replace("{argocd: {layout: component}}", "{argocd: {layout: whole}}"),
    );
    let r = s
        .run_env(
            &["render"],
            None,
            &[
                ("FLINKWASM_HELM", helm.bin().to_str().unwrap()),
                ("RUST_LOG", "info"),
            ],
        )
        .ok();
    let objects = parse_stream(&r.stdout);
    // The chart's objects are in the render, with the values the Application would carry; an
    // Application installing the chart again would own them twice.
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "3Gi"
    );
    assert!(
        objects.iter().all(|o| o["kind"] != "Application"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("no Helm-native Application is emitted"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_chart_directory_is_confined_to_the_pipeline_directory() {
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    flinkwasm_tests::harness::copy_dir(
        &flinkwasm_tests::harness::repo("tests/charts/flink-kubernetes-operator"),
        &s.path().join("charts/op"),
    );
    chart_pipeline(&s, "{path: charts/op, valuesFrom: flink-operator}");
    let ok = with_helm(&s, &helm, &["render"]).ok();
    assert!(
        parse_stream(&ok.stdout)
            .iter()
            .any(|o| o["kind"] == "Deployment")
    );
    // A symlink inside the chart that leads out of the repository is refused before Helm runs.
    std::os::unix::fs::symlink("/etc/passwd", s.path().join("charts/op/conf/passwd")).unwrap();
    with_helm(&s, &helm, &["render"]).fails(3, "outside the pipeline directory");
    chart_pipeline(&s, "{path: ../elsewhere}");
    with_helm(&s, &helm, &["render"]).fails(3, "spec.chart.path");
}

#[test]
fn a_chart_directory_is_held_to_the_repositorys_rules_for_secrets_sizes_and_urls() {
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    s.write(
        "secretive/Chart.yaml",
        "apiVersion: v2\nname: secretive\nversion: 0.1.0\n",
    );
    // A literal secret in a template kept in the repository is a secret committed to Git.
    s.write(
        "secretive/templates/s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n",
    );
    chart_pipeline(&s, "{path: secretive}");
    let r = with_helm(&s, &helm, &["render"]).fails(3, "Secret");
    assert!(!r.stderr.contains("hunter2"), "never repeats the value");
    // A file above the per-file bound is refused before Helm reads it.
    std::fs::remove_file(s.path().join("secretive/templates/s.yaml")).unwrap();
    s.write("secretive/files/big.bin", vec![b'x'; (16 << 20) + 1]);
    with_helm(&s, &helm, &["render"]).fails(3, "larger than 16 MiB");
    // Credentials in a repository URL never reach Helm's command line or a message.
    chart_pipeline(
        &s,
        "{repo: 'https://user:hunter2@127.0.0.1:1/charts', name: op, version: 1.0.0}",
    );
    let r = with_helm(&s, &helm, &["render"]).fails(3, "user name or password");
    assert!(!r.stderr.contains("hunter2"));
}

#[test]
fn bootstrap_refuses_arguments_argo_cd_would_take_verbatim() {
    let s = Scratch::new(BIN);
    for (flag, value) in [
        ("--repo", "https://example.com/r.git\nx: y"),
        ("--revision", "-main"),
        ("--path", "work loads"),
        ("--repo", "https://example.com/\"r"),
    ] {
        let given = format!("{flag}={value}");
        let mut args = vec!["argocd", "bootstrap", "--cluster", "default"];
        for (f, default) in [
            ("--repo", "https://example.com/r.git"),
            ("--path", "workloads"),
        ] {
            if f != flag {
                args.extend([f, default]);
            }
        }
        args.push(&given);
        let r = s.run(&args, None).fails(3, flag);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn an_offline_run_takes_the_chart_from_the_cache_that_plugins_pull_filled() {
    let charts = ChartRepo::serve(&["flink-kubernetes-operator"]);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    chart_pipeline(
        &s,
        &format!(
            "{{repo: '{}', name: flink-kubernetes-operator, version: 1.130.0, valuesFrom: flink-operator}}",
            charts.url
        ),
    );
    let helm_bin = helm.bin();
    let env = [
        ("FLINKWASM_OFFLINE", "1"),
        ("FLINKWASM_HELM", helm_bin.to_str().unwrap()),
    ];
    let offline = |args: &[&str]| s.run_env(args, None, &env);
    // Offline and cold: refused before Helm is asked to fetch anything, naming the way out.
    let before = charts.requests.load(std::sync::atomic::Ordering::Relaxed);
    offline(&["render"]).fails(3, "is not in the cache, and this run may not fetch it");
    assert_eq!(
        charts.requests.load(std::sync::atomic::Ordering::Relaxed),
        before,
        "an offline run contacted the chart repository"
    );
    // The Argo CD init step (`plugins pull`) fetches it; then the repository may go.
    let pulled = with_helm(&s, &helm, &["plugins", "pull"]).ok();
    assert!(
        pulled
            .stdout
            .contains("pulled chart flink-kubernetes-operator 1.130.0 from"),
        "{}",
        pulled.stdout
    );
    let again = with_helm(&s, &helm, &["plugins", "pull"]).ok();
    assert!(again.stdout.contains("cached chart"), "{}", again.stdout);
    drop(charts);
    let objects = parse_stream(&offline(&["render"]).ok().stdout);
    assert!(objects.iter().any(|o| o["kind"] == "Deployment"));
}

#[test]
fn a_repository_that_answers_with_another_chart_is_refused_and_nothing_is_cached() {
    let charts = ChartRepo::serve(&["flink-kubernetes-operator"]);
    // The index lists `notevil` 7.7.7, and its URL is the operator chart's archive.
    let index = charts.dir().join("index.yaml");
    let text = std::fs::read_to_string(&index).unwrap();
    let lying = text
        .replace("\n  flink-kubernetes-operator:\n", "\n  notevil:\n")
        .replace(
            "\n    name: flink-kubernetes-operator\n",
            "\n    name: notevil\n",
        )
        .replace("\n    version: 1.130.0\n", "\n    version: 7.7.7\n");
    assert_ne!(lying, text, "the index was rewritten");
    std::fs::write(&index, lying).unwrap();
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    chart_pipeline(
        &s,
        &format!("{{repo: '{}', name: notevil, version: 7.7.7}}", charts.url),
    );
    let r = with_helm(&s, &helm, &["render"]).fails(3, "chart notevil 7.7.7 from");
    assert!(
        r.stderr.contains(
            "the archive served is the chart flink-kubernetes-operator 1.130.0, not the one \
             asked for; refused"
        ),
        "{}",
        r.stderr
    );
    // Nothing was kept: an offline run has nothing to render.
    s.run_env(
        &["render"],
        None,
        &[
            ("FLINKWASM_HELM", helm.bin().to_str().unwrap()),
            ("FLINKWASM_OFFLINE", "1"),
        ],
    )
    .fails(3, "is not in the cache");
}
