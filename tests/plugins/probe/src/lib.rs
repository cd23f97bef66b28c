//! `probe`: a test-only plugin that does, on request, what a hostile or broken plugin would, so
//! the tests can prove the sandbox, the limits and the error paths. Never shipped.
//!
//! `config.action` picks the behaviour; most actions report what the guest saw in a ConfigMap
//! named `probe-report` so tests can assert on it.

use flinkwasm_sdk::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by `describe`: a plugin's memory is all it could use to tell a cold cache from a warm one.
static DESCRIBED: AtomicBool = AtomicBool::new(false);

/// The test plugin.
pub struct Probe;

fn report(data: BTreeMap<String, String>) -> Manifest {
    let mut m = Manifest::build("v1", "ConfigMap", "probe-report", None);
    m.set(&["data"], json!(data));
    m
}

fn recurse(n: u64) -> u64 {
    // Not a tail call: every frame stays on the stack.
    if n == u64::MAX {
        0
    } else {
        1 + recurse(std::hint::black_box(n + 1))
    }
}

impl Plugin for Probe {
    fn info() -> Info {
        DESCRIBED.store(true, Ordering::Relaxed);
        Info::new("probe", env!("CARGO_PKG_VERSION"), "Test-only plugin that misbehaves on request", Role::Both).schema(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["action"],
            "properties": {
                "action": {"enum": ["echo", "context", "alloc", "spin", "sleep", "output", "read-file", "write-file",
                                     "env", "net", "nondeterminism", "panic", "recurse", "log-flood", "stdout-flood",
                                     "error", "bad-json", "non-object", "label", "rename", "delete", "forge",
                                     "diagnostic-flood", "forge-lines", "helm-file", "krm-path", "escalate",
                                     "privileged-daemonset", "deep-128", "deep-129", "huge-number", "lone-surrogate",
                                     "big-int", "merge-key", "long-key", "smuggle-list", "smuggle-items",
                                     "stdout-flood-quiet", "deep-wide", "many-tiny", "cold-or-warm"]},
                "path": {"type": "string"},
                "size": {"type": "integer", "minimum": 0},
                "label": {"type": "string"},
                "namespace": {"type": "string"}
            }
        }))
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let action: String = ctx.config_value("action").unwrap_or_default();
        let mut data = BTreeMap::new();
        match action.as_str() {
            "echo" => {}
            "label" => {
                let value: String = ctx.config_value("label").unwrap_or_else(|| "probe".into());
                for m in &mut manifests {
                    m.set_label("probe", &value);
                }
            }
            "context" => {
                data.insert("cluster".into(), ctx.cluster.clone());
                data.insert("namespace".into(), ctx.namespace.clone());
                data.insert("release".into(), ctx.release.clone());
                data.insert("generate".into(), ctx.generate.to_string());
                data.insert("caller".into(), ctx.caller.clone());
                data.insert("kubeVersion".into(), ctx.kube_version.clone());
                data.insert("apiVersions".into(), ctx.api_versions.join(","));
                data.insert(
                    "config".into(),
                    Value::Object(ctx.config.clone()).to_string(),
                );
                for (path, content) in &ctx.files {
                    data.insert(format!("file.{}", path.replace('/', "_")), content.clone());
                }
                data.insert("inputCount".into(), manifests.len().to_string());
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "sleep" => std::thread::sleep(std::time::Duration::from_secs(3600)),
            "output" => {
                let size: usize = ctx.config_value("size").unwrap_or(1 << 20);
                let chunk = "x".repeat(1 << 16);
                let mut i = 0;
                while i * chunk.len() < size {
                    let mut m = Manifest::build("v1", "ConfigMap", &format!("big-{i}"), None);
                    m.set(&["data", "blob"], chunk.as_str());
                    manifests.push(m);
                    i += 1;
                }
            }
            "read-file" => {
                let path: String = ctx
                    .config_value("path")
                    .unwrap_or_else(|| "/etc/passwd".into());
                let result = match std::fs::read_to_string(&path) {
                    Ok(content) => format!("READ {} bytes", content.len()),
                    Err(e) => format!("denied: {e}"),
                };
                let listing = match std::fs::read_dir("/") {
                    Ok(entries) => format!("LISTED {}", entries.count()),
                    Err(e) => format!("denied: {e}"),
                };
                data.insert("read".into(), result);
                data.insert("list".into(), listing);
            }
            "write-file" => {
                let path: String = ctx
                    .config_value("path")
                    .unwrap_or_else(|| "/tmp/probe-was-here".into());
                let result = match std::fs::write(&path, "pwned") {
                    Ok(()) => "WROTE".to_string(),
                    Err(e) => format!("denied: {e}"),
                };
                data.insert("write".into(), result);
            }
            "env" => {
                data.insert("vars".into(), std::env::vars().count().to_string());
                data.insert("args".into(), std::env::args().count().to_string());
                data.insert(
                    "home".into(),
                    std::env::var("HOME").unwrap_or_else(|e| format!("denied: {e}")),
                );
                data.insert(
                    "cwd".into(),
                    match std::env::current_dir() {
                        Ok(d) => d.display().to_string(),
                        Err(e) => format!("denied: {e}"),
                    },
                );
            }
            "net" => {
                let tcp = match std::net::TcpStream::connect("127.0.0.1:22") {
                    Ok(_) => "CONNECTED".to_string(),
                    Err(e) => format!("denied: {e}"),
                };
                let dns = match std::net::ToSocketAddrs::to_socket_addrs("localhost:80") {
                    Ok(mut addrs) => format!("RESOLVED {:?}", addrs.next()),
                    Err(e) => format!("denied: {e}"),
                };
                let udp = match std::net::UdpSocket::bind("127.0.0.1:0") {
                    Ok(_) => "BOUND".to_string(),
                    Err(e) => format!("denied: {e}"),
                };
                data.insert("tcp".into(), tcp);
                data.insert("dns".into(), dns);
                data.insert("udp".into(), udp);
            }
            "nondeterminism" => {
                use std::hash::{BuildHasher, Hasher};
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let instant = std::time::Instant::now();
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u8(1);
                data.insert("wallClock".into(), now.to_string());
                data.insert("elapsed".into(), format!("{:?}", instant.elapsed()));
                data.insert("randomHash".into(), h.finish().to_string());
            }
            "panic" => panic!("probe panicked on purpose"),
            "recurse" => {
                data.insert("depth".into(), recurse(0).to_string());
            }
            "log-flood" => {
                let line = "y".repeat(1024);
                for _ in 0..(16 * 1024) {
                    flinkwasm_sdk::log::info(&line);
                }
            }
            "stdout-flood" => {
                let line = "z".repeat(1024);
                for _ in 0..(16 * 1024) {
                    println!("{line}");
                }
            }
            // JSON nested 100 levels with `size` items at the bottom: small as JSON, every item
            // a line indented 200 spaces as YAML.
            "deep-wide" => {
                let width: usize = ctx.config_value("size").unwrap_or(1000);
                let mut leaf = json!(vec![0; width]);
                for _ in 0..99 {
                    leaf = json!([leaf]);
                }
                let mut m = Manifest::build("v1", "ConfigMap", "deep-wide", None);
                m.set(&["spec"], leaf);
                manifests.push(m);
            }
            // `size` tiny ConfigMaps.
            "many-tiny" => {
                let count: usize = ctx.config_value("size").unwrap_or(1000);
                for i in 0..count {
                    manifests.push(Manifest::build("v1", "ConfigMap", &format!("c{i}"), None));
                }
            }
            // Whether `describe` ran in this instance before `run`.
            "cold-or-warm" => {
                data.insert(
                    "described".into(),
                    DESCRIBED.load(Ordering::Relaxed).to_string(),
                );
            }
            // Writes in chunks and shrugs off the error once the pipe is full, then returns.
            "stdout-flood-quiet" => {
                use std::io::Write as _;
                let chunk = vec![b'y'; 64 << 10];
                let mut out = std::io::stdout();
                for _ in 0..64 {
                    let _ = out.write_all(&chunk);
                }
            }
            "error" => {
                let target = manifests.first().map(Manifest::reference);
                let mut d = Diagnostic::error("probe refuses this input").at("spec.replicas");
                if let Some(r) = target {
                    d = d.on(r);
                }
                return Err(d.into());
            }
            "rename" => {
                for m in &mut manifests {
                    let renamed = format!("{}-renamed", m.name());
                    m.set_name(&renamed);
                }
            }
            "delete" => manifests.clear(),
            "forge" => {
                // Returns an object it was not given: `label` names a Deployment, in
                // `namespace` (team-a by default; "" for none).
                let name: String = ctx.config_value("label").unwrap_or_else(|| "web".into());
                let ns: String = ctx
                    .config_value("namespace")
                    .unwrap_or_else(|| "team-a".into());
                let ns = (!ns.is_empty()).then_some(ns.as_str());
                let mut forged = Manifest::build("apps/v1", "Deployment", &name, ns);
                forged.set(&["spec", "replicas"], 0);
                manifests.push(forged);
            }
            "diagnostic-flood" => {
                // Warnings whose object and field are large: everything returned counts.
                let size: usize = ctx.config_value("size").unwrap_or(1 << 20);
                let big = "n".repeat(64 << 10);
                let mut out = Output::new(manifests);
                for _ in 0..size.div_ceil(2 * big.len()).min(4000) {
                    let mut reference = Manifest::build("v1", "ConfigMap", &big, None).reference();
                    reference.namespace = Some(big.clone());
                    out.push(Diagnostic::warning("flood").on(reference).at(&big));
                }
                return Ok(out);
            }
            "forge-lines" => {
                // Text that would forge host lines, drive a terminal or hide in KRM results.
                flinkwasm_sdk::log::warn(
                    "innocent\nerror: plugin flink-operator: forged line\r\u{1b}[2Jcleared",
                );
                let target = manifests.first().map(Manifest::reference);
                let mut d = Diagnostic::warning("look\nerror: plugin cmf: forged too\u{1b}[31m")
                    .at("spec\rforged");
                if let Some(r) = target {
                    d = d.on(r);
                }
                let mut out = Output::new(manifests);
                out.push(d);
                return Ok(out);
            }
            "helm-file" => {
                // Moves the given objects' Helm file, or files an added object outside.
                let path: String = ctx
                    .config_value("path")
                    .unwrap_or_else(|| "../../x.yaml".into());
                let mut added = Manifest::build("v1", "ConfigMap", "added", Some("team-a"));
                added.set_annotation("postrenderer.helm.sh/postrender-filename", &path);
                if ctx.config_value::<String>("label").as_deref() == Some("given") {
                    for m in &mut manifests {
                        m.set_annotation("postrenderer.helm.sh/postrender-filename", &path);
                    }
                } else {
                    manifests.push(added);
                }
            }
            "krm-path" => {
                let path: String = ctx
                    .config_value("path")
                    .unwrap_or_else(|| "../../escaped.yaml".into());
                for m in &mut manifests {
                    m.set_annotation("internal.config.kubernetes.io/path", &path);
                }
            }
            "escalate" => {
                let mut crb = Manifest::build(
                    "rbac.authorization.k8s.io/v1",
                    "ClusterRoleBinding",
                    "everyone-is-admin",
                    None,
                );
                crb.set(&["roleRef"], json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}));
                crb.set(&["subjects"], json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:anonymous"}]));
                manifests.push(crb);
            }
            "privileged-daemonset" => {
                let mut ds =
                    Manifest::build("apps/v1", "DaemonSet", "node-shell", Some("kube-system"));
                ds.set(&["spec", "template", "spec", "hostPID"], true);
                ds.set(
                    &["spec", "template", "spec", "containers"],
                    json!([{"name": "shell", "image": "busybox", "securityContext": {"privileged": true}}]),
                );
                manifests.push(ds);
            }
            // The Go tools apply what a list holds: a kind ending in `List`, or any object
            // with a top-level `items` field.
            "smuggle-list" | "smuggle-items" => {
                let crb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": "smuggled"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "team-a"}]});
                let mut carrier = if action == "smuggle-list" {
                    Manifest::build("v1", "SecretList", "carrier", None)
                } else {
                    Manifest::build("v1", "ConfigMap", "carrier", None)
                };
                carrier.set(&["items"], json!([crb]));
                manifests.push(carrier);
            }
            "bad-json" | "non-object" => {
                // The SDK only emits valid objects, so go around it through the raw bindings.
                unreachable!("handled in the raw export below")
            }
            other => return Err(Error::new(format!("unknown action {other}"))),
        }
        if !data.is_empty() {
            manifests.push(report(data));
        }
        Ok(Output::new(manifests))
    }
}

/// The export: the SDK's glue, except for the two actions that must return what the SDK can't
/// (invalid JSON, a non-object), which go through the raw bindings.
struct Raw;

impl flinkwasm_sdk::bindings::Guest for Raw {
    fn describe() -> flinkwasm_sdk::bindings::flinkwasm::plugin::types::PluginInfo {
        flinkwasm_sdk::__private::describe::<Probe>()
    }

    fn run(
        ctx: flinkwasm_sdk::bindings::flinkwasm::plugin::types::Context,
        manifests: Vec<String>,
    ) -> flinkwasm_sdk::bindings::flinkwasm::plugin::types::RunOutput {
        let action = serde_json::from_str::<Value>(&ctx.config)
            .ok()
            .and_then(|v| v.get("action").and_then(Value::as_str).map(str::to_string));
        let raw = |m: &str| flinkwasm_sdk::bindings::flinkwasm::plugin::types::RunOutput {
            manifests: vec![m.to_string()],
            diagnostics: Vec::new(),
        };
        let object = |extra: &str| {
            format!(
                r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"raw"}},{extra}}}"#
            )
        };
        // The object itself is level 1: `levels - 1` arrays nest inside it.
        let nested = |levels: usize| {
            object(&format!(
                r#""data":{{}},"x":{}1{}"#,
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            ))
        };
        match action.as_deref() {
            Some("bad-json") => raw("{\"apiVersion\": \"v1\", oops"),
            Some("non-object") => raw("[1, 2, 3]"),
            Some("deep-128") => raw(&nested(128)),
            Some("deep-129") => raw(&nested(129)),
            Some("huge-number") => raw(&object(r#""n":1e400"#)),
            Some("lone-surrogate") => raw(&object(r#""data":{"s":"\ud800"}"#)),
            Some("big-int") => raw(&object(r#""n":18446744073709551616"#)),
            Some("merge-key") => raw(&object(r#""data":{"<<":"x"}"#)),
            Some("long-key") => raw(&object(&format!(
                r#""data":{{"{}":"x"}}"#,
                "k".repeat(1100)
            ))),
            _ => flinkwasm_sdk::__private::run::<Probe>(ctx, manifests),
        }
    }
}

flinkwasm_sdk::bindings::__export_plugin_world!(Raw with_types_in flinkwasm_sdk::bindings);
