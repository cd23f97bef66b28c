//! The host/plugin contract end to end: what crosses the boundary, the default stack in real
//! CFK shape (checked against the real CRD schemas), the seed's authoring form lowered,
//! post-rendering.

use flinkwasm_tests::harness::{INPUT, Scratch, find, parse_stream};
use flinkwasm_tests::schemas;
use serde_json::Value;

use crate::BIN;

/// The objects of `kind`, each checked against the real schema of its kind first.
fn real<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    let of_kind: Vec<&Value> = objects.iter().filter(|o| o["kind"] == kind).collect();
    for o in &of_kind {
        assert_eq!(o["apiVersion"], "platform.confluent.io/v1beta1", "{o}");
        schemas::Schemas::get()
            .check(o)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    of_kind
}

#[test]
fn the_context_crosses_the_boundary_intact() {
    let s = Scratch::new(BIN);
    s.probe_pipeline("{action: context, path: base}", "{}");
    let mut pipeline = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    pipeline = pipeline.replace(
        "    limits: {}\n",
        "    limits: {}\n    files: [overlays/homelab]\n",
    );
    pipeline.push_str("  clusters:\n    homelab:\n      target: {kubeVersion: v1.30.2, apiVersions: [v1, apps/v1, v1]}\n      config:\n        probe: {path: overlay}\n");
    s.write("flinkwasm.yaml", pipeline);
    s.write("overlays/homelab/patch.yaml", "kind: FlinkEnvironment\n");
    s.write(
        "overlays/homelab/kustomization.yaml",
        "patches: [patch.yaml]\n",
    );
    let r = s
        .run(
            &["post-render", "--cluster", "homelab", "--release", "rel-1"],
            Some(INPUT),
        )
        .ok();
    let objects = parse_stream(&r.stdout);
    assert_eq!(
        objects[0]["kind"], "Deployment",
        "the input object comes back first"
    );
    let data = objects[1]["data"].as_object().unwrap();
    assert_eq!(data["cluster"], "homelab");
    assert_eq!(data["namespace"], "team-a");
    assert_eq!(data["release"], "rel-1");
    assert_eq!(data["generate"], "false");
    assert_eq!(data["caller"], "post-render");
    assert_eq!(data["kubeVersion"], "1.30.2");
    assert_eq!(data["apiVersions"], "apps/v1,v1");
    assert_eq!(data["config"], r#"{"action":"context","path":"overlay"}"#);
    assert_eq!(
        data["file.overlays_homelab_patch.yaml"],
        "kind: FlinkEnvironment\n"
    );
    assert_eq!(
        data["file.overlays_homelab_kustomization.yaml"],
        "patches: [patch.yaml]\n"
    );
    assert_eq!(data["inputCount"], "1");
}

#[test]
fn the_default_stack_is_real_cfk() {
    let s = Scratch::new(BIN);
    let r = s.run(&["render"], None).ok();
    let objects = parse_stream(&r.stdout);
    let rest = real(&objects, "CMFRestClass");
    let envs = real(&objects, "FlinkEnvironment");
    assert_eq!(rest.len(), 1);
    assert_eq!(envs.len(), 1);
    assert_eq!(
        rest[0]["spec"]["cmfRest"]["endpoint"],
        "http://cmf-service.confluent.svc.cluster.local:80"
    );
    let env = envs[0];
    assert_eq!(env["metadata"]["name"], "default-flink-env");
    assert_eq!(env["spec"]["kubernetesNamespace"], "confluent");
    assert_eq!(env["spec"]["cmfRestClassRef"]["name"], "default");
    let defaults = &env["spec"]["flinkApplicationDefaults"]["spec"];
    let conf = &defaults["flinkConfiguration"];
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "2");
    assert_eq!(conf["state.backend.type"], "rocksdb");
    assert_eq!(conf["execution.checkpointing.interval"], "60s");
    assert_eq!(conf["execution.checkpointing.mode"], "EXACTLY_ONCE");
    let jm = &defaults["jobManager"]["resource"];
    assert_eq!((&jm["memory"], &jm["cpu"]), (&"1024m".into(), &1.into()));
    let main = &defaults["podTemplate"]["spec"]["containers"][0];
    assert_eq!(main["name"], "flink-main-container");
    let env_vars: Vec<(&str, &str)> = main["env"]
        .as_array()
        .expect("the main container's env")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or(""),
                e["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(env_vars.contains(&(
        "KAFKA_BOOTSTRAP_SERVERS",
        "kafka.confluent.svc.cluster.local:9092"
    )));
    assert!(env_vars.contains(&(
        "SCHEMA_REGISTRY_URL",
        "http://schemaregistry.confluent.svc.cluster.local:8081"
    )));
    // The expert's warning about checkpoints in /tmp reaches the user on stderr.
    assert!(
        r.stderr.contains("state.checkpoints.dir") && r.stderr.contains("lost when it restarts"),
        "{}",
        r.stderr
    );
    // Same inputs, same bytes.
    assert_eq!(s.run(&["render"], None).ok().stdout, r.stdout);
}

const SEED_ENVIRONMENT: &str = r#"apiVersion: flink.confluent.io/v1beta1
kind: FlinkEnvironment
metadata:
  name: default-flink-env
  namespace: confluent
  annotations:
    postrenderer.helm.sh/postrender-filename: flink-environment.yaml
spec:
  kafkaCluster:
    bootstrapServers: kafka-0.kafka.confluent.svc.cluster.local:9071
  schemaRegistry:
    url: http://sr.confluent.svc.cluster.local:8081
  flinkConfiguration:
    jobmanager.memory.process.size: "2048m"
    jobmanager.cpu: "1.0"
    taskmanager.memory.process.size: "2048m"
    taskmanager.cpu: "2"
    taskmanager.numberOfTaskSlots: "4"
    state.backend: rocksdb
    state.checkpoints.dir: "s3://bucket/checkpoints"
    execution.checkpointing.interval: "60s"
"#;

#[test]
fn the_seeds_authoring_form_is_lowered_in_post_render() {
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &["--log-level", "info", "post-render"],
            Some(SEED_ENVIRONMENT),
        )
        .ok();
    let objects = parse_stream(&r.stdout);
    assert_eq!(objects.len(), 1, "post-render only transforms: {objects:?}");
    let env = real(&objects, "FlinkEnvironment")[0];
    assert_eq!(
        env["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"],
        "flink-environment.yaml",
        "Helm's split annotation survives"
    );
    let d = &env["spec"]["flinkApplicationDefaults"]["spec"];
    assert_eq!(d["jobManager"]["resource"]["memory"], "2048m");
    assert_eq!(d["taskManager"]["resource"]["cpu"], 2.0);
    let conf = &d["flinkConfiguration"];
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "4");
    assert_eq!(conf["state.backend.type"], "rocksdb");
    for gone in [
        "state.backend",
        "jobmanager.cpu",
        "taskmanager.cpu",
        "jobmanager.memory.process.size",
    ] {
        assert!(
            conf.get(gone).is_none(),
            "{gone} must not reach the cluster"
        );
    }
    let vars = d["podTemplate"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("the main container's env");
    assert!(vars.iter().any(|v| v["name"] == "KAFKA_BOOTSTRAP_SERVERS"
        && v["value"] == "kafka-0.kafka.confluent.svc.cluster.local:9071"));
    assert!(
        r.stderr.contains("jobmanager.cpu is not a Flink option"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("state.backend is the legacy name"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("lost when it restarts"),
        "s3 checkpoints are durable: {}",
        r.stderr
    );
}

#[test]
fn post_render_passes_other_objects_through_unchanged() {
    let s = Scratch::new(BIN);
    let r = s.run(&["post-render"], Some(INPUT)).ok();
    assert_eq!(parse_stream(&r.stdout), parse_stream(INPUT));
}

#[test]
fn a_seed_field_with_no_place_is_an_error_not_a_silent_loss() {
    let s = Scratch::new(BIN);
    let input = SEED_ENVIRONMENT.replace("  kafkaCluster:", "  replicas: 3\n  kafkaCluster:");
    s.run(&["post-render"], Some(&input))
        .fails(4, "plugin flink-environment: FlinkEnvironment/confluent/default-flink-env spec.replicas: spec.replicas is not a field of FlinkEnvironment");
}

#[test]
fn plugins_inspect_shows_the_schema_and_verify_checks_the_pipeline() {
    let s = Scratch::new(BIN);
    let r = s
        .run(&["plugins", "inspect", "flink-environment"], None)
        .ok();
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["role"], "both");
    assert_eq!(
        doc["configSchema"]["properties"]["kafka"]["properties"]["bootstrapServers"]["type"],
        "string"
    );
    assert_eq!(
        doc["select"]["kinds"],
        serde_json::json!([
            "FlinkEnvironment",
            "FlinkApplication",
            "CMFRestClass",
            "Application",
            "Namespace"
        ])
    );
    let r = s.run(&["plugins", "inspect", "cluster-overlay"], None).ok();
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["select"], Value::Null, "overlays may patch anything");
    let r = s.run(&["plugins", "verify"], None).ok();
    let verified: Vec<String> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        verified,
        [
            "ok flink-operator",
            "ok cmf",
            "ok flink-environment",
            "ok monitoring",
            "ok cluster-overlay"
        ],
        "{}",
        r.stdout
    );
    let r = s.run(&["plugins", "list"], None).ok();
    assert!(
        r.stdout.contains("flink-environment") && r.stdout.contains("sha256:"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_workloads_tree_lowers_the_seeds_own_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/flink-resources");
    let s = Scratch::new(BIN);
    let r = s.run(&["render", dir.to_str().unwrap()], None).ok();
    let objects = parse_stream(&r.stdout);
    let kinds: Vec<_> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "FlinkEnvironment",
            "CMFRestClass",
            "Service",
            "ServiceMonitor",
            "ConfigMap"
        ]
    );
    let env = real(&objects, "FlinkEnvironment")[0];
    let d = &env["spec"]["flinkApplicationDefaults"]["spec"];
    assert_eq!(d["jobManager"]["resource"]["memory"], "1024m");
    assert_eq!(
        d["flinkConfiguration"]["execution.checkpointing.mode"],
        "EXACTLY_ONCE"
    );
    assert_eq!(real(&objects, "CMFRestClass").len(), 1);
    for warning in [
        "jobmanager.cpu is not a Flink option",
        "state.backend is the legacy name",
        "lost when it restarts",
    ] {
        assert!(r.stderr.contains(warning), "{warning}: {}", r.stderr);
    }
}

#[test]
fn render_writes_a_file_atomically_and_post_render_runs_only_the_named_plugins() {
    let s = Scratch::new(BIN);
    let r = s.run(&["render", "-o", "stack.yaml"], None).ok();
    assert!(r.stdout.is_empty(), "with -o nothing goes to stdout");
    let written = std::fs::read_to_string(s.path().join("stack.yaml")).unwrap();
    assert!(written.contains("kind: FlinkEnvironment"));
    assert_eq!(s.run(&["render"], None).ok().stdout, written);
    let leftovers: Vec<_> = std::fs::read_dir(s.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    s.probe_pipeline("{action: label, label: from-probe}", "{}");
    let r = s
        .run(&["post-render", "--plugin", "probe"], Some(INPUT))
        .ok();
    assert_eq!(
        parse_stream(&r.stdout)[0]["metadata"]["labels"]["probe"],
        "from-probe"
    );
    s.run(&["post-render", "--plugin", "nope"], Some(INPUT))
        .fails(3, "no plugin `nope` in the pipeline; it has: probe");
}

#[test]
fn logs_can_be_json_and_never_reach_stdout() {
    let s = Scratch::new(BIN);
    let r = s.run(&["--log-format", "json", "render"], None).ok();
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("state.checkpoints.dir"))
        .expect("a warning line");
    let event: Value = serde_json::from_str(line).expect("each log line is JSON");
    assert_eq!(event["level"], "WARN");
    assert!(
        parse_stream(&r.stdout)
            .iter()
            .all(|o| o["kind"].is_string()),
        "stdout holds only objects"
    );
    Scratch::new(BIN)
        .run(&["render", "no-such-dir"], None)
        .fails(3, "no-such-dir is not a directory");
}

#[test]
fn a_plugin_sees_only_what_it_selects_and_the_stream_keeps_its_order() {
    // flink-operator declares it needs only `apps` and `cert-manager.io` objects. A chart
    // stream around its Deployment keeps every other object in place, untouched, and the
    // Deployment is changed where it was.
    let s = Scratch::new(BIN);
    let input = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: confluent}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: flink-kubernetes-operator, namespace: confluent}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: flink-kubernetes-operator}}
  template:
    metadata: {labels: {app.kubernetes.io/name: flink-kubernetes-operator}}
    spec:
      containers: [{name: flink-kubernetes-operator, image: op}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: flink, namespace: confluent}
";
    let r = s
        .run(
            &[
                "--log-level",
                "flinkwasm=debug",
                "post-render",
                "--plugin",
                "flink-operator",
            ],
            Some(input),
        )
        .ok();
    let o = parse_stream(&r.stdout);
    let names: Vec<&str> = o
        .iter()
        .map(|x| x["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "flink-kubernetes-operator", "flink"]);
    assert!(
        r.stderr.contains("plugin=\"flink-operator\" given=1 of=3"),
        "only the Deployment was passed: {}",
        r.stderr
    );
    assert_eq!(
        o[1]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "3Gi"
    );
    assert!(
        o[0].get("metadata").unwrap().get("labels").is_none(),
        "the ConfigMap was not given to it"
    );

    // A pipeline's own select replaces the plugin's: given nothing, it changes nothing.
    s.write(
        "flinkwasm.yaml",
        "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  target: {namespace: confluent}\n  plugins:\n    - builtin: flink-operator\n      select: {kinds: [ServiceAccount]}\n",
    );
    let r = s.run(&["post-render", "--pipeline", "."], Some(input)).ok();
    let o = parse_stream(&r.stdout);
    assert!(
        o[1]["spec"]["template"]["spec"]["containers"][0]
            .get("resources")
            .is_none()
    );
}

/// A pipeline running the component built against the archived 0.2.0 contract.
fn legacy_pipeline(s: &Scratch) {
    let bytes = std::fs::read(env!("FLINKWASM_LEGACY_V2_WASM")).unwrap();
    let digest = flinkwasm::runtime::sha256_hex(&bytes);
    s.write("legacy.wasm", &bytes);
    s.write(
        "flinkwasm.yaml",
        format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  plugins:\n  - name: old\n    path: legacy.wasm\n    sha256: sha256:{digest}\n"),
    );
}

#[test]
fn a_component_built_against_0_2_0_still_runs_with_its_mode_derived_from_the_caller() {
    let s = Scratch::new(BIN);
    legacy_pipeline(&s);
    let r = s
        .run(&["post-render", "--namespace", "team-a"], Some(INPUT))
        .ok();
    let objects = parse_stream(&r.stdout);
    assert_eq!(objects[0]["kind"], "Deployment", "its input kept");
    let data = &find(&objects, "ConfigMap", "legacy-v2")["data"];
    assert_eq!(data["mode"], "post-render", "0.2.0's mode for the caller");
    assert_eq!(data["cluster"], "default");
    assert!(
        r.stderr
            .contains("built against flinkwasm:plugin@0.2.0, called in mode post-render"),
        "its diagnostic is reported: {}",
        r.stderr
    );
    // A render generates: 0.2.0 saw that as mode `render`.
    let r = s.run(&["render"], None).ok();
    let objects = parse_stream(&r.stdout);
    assert_eq!(
        find(&objects, "ConfigMap", "legacy-v2")["data"]["mode"],
        "render"
    );
}
