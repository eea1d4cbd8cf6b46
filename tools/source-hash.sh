#!/usr/bin/env bash
# Fingerprint of everything the wasm package is built from. pkg/SOURCE_HASH holds the value
# for the committed pkg/; tests/pkg_fresh.rs recomputes it.
set -euo pipefail
cd "$(dirname "$0")/.."
find src kernels/src kernels/Cargo.toml Cargo.toml Cargo.lock .cargo/config.toml tools/build-wasm.sh -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
