#!/usr/bin/env bash
# Installs what building and testing flinkwasm needs, skipping what is already there:
# the pinned Rust toolchain with rustfmt and clippy, and the wasm32-wasip2 guest target.
# Sourced by tests/run and .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

toolchain=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
rustup component add rustfmt clippy --toolchain "$toolchain"
rustup target add wasm32-wasip2 --toolchain "$toolchain"
