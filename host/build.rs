//! Builds the built-in plugins for `wasm32-wasip2`, precompiles them to machine code with the
//! runtime's own engine settings, and generates the table that embeds both.
//!
//! Precompiling here is what makes a first run (an empty compile cache, a new Argo CD sidecar)
//! as fast as a warm one: the binary carries each built-in's machine code, and the runtime uses
//! it when wasmtime accepts it for the running CPU (else it compiles, as for any plugin).

use sha2::{Digest as _, Sha256};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "src/runtime/engine.rs"]
mod engine;

/// The built-in plugins, in the default pipeline's order: (plugin name, crate name).
const BUILTINS: &[(&str, &str)] = &[
    ("flink-operator", "flink-operator"),
    ("cmf", "cmf"),
    ("flink-environment", "flink-environment"),
    ("monitoring", "monitoring"),
    ("cluster-overlay", "cluster-overlay"),
    // Not in the default pipeline: Flink SQL needs the `current` stack pairing.
    ("flink-sql", "flink-sql"),
];

/// The example team plugin's crate (`plugins/examples/team-overlay`), built for the benchmark.
const TEAM_OVERLAY: &str = "team-overlay";

fn main() {
    if let Err(e) = run() {
        println!("cargo:warning={e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest_dir.parent().ok_or("host/ has no parent")?;
    let mut crates: Vec<&str> = BUILTINS.iter().map(|(_, c)| *c).collect();
    let mut watch = vec!["wit", "plugins/sdk", "plugins/stack", "Cargo.lock"];
    let dirs: Vec<String> = crates.iter().map(|c| format!("plugins/{c}")).collect();
    watch.extend(dirs.iter().map(String::as_str));
    // Not embedded: the benchmark runs the example team plugin (in Rust beside its Python and
    // JavaScript versions), and one cargo run builds it with the built-ins.
    crates.push(TEAM_OVERLAY);
    watch.push("plugins/examples/team-overlay");
    let files = flinkwasm_guest_build::build(workspace, &crates, &watch)?;
    if let Some(team_overlay) = files.last() {
        println!(
            "cargo:rustc-env=FLINKWASM_BENCH_TEAM_OVERLAY_WASM={}",
            path_str(team_overlay)?
        );
    }

    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    // Machine code is only embedded for the machine kind the build runs on; a cross build
    // embeds none and its binary compiles the built-ins on first use.
    let native = env::var("TARGET").ok() == env::var("HOST").ok();
    let engine = wasmtime::Engine::new(&engine::config())
        .map_err(|e| format!("creating the wasmtime engine: {e}"))?;

    let mut table = String::from("/// Built-in plugins embedded at build time.\n");
    table.push_str("pub static BUILTIN_COMPONENTS: &[Builtin] = &[\n");
    for ((name, _), file) in BUILTINS.iter().zip(&files) {
        let bytes = fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let digest = hex(&Sha256::digest(&bytes));
        let precompiled = if native {
            let code = engine
                .precompile_component(&bytes)
                .map_err(|e| format!("precompiling {name}: {e:?}"))?;
            let path = out_dir.join(format!("{name}.cwasm"));
            fs::write(&path, code).map_err(|e| format!("writing {}: {e}", path.display()))?;
            format!("Some(include_bytes!({:?}))", path_str(&path)?)
        } else {
            "None".to_string()
        };
        writeln!(
            table,
            "    Builtin {{ name: {name:?}, component: include_bytes!({:?}), digest: {digest:?}, precompiled: {precompiled} }},",
            path_str(file)?
        )
        .map_err(|e| e.to_string())?;
    }
    table.push_str("];\n");
    let out = out_dir.join("builtins.rs");
    fs::write(&out, table).map_err(|e| format!("writing {}: {e}", out.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}
