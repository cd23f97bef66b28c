//! Compiles guest plugin crates of this workspace to `wasm32-wasip2` components from a build
//! script, so that building the host (or the tests) builds the plugins it embeds and no `.wasm`
//! file is ever committed.
//!
//! The nested `cargo` uses its own target directory (beside the outer one) and a clean
//! environment: the outer build's flags, wrappers (clippy's driver) and target settings must not
//! leak into the guest build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guest target.
pub const TARGET: &str = "wasm32-wasip2";

/// Environment variables of the outer build that must not reach the nested `cargo`.
const SCRUBBED: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_PKG_NAME",
    "CARGO_CRATE_NAME",
    "TARGET",
    "HOST",
    "PROFILE",
    "OUT_DIR",
    "OPT_LEVEL",
    "DEBUG",
    "RUSTDOC",
    "CARGO_LLVM_COV",
    "LLVM_PROFILE_FILE",
];

/// Builds the named packages of the workspace at `workspace` for [`TARGET`] in release mode and
/// returns the path of each package's component, in the order given.
///
/// Emits `cargo:rerun-if-changed` lines for `watch` (paths relative to `workspace`).
pub fn build(workspace: &Path, packages: &[&str], watch: &[&str]) -> Result<Vec<PathBuf>, String> {
    for path in watch {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out; guests go to <target>/wasm-guests.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .ok_or("OUT_DIR is not inside a target directory")?
        .join("wasm-guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir);
    for p in packages {
        cmd.args(["-p", p]);
    }
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    for (key, _) in env::vars_os() {
        if let Some(key) = key.to_str()
            && (key.starts_with("CARGO_FEATURE_") || key.starts_with("CARGO_CFG_"))
        {
            cmd.env_remove(key);
        }
    }
    // Small, fast-to-compile guests: size-optimised, no debug info.
    cmd.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort");
    cmd.stdin(std::process::Stdio::null());
    let status = cmd
        .status()
        .map_err(|e| format!("could not run cargo to build the guest plugins: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the guest plugins {packages:?} for {TARGET} failed ({status}); {}",
            likely_cause()
        ));
    }
    let release = target_dir.join(TARGET).join("release");
    packages
        .iter()
        .map(|p| {
            let file = release.join(format!("{}.wasm", p.replace('-', "_")));
            if file.is_file() {
                Ok(file)
            } else {
                Err(format!("cargo built {p} but {} is missing", file.display()))
            }
        })
        .collect()
}

/// What to try when the nested build fails. cargo's `rustc -` target probe reads its source
/// from /dev/null; where /dev/null is a regular file (seen on a CI image) it reads back what
/// other processes threw away there and fails on that text, so say so before anything else.
fn likely_cause() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let null_device =
            std::fs::metadata("/dev/null").is_ok_and(|m| m.file_type().is_char_device());
        if !null_device {
            return "/dev/null is not the null device here, so cargo's target probe reads junk \
                    from it: as root, `mknod -m 0666 /dev/null.new c 1 3 && mv /dev/null.new \
                    /dev/null` (tests/setup.sh does this)"
                .to_string();
        }
    }
    format!("is the target installed? `rustup target add {TARGET}`")
}
