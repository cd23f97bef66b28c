//! `probe`: a test-only plugin that does, on request, what a hostile or broken plugin would, so
//! the tests can prove the sandbox, the limits and the error paths. Never shipped.
//!
//! `config.action` picks the behaviour; most actions report what the guest saw in a ConfigMap
//! named `probe-report` so tests can assert on it.

use flinkwasm_sdk::prelude::*;
use std::collections::BTreeMap;

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
        Info::new("probe", env!("CARGO_PKG_VERSION"), "Test-only plugin that misbehaves on request", Role::Both).schema(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["action"],
            "properties": {
                "action": {"enum": ["echo", "context", "alloc", "spin", "sleep", "output", "read-file", "write-file",
                                     "env", "net", "nondeterminism", "panic", "recurse", "log-flood", "stdout-flood",
                                     "error", "bad-json", "non-object", "label", "rename", "delete", "forge"]},
                "path": {"type": "string"},
                "size": {"type": "integer", "minimum": 0},
                "label": {"type": "string"}
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
                data.insert("mode".into(), format!("{:?}", ctx.mode));
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
                // Returns an object it was not given: `label` names a Deployment in team-a.
                let name: String = ctx.config_value("label").unwrap_or_else(|| "web".into());
                let mut forged = Manifest::build("apps/v1", "Deployment", &name, Some("team-a"));
                forged.set(&["spec", "replicas"], 0);
                manifests.push(forged);
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
        match action.as_deref() {
            Some("bad-json") => raw("{\"apiVersion\": \"v1\", oops"),
            Some("non-object") => raw("[1, 2, 3]"),
            _ => flinkwasm_sdk::__private::run::<Probe>(ctx, manifests),
        }
    }
}

flinkwasm_sdk::bindings::__export_plugin_world!(Raw with_types_in flinkwasm_sdk::bindings);
