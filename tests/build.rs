//! Builds the test-only guest plugins (the hostile probe, a component with a foreign import,
//! one built against the archived 0.2.0 contract) and the example team plugin, and tells the tests where they are.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let Some(workspace) = manifest_dir.parent() else {
        panic!("tests/ has no parent directory");
    };
    match flinkwasm_guest_build::build(
        workspace,
        &["probe", "team-overlay", "rogue-import", "legacy-v2"],
        &[
            "wit",
            "plugins/sdk",
            "tests/plugins/probe",
            "plugins/examples/team-overlay",
            "tests/plugins/rogue-import",
            "tests/plugins/legacy-v2",
        ],
    ) {
        Ok(files) => {
            println!(
                "cargo:rustc-env=FLINKWASM_PROBE_WASM={}",
                files[0].display()
            );
            println!(
                "cargo:rustc-env=FLINKWASM_TEAM_OVERLAY_WASM={}",
                files[1].display()
            );
            println!(
                "cargo:rustc-env=FLINKWASM_ROGUE_IMPORT_WASM={}",
                files[2].display()
            );
            println!(
                "cargo:rustc-env=FLINKWASM_LEGACY_V2_WASM={}",
                files[3].display()
            );
        }
        Err(e) => panic!("{e}"),
    }
}
