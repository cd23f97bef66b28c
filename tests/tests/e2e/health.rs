//! The Argo CD health checks the stack ships (`workloads/argocd/argocd-cm-health.yaml`), run
//! by the real Lua 5.1 interpreter (Debian `lua5.1`, the dialect of Argo CD's gopher-lua) the
//! way Argo CD runs them: the object as the global `obj`, the script's returned table read.
//! Every kind is held to status examples: healthy, progressing, degraded and no status.

use flinkwasm_tests::harness::repo;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;

/// The scripts of the shipped file, by `group_Kind`.
fn scripts() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo("workloads/argocd/argocd-cm-health.yaml")).unwrap();
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    doc["data"]
        .as_object()
        .expect("a ConfigMap data patch")
        .iter()
        .map(|(k, v)| {
            let key = k
                .strip_prefix("resource.customizations.health.")
                .unwrap_or_else(|| panic!("{k} is not a health customization"));
            (key.to_string(), v.as_str().unwrap().to_string())
        })
        .collect()
}

/// `v` as a Lua 5.1 expression (objects as tables, arrays 1-based, JSON null as nil).
fn lua(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(a) => format!("{{{}}}", a.iter().map(lua).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("[{k:?}] = {}", lua(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Runs `script` on `obj` with `lua5.1`: the status and message it returns.
fn health(script: &str, obj: &Value) -> (String, String) {
    let program = format!(
        "obj = {}\nlocal function check()\n{script}\nend\nlocal hs = check()\nio.write(hs.status, \"\\t\", hs.message or \"\")\n",
        lua(obj)
    );
    let out = Command::new("lua5.1")
        .arg("-e")
        .arg(&program)
        .output()
        .expect("lua5.1 is needed (tests/setup.sh installs it)");
    assert!(
        out.status.success(),
        "lua5.1 failed:\n{}\n{program}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (status, message) = text.split_once('\t').unwrap_or((&text, ""));
    (status.to_string(), message.to_string())
}

fn object(api: &str, kind: &str, spec: Value, status: Option<Value>) -> Value {
    let mut o = json!({"apiVersion": api, "kind": kind,
        "metadata": {"name": "x", "namespace": "confluent", "generation": 2}, "spec": spec});
    if let Some(s) = status {
        o["status"] = s;
    }
    o
}

fn expect(key: &str, obj: &Value, status: &str, message: &str) {
    let scripts = scripts();
    let (got, msg) = health(&scripts[key], obj);
    assert_eq!(got, status, "{key} on {obj}: {msg}");
    assert!(
        msg.contains(message),
        "{key}: message {msg:?} lacks {message:?}"
    );
}

#[test]
fn the_file_checks_exactly_the_kinds_the_stack_waits_on() {
    let keys: Vec<String> = scripts().into_keys().collect();
    assert_eq!(
        keys,
        [
            "argoproj.io_Application",
            "platform.confluent.io_CMFRestClass",
            "platform.confluent.io_FlinkApplication",
            "platform.confluent.io_FlinkComputePool",
            "platform.confluent.io_FlinkEnvironment",
            "platform.confluent.io_FlinkEnvironmentSecretMapping",
            "platform.confluent.io_FlinkKafkaCatalog",
            "platform.confluent.io_FlinkKafkaDatabase",
            "platform.confluent.io_FlinkSecret",
            "platform.confluent.io_FlinkStatement",
        ]
    );
    // The stack library quotes the Application check; it is the shipped one.
    assert_eq!(
        scripts()["argoproj.io_Application"],
        flinkwasm_stack_application_health()
    );
}

/// The Lua the stack library documents for Applications (plugins/stack/src/argocd.rs).
fn flinkwasm_stack_application_health() -> String {
    let src = std::fs::read_to_string(repo("plugins/stack/src/argocd.rs")).unwrap();
    let start = src.find("APPLICATION_HEALTH_LUA: &str = r#\"").unwrap() + 34;
    let end = start + src[start..].find("\"#;").unwrap();
    src[start..end].to_string()
}

#[test]
fn a_child_application_gates_its_wave_until_healthy() {
    let k = "argoproj.io_Application";
    let app = |s: Option<Value>| object("argoproj.io/v1alpha1", "Application", json!({}), s);
    expect(k, &app(None), "Progressing", "");
    expect(
        k,
        &app(Some(json!({"sync": {"status": "Synced"}}))),
        "Progressing",
        "",
    );
    expect(
        k,
        &app(Some(json!({"health": {"status": "Healthy"}}))),
        "Healthy",
        "",
    );
    expect(
        k,
        &app(Some(
            json!({"health": {"status": "Degraded", "message": "Deployment has 0 ready"}}),
        )),
        "Degraded",
        "0 ready",
    );
}

#[test]
fn a_cmf_rest_class_is_healthy_when_cfk_says_ready() {
    let k = "platform.confluent.io_CMFRestClass";
    let rc = |s: Option<Value>| {
        object(
            "platform.confluent.io/v1beta1",
            "CMFRestClass",
            json!({}),
            s,
        )
    };
    expect(k, &rc(None), "Progressing", "Waiting for CFK");
    expect(
        k,
        &rc(Some(json!({"state": "CREATED", "observedGeneration": 2}))),
        "Healthy",
        "",
    );
    expect(
        k,
        &rc(Some(json!({"state": "CREATED", "observedGeneration": 1}))),
        "Progressing",
        "Waiting",
    );
    expect(
        k,
        &rc(Some(
            json!({"conditions": [{"type": "Ready", "status": "False", "reason": "EndpointUnreachable", "message": "cmf-service: connection refused"}]}),
        )),
        "Degraded",
        "connection refused",
    );
    expect(
        k,
        &rc(Some(
            json!({"conditions": [{"type": "Ready", "status": "True"}]}),
        )),
        "Healthy",
        "",
    );
    expect(k, &rc(Some(json!({"state": "ERROR"}))), "Degraded", "ERROR");
}

#[test]
fn a_flink_environment_is_healthy_once_created_in_cmf() {
    let k = "platform.confluent.io_FlinkEnvironment";
    let env = |s: Option<Value>| {
        object(
            "platform.confluent.io/v1beta1",
            "FlinkEnvironment",
            json!({"kubernetesNamespace": "flink"}),
            s,
        )
    };
    expect(k, &env(None), "Progressing", "Waiting for CFK");
    expect(
        k,
        &env(Some(
            json!({"cmfSync": {"status": "Unknown", "errorMessage": "", "lastSyncTime": ""}}),
        )),
        "Progressing",
        "",
    );
    expect(
        k,
        &env(Some(
            json!({"cmfSync": {"status": "Created", "errorMessage": "", "lastSyncTime": "2026-01-01T00:00:00Z"}}),
        )),
        "Healthy",
        "",
    );
    expect(
        k,
        &env(Some(
            json!({"cmfSync": {"status": "Failed", "errorMessage": "401 Unauthorized from CMF", "lastSyncTime": ""}}),
        )),
        "Degraded",
        "401 Unauthorized",
    );
}

#[test]
fn a_flink_application_follows_its_job() {
    let k = "platform.confluent.io_FlinkApplication";
    let app = |state: &str, s: Option<Value>| {
        object(
            "platform.confluent.io/v1beta1",
            "FlinkApplication",
            json!({"job": {"state": state}}),
            s,
        )
    };
    expect(
        k,
        &app("running", None),
        "Progressing",
        "Waiting for the job",
    );
    expect(
        k,
        &app(
            "running",
            Some(json!({"jobStatus": {"state": "CREATED"}, "lifecycleState": "DEPLOYED"})),
        ),
        "Progressing",
        "job CREATED",
    );
    expect(
        k,
        &app(
            "running",
            Some(json!({"jobStatus": {"state": "RUNNING"}, "lifecycleState": "STABLE"})),
        ),
        "Healthy",
        "RUNNING",
    );
    expect(
        k,
        &app("running", Some(json!({"jobStatus": {"state": "FAILED"}}))),
        "Degraded",
        "failed",
    );
    expect(
        k,
        &app("running", Some(json!({"error": "ImagePullBackOff"}))),
        "Degraded",
        "ImagePullBackOff",
    );
    expect(
        k,
        &app(
            "running",
            Some(
                json!({"cmfSync": {"status": "Failed", "errorMessage": "no such environment", "lastSyncTime": ""}}),
            ),
        ),
        "Degraded",
        "no such environment",
    );
    expect(
        k,
        &app("suspended", Some(json!({"lifecycleState": "SUSPENDED"}))),
        "Suspended",
        "suspended",
    );
}

/// A CMF sync status as CFK writes it.
fn cmf_sync(status: &str, error: &str) -> Value {
    json!({"status": status, "errorMessage": error, "lastSyncTime": "2026-12-02T10:00:00Z"})
}

#[test]
fn flink_sql_connections_and_pool_are_healthy_once_created_in_cmf() {
    for kind in [
        "FlinkSecret",
        "FlinkEnvironmentSecretMapping",
        "FlinkKafkaCatalog",
        "FlinkKafkaDatabase",
        "FlinkComputePool",
    ] {
        let k = format!("platform.confluent.io_{kind}");
        let o = |s: Option<Value>| object("platform.confluent.io/v1beta1", kind, json!({}), s);
        expect(&k, &o(None), "Progressing", "Waiting for CFK");
        expect(
            &k,
            &o(Some(json!({"cmfSync": cmf_sync("Unknown", "")}))),
            "Progressing",
            "Waiting for CFK",
        );
        expect(
            &k,
            &o(Some(
                json!({"cmfSync": cmf_sync("Created", ""), "observedGeneration": 2}),
            )),
            "Healthy",
            "",
        );
        // Created, but for an older generation: the change is not in CMF yet.
        expect(
            &k,
            &o(Some(
                json!({"cmfSync": cmf_sync("Created", ""), "observedGeneration": 1}),
            )),
            "Progressing",
            "Waiting",
        );
        expect(
            &k,
            &o(Some(
                json!({"cmfSync": cmf_sync("Failed", "catalog kafka-cat: schema registry unreachable")}),
            )),
            "Degraded",
            "schema registry unreachable",
        );
    }
    // A pool whose clusters failed, though CMF has it.
    expect(
        "platform.confluent.io_FlinkComputePool",
        &object(
            "platform.confluent.io/v1beta1",
            "FlinkComputePool",
            json!({"type": "DEDICATED"}),
            Some(
                json!({"cmfSync": cmf_sync("Created", ""), "phase": "FAILED", "message": "image pull failed"}),
            ),
        ),
        "Degraded",
        "image pull failed",
    );
}

#[test]
fn a_flink_statement_is_healthy_running_or_completed_and_suspended_when_stopped() {
    let k = "platform.confluent.io_FlinkStatement";
    let st = |stopped: bool, s: Option<Value>| {
        object(
            "platform.confluent.io/v1beta1",
            "FlinkStatement",
            json!({"statement": "INSERT INTO t SELECT * FROM s", "stopped": stopped}),
            s,
        )
    };
    let with = |phase: &str| json!({"cmfSync": cmf_sync("Created", ""), "phase": phase});
    expect(
        k,
        &st(false, None),
        "Progressing",
        "Waiting for the statement",
    );
    expect(
        k,
        &st(false, Some(with("PENDING"))),
        "Progressing",
        "PENDING",
    );
    expect(k, &st(false, Some(with("RUNNING"))), "Healthy", "RUNNING");
    expect(
        k,
        &st(false, Some(with("COMPLETED"))),
        "Healthy",
        "COMPLETED",
    );
    expect(
        k,
        &st(true, Some(with("STOPPED"))),
        "Suspended",
        "stopped as asked",
    );
    expect(
        k,
        &st(false, Some(with("STOPPED"))),
        "Degraded",
        "spec.stopped",
    );
    expect(
        k,
        &st(
            false,
            Some(
                json!({"cmfSync": cmf_sync("Created", ""), "phase": "FAILED",
                        "detail": "Table 'orders' not found"}),
            ),
        ),
        "Degraded",
        "'orders' not found",
    );
    expect(
        k,
        &st(
            false,
            Some(
                json!({"cmfSync": cmf_sync("Failed", "compute pool default-pool does not exist")}),
            ),
        ),
        "Degraded",
        "does not exist",
    );
}
