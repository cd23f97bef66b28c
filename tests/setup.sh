#!/usr/bin/env bash
# Installs what building and testing flinkwasm needs, skipping what is already there:
# - the pinned Rust toolchain with rustfmt and clippy, and the wasm32-wasip2 guest target;
# - promtool (Debian package prometheus), which checks the Grafana dashboard's PromQL;
# - lua5.1 (Debian), Argo CD's Lua dialect, which runs the shipped health checks;
# - the real Helm 4 engine for Python (PyPI helm-python-sdk), which renders the test charts;
# - an OCI registry (Debian docker-registry: CNCF Distribution 2.8) and htpasswd (apache2-utils)
#   for the `oci:` plugin tests, which start it on 127.0.0.1, and the independent OCI client
#   PyPI oras (pinned); openssl, and libssl-dev with pkg-config for sigstore-rs, the tests'
#   reference cosign verifier;
# - the plugin toolchains for Python (PyPI componentize-py, pinned in
#   plugins/sdk-python/requirements.txt) and JavaScript (npm componentize-js, pinned by
#   plugins/sdk-js/package-lock.json, installed with `npm ci` into plugins/sdk-js/node_modules);
#   the polyglot tests build the example and probe plugins with them;
# - kubectl (its kustomize) and kpt must already be on the machine image: the overlay, CMP and
#   KRM tests run them, and they are not installable from the registries this project may use.
# Sourced by tests/run and .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# /dev/null must be the null device. On some CI images it is a regular file: what one process
# throws away there (apt's output, a build probe's errors), the next one reads back as "empty"
# input. cargo's `rustc -` target probe reads its source from /dev/null, so the nested guest
# build failed with rustc parsing another probe's error text. Put the device back when we may.
if [ ! -c /dev/null ]; then
    if node=$(mktemp -u /dev/null.XXXXXX) && mknod -m 0666 "$node" c 1 3 2>/dev/null && mv -f "$node" /dev/null; then
        echo "tests/setup.sh: /dev/null was a regular file; it is the null device again" >&2
    else
        rm -f "${node:-}" 2>/dev/null || true
        echo "tests/setup.sh: warning: /dev/null is not the null device and could not be made one" \
            "(needs root: mknod -m 0666 /dev/null c 1 3); builds may read junk from it" >&2
    fi
fi

toolchain=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
rustup component add rustfmt clippy --toolchain "$toolchain"
rustup target add wasm32-wasip2 --toolchain "$toolchain"

missing=""
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v lua5.1 >/dev/null 2>&1 || missing="$missing lua5.1"
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# sigstore-rs, the tests' reference cosign verifier, links the system OpenSSL.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$(python3 -c 'import oras.version; print(oras.version.__version__)' 2>/dev/null)" != "0.2.43" ]; then
    python3 -m pip install --quiet --disable-pip-version-check 'oras==0.2.43'
fi
if ! python3 -c 'import helm_python' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check 'helm-python-sdk==0.2.2'
fi
want=$(sed -n 's/^componentize-py==//p' plugins/sdk-python/requirements.txt)
if [ "$(componentize-py --version 2>/dev/null)" != "componentize-py $want" ]; then
    python3 -m pip install --quiet --disable-pip-version-check -r plugins/sdk-python/requirements.txt
    # Under pyenv a new console script needs its shim (pyenv rehashes only after `pip ...`).
    if command -v pyenv >/dev/null 2>&1; then
        pyenv rehash
    fi
fi
if [ "$(componentize-py --version 2>/dev/null)" != "componentize-py $want" ]; then
    echo "tests/setup.sh: componentize-py $want is installed but not on PATH" >&2
    exit 1
fi
# Every pinned package at its version (npm ci installs exactly the lock).
want=$(node -p 'const d = require("./plugins/sdk-js/package.json").devDependencies; Object.keys(d).sort().map(k => k + "@" + d[k]).join(" ")')
have=$(node -p 'const d = require("./plugins/sdk-js/package.json").devDependencies; Object.keys(d).sort().map(k => { try { return k + "@" + require("./plugins/sdk-js/node_modules/" + k + "/package.json").version } catch { return "" } }).join(" ")')
if [ "$have" != "$want" ]; then
    (cd plugins/sdk-js && npm ci --no-audit --no-fund --loglevel=error)
fi
for tool in kubectl kpt; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "tests/setup.sh: $tool is needed by the tests (kustomize overlays, KRM functions)" >&2
        exit 1
    fi
done
