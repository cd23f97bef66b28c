//! The whole stack: golden renders of both clusters (the built-in default; the workloads tree
//! against it is in `gitops.rs`), and what each component's plugin promises. Every object is checked against the
//! real schemas in `schemas.rs`, and how it wires together in `wiring.rs` and `cluster.rs`.
//!
//! Golden files are rewritten with `FLINKWASM_UPDATE_GOLDEN=1 cargo test -p flinkwasm-tests
//! --test stack`; review the diff like any other change.

use flinkwasm_tests::harness::{Scratch, golden, parse_stream, repo};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::BIN;
use flinkwasm_tests::harness::find;

fn render(s: &Scratch, args: &[&str]) -> (String, String) {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    let r = s.run(&all, None).ok();
    (r.stdout, r.stderr)
}

/// Every leaf path whose value differs between `a` and `b` (objects matched by identity).
fn differences(a: &[Value], b: &[Value]) -> BTreeSet<String> {
    fn walk(path: String, a: &Value, b: &Value, out: &mut BTreeSet<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    walk(
                        format!("{path}.{k}"),
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(format!("{path}[{i}]"), p, q, out);
                }
            }
            _ if a != b => {
                out.insert(path);
            }
            _ => {}
        }
    }
    let id = |o: &Value| {
        format!(
            "{}/{}",
            o["kind"].as_str().unwrap(),
            o["metadata"]["name"].as_str().unwrap()
        )
    };
    let mut out = BTreeSet::new();
    for y in b {
        match a.iter().find(|x| id(x) == id(y)) {
            Some(x) => walk(id(x), x, y, &mut out),
            None => {
                out.insert(format!("{} (added)", id(y)));
            }
        }
    }
    for x in a {
        if !b.iter().any(|y| id(x) == id(y)) {
            out.insert(format!("{} (removed)", id(x)));
        }
    }
    out
}

#[test]
fn both_clusters_render_the_whole_stack_pinned_by_golden_files() {
    let s = Scratch::new(BIN);
    let (homelab, _) = render(&s, &["--cluster", "homelab"]);
    let (demo, _) = render(&s, &["--cluster", "flink-demo"]);
    golden("homelab", &homelab);
    golden("flink-demo", &demo);
    let (default, _) = render(&s, &[]);
    assert_eq!(default, homelab, "homelab is the default cluster");

    let h = parse_stream(&homelab);
    let d = parse_stream(&demo);
    let kinds: Vec<String> = h
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Application/flink-kubernetes-operator",
            "Application/cmf-operator",
            "CMFRestClass/default",
            "FlinkEnvironment/default-flink-env",
            "Service/flink-metrics",
            "ServiceMonitor/flink",
            "PodMonitor/flink-kubernetes-operator",
            "ConfigMap/flink-dashboard",
        ]
    );
    let defaults = "FlinkEnvironment/default-flink-env.spec.flinkApplicationDefaults.spec";
    let values = |app: &str| format!("Application/{app}.spec.source.helm.valuesObject");
    // flink-demo is homelab plus the seed's overlay and the security switches, and nothing else.
    let areas: Vec<String> = vec![
        // The seed's overlay.
        format!("{defaults}.flinkConfiguration.taskmanager.numberOfTaskSlots"),
        format!("{defaults}.jobManager.resource.memory"),
        format!("{defaults}.taskManager.resource.memory"),
        // Jobs in their own namespace, watched by the operator.
        "FlinkEnvironment/default-flink-env.spec.kubernetesNamespace".to_string(),
        format!("{}.watchNamespaces", values("flink-kubernetes-operator")),
        // Kafka and Schema Registry: addresses, credentials from Secrets.
        format!("{defaults}.podTemplate.spec"),
        // CMF: TLS, mTLS, production mode; CFK's side of mTLS.
        format!("{}.cmf", values("cmf-operator")),
        format!("{}.mountedVolumes", values("cmf-operator")),
        format!("{}.encryption", values("cmf-operator")),
        "CMFRestClass/default.spec.cmfRest".to_string(),
        // New objects.
        "NetworkPolicy/flink-kubernetes-operator (added)".to_string(),
        "NetworkPolicy/confluent-manager-for-apache-flink (added)".to_string(),
        "Ingress/cmf-ingress (added)".to_string(),
        "NetworkPolicy/flink-pods (added)".to_string(),
        "NetworkPolicy/default-deny (added)".to_string(),
        // The namespace the Flink pods run in, created before anything lands there; the
        // metrics Service where those pods are, and the ServiceMonitor looking there.
        "Namespace/flink (added)".to_string(),
        "Service/flink-metrics.metadata.namespace".to_string(),
        "ServiceMonitor/flink.spec.namespaceSelector.matchNames".to_string(),
        // What the charts run, declared for the wiring check: the operator's watched namespace,
        // CMF's TLS and mTLS.
        "Application/flink-kubernetes-operator.metadata.annotations.flinkwasm.io/workloads"
            .to_string(),
        "Application/cmf-operator.metadata.annotations.flinkwasm.io/workloads".to_string(),
    ];
    let diff = differences(&h, &d);
    for path in &diff {
        assert!(
            areas.iter().any(|a| path.starts_with(a.as_str())),
            "flink-demo differs from homelab outside the overlay and the security switches: {path}"
        );
    }
    for area in &areas {
        assert!(
            diff.iter().any(|p| p.starts_with(area.as_str())),
            "flink-demo should differ from homelab at {area}: {diff:#?}"
        );
    }
    let env = find(&d, "FlinkEnvironment", "default-flink-env");
    let spec = &env["spec"]["flinkApplicationDefaults"]["spec"];
    assert_eq!(
        spec["flinkConfiguration"]["taskmanager.numberOfTaskSlots"],
        "4"
    );
    assert_eq!(spec["jobManager"]["resource"]["memory"], "2048m");
}

#[test]
fn the_applications_carry_waves_charts_and_the_seeds_sizes() {
    let s = Scratch::new(BIN);
    let (out, stderr) = render(&s, &[]);
    let o = parse_stream(&out);
    let wave = |name: &str| {
        find(&o, "Application", name)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .clone()
    };
    assert_eq!(wave("flink-kubernetes-operator"), "116");
    assert_eq!(wave("cmf-operator"), "118");
    // Layout whole: one owner per object. The CFK objects are in this render, so no
    // Application points the flinkwasm CMP at workloads/flink-resources to render them again;
    // the Applications are the charts' Helm-native ones.
    let apps: Vec<&Value> = o.iter().filter(|x| x["kind"] == "Application").collect();
    assert_eq!(apps.len(), 2, "{apps:#?}");
    for app in apps {
        assert!(app["spec"]["source"]["chart"].is_string(), "{app:#?}");
        assert!(app["spec"]["source"]["plugin"].is_null(), "{app:#?}");
    }

    let op = &find(&o, "Application", "flink-kubernetes-operator")["spec"];
    assert_eq!(
        op["source"]["repoURL"],
        "https://packages.confluent.io/helm"
    );
    assert_eq!(op["source"]["chart"], "flink-kubernetes-operator");
    assert_eq!(op["source"]["targetRevision"], "1.130.0");
    assert_eq!(op["destination"]["namespace"], "confluent");
    let opts = op["syncPolicy"]["syncOptions"].as_array().unwrap();
    assert!(opts.contains(&"ServerSideApply=true".into()), "{opts:?}");
    let v = &op["source"]["helm"]["valuesObject"];
    assert_eq!(
        v["operatorPod"]["resources"]["limits"],
        serde_json::json!({"cpu": "2", "memory": "3Gi"})
    );
    assert_eq!(v["watchNamespaces"], serde_json::json!(["confluent"]));
    assert_eq!(v["metrics"]["port"], 9999);
    let conf = v["defaultConfiguration"]["flink-conf.yaml"]
        .as_str()
        .unwrap();
    assert!(conf.contains("kubernetes.operator.metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory"));
    assert!(conf.contains("kubernetes.operator.metrics.reporter.prom.port: 9999"));
    // The chart's own overrides stay: a value replaces the chart's whole string.
    assert!(conf.starts_with("# Flink Config Overrides\nkubernetes.operator.metrics.reporter.slf4j.factory.class: org.apache.flink.metrics.slf4j.Slf4jReporterFactory\n"), "{conf}");
    assert!(conf.contains("kubernetes.operator.reconcile.interval: 15 s\n"));
    assert!(conf.contains("kubernetes.operator.observer.progress-check.interval: 5 s\n"));
    assert_eq!(
        v["webhook"]["create"], false,
        "no cert-manager in the default API versions"
    );
    assert!(stderr.contains("webhook is turned off"), "{stderr}");

    let cmf = &find(&o, "Application", "cmf-operator")["spec"];
    assert_eq!(cmf["source"]["chart"], "confluent-manager-for-apache-flink");
    assert_eq!(cmf["source"]["targetRevision"], "2.1.0");
    let v = &cmf["source"]["helm"]["valuesObject"];
    assert_eq!(
        v["resources"]["limits"],
        serde_json::json!({"cpu": "2", "memory": "1Gi"})
    );
    assert_eq!(
        v["persistence"],
        serde_json::json!({"create": true, "dataVolumeCapacity": "10Gi"})
    );
    assert!(
        v.get("license").is_none(),
        "a trial license unless a Secret is named"
    );
    assert_eq!(
        cmf["syncPolicy"]["automated"]["prune"], false,
        "the SQLite volume is never pruned"
    );
}

fn pipeline_with(s: &Scratch, plugins: &str) {
    s.write(
        "flinkwasm.yaml",
        format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  target: {{namespace: confluent}}\n  plugins:\n{plugins}"),
    );
}

#[test]
fn cert_manager_turns_the_webhook_on_and_forcing_it_without_cert_manager_fails() {
    let s = Scratch::new(BIN);
    pipeline_with(&s, "  - builtin: flink-operator\n");
    let r = s
        .run(
            &["render", "--api-versions", "v1,apps/v1,cert-manager.io/v1"],
            None,
        )
        .ok();
    let o = parse_stream(&r.stdout);
    assert_eq!(
        o[0]["spec"]["source"]["helm"]["valuesObject"]["webhook"]["create"],
        true
    );
    assert!(!r.stderr.contains("webhook is turned off"));
    pipeline_with(
        &s,
        "  - builtin: flink-operator\n    config: {webhook: {create: true}}\n",
    );
    s.run(&["render"], None).fails(4, "plugin flink-operator: webhook.create is true but cert-manager.io/v1 is not among the cluster's API versions");
}

#[test]
fn cmf_names_a_license_secret_and_a_storage_class() {
    let s = Scratch::new(BIN);
    pipeline_with(
        &s,
        "  - builtin: cmf\n    config: {license: {secretRef: cmf-license}, persistence: {storageClassName: fast, size: 20Gi}}\n",
    );
    let r = s.run(&["render"], None).ok();
    let v = &parse_stream(&r.stdout)[0]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(v["license"]["secretRef"], "cmf-license");
    assert_eq!(
        v["persistence"],
        serde_json::json!({"create": true, "dataVolumeCapacity": "20Gi", "storageClassName": "fast"})
    );
}

#[test]
fn without_the_prometheus_operator_the_monitors_are_skipped_with_a_warning() {
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &[
                "render",
                "--api-versions",
                "v1,apps/v1,argoproj.io/v1alpha1,platform.confluent.io/v1beta1",
            ],
            None,
        )
        .ok();
    let o = parse_stream(&r.stdout);
    assert!(
        o.iter()
            .all(|x| x["apiVersion"] != "monitoring.coreos.com/v1")
    );
    assert!(
        o.iter()
            .any(|x| x["kind"] == "Service" && x["metadata"]["name"] == "flink-metrics")
    );
    assert!(
        r.stderr
            .contains("monitoring.coreos.com/v1 is not among the cluster's API versions"),
        "{}",
        r.stderr
    );
}

#[test]
fn monitoring_wires_service_monitor_reporter_and_release_label_together() {
    let s = Scratch::new(BIN);
    let (out, stderr) = render(&s, &[]);
    let o = parse_stream(&out);
    let svc = find(&o, "Service", "flink-metrics");
    assert_eq!(svc["spec"]["clusterIP"], "None");
    assert_eq!(
        svc["spec"]["selector"],
        serde_json::json!({"type": "flink-native-kubernetes"})
    );
    assert_eq!(
        svc["spec"]["ports"][0],
        serde_json::json!({"name": "metrics", "port": 9249, "targetPort": 9249, "protocol": "TCP"})
    );
    let sm = find(&o, "ServiceMonitor", "flink");
    // The ServiceMonitor selects the Service by its labels.
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(
            &svc["metadata"]["labels"][k], v,
            "the ServiceMonitor selects the Service"
        );
    }
    assert_eq!(
        sm["spec"]["endpoints"][0]["port"],
        svc["spec"]["ports"][0]["name"]
    );
    assert_eq!(
        sm["spec"]["endpoints"][0]["relabelings"][0],
        serde_json::json!({"action": "replace", "targetLabel": "job", "replacement": "flink"})
    );
    assert_eq!(
        sm["spec"]["podTargetLabels"],
        serde_json::json!(["app", "component", "type", "platform.confluent.io/origin"])
    );
    assert!(sm["metadata"]["labels"].get("release").is_none());
    assert!(
        stderr.contains("plugin monitoring: prometheusRelease: the ServiceMonitor and PodMonitor carry no release label"),
        "{stderr}"
    );
    let env = find(&o, "FlinkEnvironment", "default-flink-env");
    let conf = &env["spec"]["flinkApplicationDefaults"]["spec"]["flinkConfiguration"];
    assert_eq!(
        conf["metrics.reporter.prom.factory.class"],
        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
    );
    assert_eq!(conf["metrics.reporter.prom.port"], "9249");
    let pm = find(&o, "PodMonitor", "flink-kubernetes-operator");
    assert_eq!(
        pm["spec"]["selector"]["matchLabels"],
        serde_json::json!({"app.kubernetes.io/name": "flink-kubernetes-operator"})
    );
    assert_eq!(pm["spec"]["podMetricsEndpoints"][0]["port"], "metrics");
    let cm = find(&o, "ConfigMap", "flink-dashboard");
    assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");

    pipeline_with(
        &s,
        "  - builtin: flink-environment\n    config: {argocd: {enabled: false}}\n  - builtin: monitoring\n    config: {prometheusRelease: kube-prometheus-stack, port: 9250}\n",
    );
    let r = s
        .run(
            &["render", "--api-versions", "v1,monitoring.coreos.com/v1"],
            None,
        )
        .ok();
    let o = parse_stream(&r.stdout);
    assert!(!r.stderr.contains("carry no release label"), "{}", r.stderr);
    assert_eq!(
        find(&o, "ServiceMonitor", "flink")["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    assert_eq!(
        find(&o, "PodMonitor", "flink-kubernetes-operator")["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    assert_eq!(
        find(&o, "Service", "flink-metrics")["spec"]["ports"][0]["targetPort"],
        9250
    );
    let env = find(&o, "FlinkEnvironment", "default-flink-env");
    assert_eq!(
        env["spec"]["flinkApplicationDefaults"]["spec"]["flinkConfiguration"]["metrics.reporter.prom.port"],
        "9250"
    );
}

#[test]
fn the_seeds_flink_application_is_lowered_to_the_real_shape() {
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &["render", repo("workloads/flink-examples").to_str().unwrap()],
            None,
        )
        .ok();
    let o = parse_stream(&r.stdout);
    let app = find(&o, "FlinkApplication", "my-flink-job");
    assert_eq!(app["apiVersion"], "platform.confluent.io/v1beta1");
    assert_eq!(app["spec"]["flinkEnvironment"], "default-flink-env");
    assert!(app["spec"].get("flinkEnvironmentRef").is_none());
    assert_eq!(app["spec"]["image"], "confluentinc/cp-flink:1.19.1-cp1");
    assert_eq!(app["spec"]["flinkVersion"], "v1_19");
    assert_eq!(app["spec"]["serviceAccount"], "flink");
    assert_eq!(app["spec"]["job"]["state"], "running");
    assert_eq!(
        app["spec"]["job"]["jarURI"],
        "local:///opt/flink/examples/streaming/StateMachineExample.jar"
    );
    let sql = find(&o, "FlinkApplication", "order-totals");
    assert_eq!(sql["spec"]["job"]["args"][0], "/opt/flink/sql/orders.sql");
    assert!(
        find(&o, "ConfigMap", "order-totals-sql")["data"]["orders.sql"]
            .as_str()
            .unwrap()
            .contains("INSERT INTO order_totals")
    );
    assert_eq!(
        o.len(),
        3,
        "only the examples: no environment or Application is generated"
    );

    s.write("app.yaml", "apiVersion: flink.confluent.io/v1beta1\nkind: FlinkApplication\nmetadata: {name: j, namespace: confluent}\nspec:\n  flinkEnvironmentRef: {name: default-flink-env}\n  job: {jarURI: local:///x.jar, state: paused}\n  jobManager: {resource: {memory: 1g, cpu: 1}}\n  taskManager: {resource: {memory: 1g, cpu: 1}}\n");
    pipeline_with(
        &s,
        "  - builtin: flink-environment\n    config: {generate: false, argocd: {enabled: false}}\n",
    );
    let pipeline = std::fs::read_to_string(s.path().join("flinkwasm.yaml"))
        .unwrap()
        .replace("  plugins:", "  resources: [app.yaml]\n  plugins:");
    s.write("flinkwasm.yaml", pipeline);
    s.run(&["render"], None).fails(4, "plugin flink-environment: FlinkApplication/confluent/j spec.job.state: job.state is paused; it must be running or suspended");
}

/// The README's resource table, computed from what the default stack renders (`objects`) and
/// the waves of the workloads tree's root (`root`), where the FlinkEnvironment has its own
/// Application.
fn resource_table(objects: &[Value], root: &[Value]) -> String {
    let values = |app: &str| {
        find(objects, "Application", app)["spec"]["source"]["helm"]["valuesObject"].clone()
    };
    let source = |app: &str| find(objects, "Application", app)["spec"]["source"].clone();
    let wave = |app: &str| {
        find(root, "Application", app)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let gi = |q: &Value| {
        q.as_str()
            .unwrap()
            .trim_end_matches("Gi")
            .parse::<u32>()
            .unwrap()
    };
    let cpu = |q: &Value| q.as_str().unwrap().parse::<u32>().unwrap();
    let op = values("flink-kubernetes-operator")["operatorPod"]["resources"]["limits"].clone();
    let cmf_values = values("cmf-operator");
    let cmf = cmf_values["resources"]["limits"].clone();
    let pvc = cmf_values["persistence"]["dataVolumeCapacity"]
        .as_str()
        .unwrap()
        .to_string();
    let env =
        find(objects, "FlinkEnvironment", "default-flink-env")["spec"]["flinkApplicationDefaults"]
            ["spec"]
            .clone();
    let chart = |app: &str| {
        let s = source(app);
        format!(
            "`{}` {}",
            s["chart"].as_str().unwrap(),
            s["targetRevision"].as_str().unwrap()
        )
    };
    format!(
        "| Component | Deployed by (sync wave) | Chart | CPU | Memory | Storage |\n\
         |---|---|---|---|---|---|\n\
         | Flink Kubernetes Operator | `flink-kubernetes-operator` ({}) | {} | {} | {}Gi | - |\n\
         | CMF | `cmf-operator` ({}) | {} | {} | {}Gi | {} (PVC) |\n\
         | FlinkEnvironment defaults | `flink-resources` ({}) under `workloads/`; the default render itself | flinkwasm CMP | {} per JobManager / TaskManager | {} per JobManager / TaskManager | - |\n\
         | **Total (operators only)** | | | **{}** | **{}Gi** | **{}** |\n",
        wave("flink-kubernetes-operator"),
        chart("flink-kubernetes-operator"),
        cpu(&op["cpu"]),
        gi(&op["memory"]),
        wave("cmf-operator"),
        chart("cmf-operator"),
        cpu(&cmf["cpu"]),
        gi(&cmf["memory"]),
        pvc,
        wave("flink-resources"),
        env["jobManager"]["resource"]["cpu"],
        env["jobManager"]["resource"]["memory"].as_str().unwrap(),
        cpu(&op["cpu"]) + cpu(&cmf["cpu"]),
        gi(&op["memory"]) + gi(&cmf["memory"]),
        pvc,
    )
}

#[test]
fn the_readme_shows_the_resource_table_as_flinkwasm_renders_it() {
    let s = Scratch::new(BIN);
    let (out, _) = render(&s, &[]);
    let (root, _) = render(&s, &[repo("workloads").to_str().unwrap()]);
    let table = resource_table(&parse_stream(&out), &parse_stream(&root));
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md must contain, exactly:\n{table}"
    );
}
