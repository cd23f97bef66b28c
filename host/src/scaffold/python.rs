//! The Python project `plugins new --lang python` writes: an `app.py` on the Python SDK
//! (`plugins/sdk-python/flinkwasm.py`, copied in), the contract, and `build.sh`, which runs
//! componentize-py at the version the host is tested with.

/// The project's files, by path relative to it.
pub(super) fn files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("app.py", APP_PY.replace("{name}", name)),
        ("flinkwasm.py", SDK.to_string()),
        ("wit/plugin.wit", super::WIT.to_string()),
        ("requirements.txt", REQUIREMENTS.to_string()),
        ("build.sh", BUILD_SH.replace("{name}", name)),
        (".gitignore", "*.wasm\n.venv/\n__pycache__/\n".to_string()),
        ("README.md", README.replace("{name}", name)),
    ]
}

/// The SDK, one module.
const SDK: &str = include_str!("../../../plugins/sdk-python/flinkwasm.py");

/// The pinned toolchain.
const REQUIREMENTS: &str = include_str!("../../../plugins/sdk-python/requirements.txt");

const APP_PY: &str = r#""""{name}: a flinkwasm plugin. It runs in flinkwasm's sandbox: no files, network,
environment or clock; it sees only the manifests, its config and the files the pipeline grants
it."""

import flinkwasm as fw

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
}


class Plugin:
    def info(self):
        return fw.Info("{name}", "0.1.0", "Adds labels to every object", fw.TRANSFORMER, schema=SCHEMA)

    def run(self, ctx, manifests):
        for m in manifests:
            for key, value in sorted(ctx.config.get("labels", {}).items()):
                m.set_label(key, value)
        return manifests


WitWorld = fw.export(Plugin())
"#;

const BUILD_SH: &str = r#"#!/bin/sh
# Builds {name}.wasm with componentize-py at the version in requirements.txt (installed into
# .venv when the one on PATH is another) and prints the pin for flinkwasm.yaml.
set -eu
cd "$(dirname "$0")"
want="componentize-py $(sed -n 's/^componentize-py==//p' requirements.txt)"
tool=componentize-py
if [ -x .venv/bin/componentize-py ]; then
    tool=.venv/bin/componentize-py
elif [ "$(componentize-py --version 2>/dev/null)" != "$want" ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    tool=.venv/bin/componentize-py
fi
"$tool" --quiet -d wit/plugin.wit -w plugin componentize app -o {name}.wasm
echo "{name}.wasm: sha256:$(sha256sum {name}.wasm | cut -d' ' -f1)"
"#;

const README: &str = r#"# {name}

A flinkwasm plugin in Python. `app.py` is the plugin; `flinkwasm.py` is the SDK (manifests,
labels and annotations, selectors, diagnostics on an object and field, config access);
`wit/plugin.wit` is the contract it is built against.

```sh
sh build.sh          # componentize-py (pinned in requirements.txt) -> {name}.wasm and its sha256
```

Copy the `.wasm` next to your `flinkwasm.yaml` and pin it. The component carries a Python
interpreter (about 20 MB), so its first compile takes seconds: raise the compile bounds for it
(it is compiled once, then cached).

```yaml
  plugins:
    - name: {name}
      path: plugins/{name}.wasm
      sha256: sha256:<the digest build.sh printed>
      config:
        labels: {example.com/team: my-team}
      limits: {compileTimeout: 120s, compileMemory: 1Gi}
```

`flinkwasm plugins verify` checks the pin and the config; `flinkwasm render` runs it.
"#;
