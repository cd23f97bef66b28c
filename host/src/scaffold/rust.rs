//! The Rust project `plugins new --lang rust` writes: a crate on the SDK in `plugins/sdk`.

use super::Sdk;
use crate::error;
use anyhow::Result;

/// The crate's files, by path relative to the project.
pub(super) fn files(name: &str, sdk: &Sdk) -> Result<Vec<(&'static str, String)>> {
    let sdk_dep = sdk_dependency(sdk)?;
    let ident: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    Ok(vec![
        (
            "Cargo.toml",
            CARGO_TOML
                .replace("{name}", name)
                .replace("{sdk}", &sdk_dep),
        ),
        (".cargo/config.toml", CARGO_CONFIG.to_string()),
        (
            "src/lib.rs",
            LIB_RS.replace("{name}", name).replace("{Ident}", &ident),
        ),
        ("README.md", README.replace("{name}", name)),
    ])
}

/// The `flinkwasm-sdk` dependency line of the new crate.
fn sdk_dependency(sdk: &Sdk) -> Result<String> {
    Ok(match sdk {
        Sdk::Path(p) => {
            let abs = p
                .canonicalize()
                .map_err(|e| error::input(format!("--sdk-path {}: {e}", p.display())))?;
            format!("{{ path = {:?} }}", abs.display().to_string())
        }
        Sdk::Git => format!(
            "{{ git = \"https://github.com/flinkwasm/flinkwasm\", tag = \"v{}\" }}",
            env!("CARGO_PKG_VERSION")
        ),
    })
}

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
flinkwasm-sdk = {sdk}
serde = { version = "1", features = ["derive"] }
serde_json = "1"

# Small components that compile fast in the host.
[profile.release]
opt-level = "s"
strip = "debuginfo"
panic = "abort"

# A crate of its own, not a member of an enclosing workspace.
[workspace]
"#;

const CARGO_CONFIG: &str = r#"# flinkwasm plugins are WebAssembly components for WASI 0.2.
[build]
target = "wasm32-wasip2"
"#;

const LIB_RS: &str = r#"//! `{name}`: a flinkwasm plugin. It runs in flinkwasm's sandbox: no files, network,
//! environment or clock; it sees only the manifests, its config and the files the pipeline
//! grants it.

use flinkwasm_sdk::prelude::*;
use serde::Deserialize;

/// The plugin.
pub struct {Ident};

/// The plugin's configuration (its JSON Schema is in `info()`; the host checks it).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Config {
    /// Labels to add to every object.
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
}

impl Plugin for {Ident} {
    fn info() -> Info {
        Info::new("{name}", env!("CARGO_PKG_VERSION"), "Adds labels to every object", Role::Transformer)
            .schema(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }))
    }

    fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
        let cfg: Config = ctx.config()?;
        for m in &mut manifests {
            for (k, v) in &cfg.labels {
                m.set_label(k, v);
            }
        }
        Ok(Output::new(manifests))
    }
}

flinkwasm_sdk::export_plugin!({Ident});
"#;

const README: &str = r#"# {name}

A flinkwasm plugin.

```sh
rustup target add wasm32-wasip2
cargo build --release                      # .cargo/config.toml selects wasm32-wasip2
sha256sum target/wasm32-wasip2/release/*.wasm
```

Copy the `.wasm` next to your `flinkwasm.yaml` and pin it:

```yaml
  plugins:
    - name: {name}
      path: plugins/{name}.wasm
      sha256: sha256:<the digest sha256sum printed>
      config:
        labels: {example.com/team: my-team}
```

`flinkwasm plugins verify` checks the pin and the config; `flinkwasm render` runs it.
"#;
