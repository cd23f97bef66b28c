//! The JavaScript project `plugins new --lang javascript` writes: an `app.js` on the JavaScript
//! SDK (`plugins/sdk-js/flinkwasm.js`, copied in), the contract, and `npm run build`, which
//! runs componentize-js at the version the host is tested with.

/// The project's files, by path relative to it.
pub(super) fn files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("app.js", APP_JS.replace("{name}", name)),
        ("flinkwasm.js", SDK.to_string()),
        ("build.mjs", BUILD_MJS.to_string()),
        ("wit/plugin.wit", super::WIT.to_string()),
        (
            "package.json",
            PACKAGE_JSON
                .replace("{name}", name)
                .replace("{componentize_js}", COMPONENTIZE_JS)
                .replace("{preview2_shim}", PREVIEW2_SHIM),
        ),
        (".gitignore", "*.wasm\nnode_modules/\n".to_string()),
        ("README.md", README.replace("{name}", name)),
    ]
}

/// The SDK, one module.
const SDK: &str = include_str!("../../../plugins/sdk-js/flinkwasm.js");

/// The build script (componentize-js with wasi:http left out).
const BUILD_MJS: &str = include_str!("../../../plugins/sdk-js/build.mjs");

/// The componentize-js version the host is tested with (`plugins/sdk-js/package.json`).
const COMPONENTIZE_JS: &str = "0.23.0";

/// The preview2-shim its build loads: an optional peer dependency of componentize-js, so a
/// lock-file install (`npm ci`) leaves it out unless it is named.
const PREVIEW2_SHIM: &str = "0.25.0";

const PACKAGE_JSON: &str = r#"{
  "name": "{name}",
  "version": "0.1.0",
  "description": "A flinkwasm plugin in JavaScript.",
  "private": true,
  "type": "module",
  "scripts": {
    "build": "node build.mjs app.js {name}.wasm wit/plugin.wit"
  },
  "devDependencies": {
    "@bytecodealliance/componentize-js": "{componentize_js}",
    "@bytecodealliance/preview2-shim": "{preview2_shim}"
  }
}
"#;

const APP_JS: &str = r#"// {name}: a flinkwasm plugin. It runs in flinkwasm's sandbox: no files, network,
// environment or clock; it sees only the manifests, its config and the files the pipeline
// grants it.

import * as fw from "./flinkwasm.js";

const SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: { labels: { type: "object", additionalProperties: { type: "string" } } },
};

export const { describe, run } = fw.definePlugin({
  info: () => new fw.Info("{name}", "0.1.0", "Adds labels to every object", fw.TRANSFORMER, { schema: SCHEMA }),

  run(ctx, manifests) {
    const labels = Object.entries(ctx.config.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const m of manifests) {
      for (const [key, value] of labels) m.setLabel(key, value);
    }
    return manifests;
  },
});
"#;

const README: &str = r#"# {name}

A flinkwasm plugin in JavaScript. `app.js` is the plugin; `flinkwasm.js` is the SDK (manifests,
labels and annotations, selectors, diagnostics on an object and field, config access);
`wit/plugin.wit` is the contract it is built against.

```sh
npm install          # once: componentize-js, pinned in package.json
npm run build        # -> {name}.wasm and its sha256
```

The component leaves out wasi:http (the host does not link it). It carries a JavaScript engine
(about 12 MB), so its first compile takes seconds: raise the compile bounds for it (it is
compiled once, then cached). Copy the `.wasm` next to your `flinkwasm.yaml` and pin it:

```yaml
  plugins:
    - name: {name}
      path: plugins/{name}.wasm
      sha256: sha256:<the digest npm run build printed>
      config:
        labels: {example.com/team: my-team}
      limits: {compileTimeout: 120s, compileMemory: 1Gi}
```

`flinkwasm plugins verify` checks the pin and the config; `flinkwasm render` runs it.
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_pinned_toolchain_is_the_one_the_tests_use() {
        let package: serde_json::Value =
            serde_json::from_str(include_str!("../../../plugins/sdk-js/package.json"))
                .expect("plugins/sdk-js/package.json");
        assert_eq!(
            package["devDependencies"]["@bytecodealliance/componentize-js"],
            super::COMPONENTIZE_JS
        );
        assert_eq!(
            package["devDependencies"]["@bytecodealliance/preview2-shim"],
            super::PREVIEW2_SHIM
        );
    }
}
