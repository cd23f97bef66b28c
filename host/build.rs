//! Builds the built-in plugins for `wasm32-wasip2` and generates the table that embeds them.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The built-in plugins, in the default pipeline's order: (plugin name, crate name).
const BUILTINS: &[(&str, &str)] = &[
    ("flink-operator", "flink-operator"),
    ("cmf", "cmf"),
    ("flink-environment", "flink-environment"),
    ("monitoring", "monitoring"),
    ("cluster-overlay", "cluster-overlay"),
];

fn main() {
    if let Err(e) = run() {
        println!("cargo:warning={e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest_dir.parent().ok_or("host/ has no parent")?;
    let crates: Vec<&str> = BUILTINS.iter().map(|(_, c)| *c).collect();
    let mut watch = vec!["wit", "plugins/sdk", "plugins/stack", "Cargo.lock"];
    let dirs: Vec<String> = crates.iter().map(|c| format!("plugins/{c}")).collect();
    watch.extend(dirs.iter().map(String::as_str));
    let files = flinkwasm_guest_build::build(workspace, &crates, &watch)?;

    let mut table =
        String::from("/// Built-in plugins embedded at build time: (name, component bytes).\n");
    table.push_str("pub static BUILTIN_COMPONENTS: &[(&str, &[u8])] = &[\n");
    for ((name, _), file) in BUILTINS.iter().zip(&files) {
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            path_str(file)?
        )
        .map_err(|e| e.to_string())?;
    }
    table.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("builtins.rs");
    fs::write(&out, table).map_err(|e| format!("writing {}: {e}", out.display()))
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}
