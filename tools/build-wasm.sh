#!/usr/bin/env bash
# Builds the browser package into pkg/: the wasm (burn with WebGPU and the flex CPU backend),
# its wasm-bindgen glue, shrunk by binaryen's wasm-opt, and pkg/SOURCE_HASH, the fingerprint of
# the sources it was built from (tests/pkg_fresh.rs fails when pkg/ is stale).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! command -v wasm-bindgen >/dev/null || [[ "$(wasm-bindgen --version)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
[[ -x node_modules/.bin/wasm-opt ]] || npm install --no-audit --no-fund

cargo build --profile wasm --lib --target wasm32-unknown-unknown --no-default-features --features webgpu
rm -rf pkg.tmp && mkdir pkg.tmp
wasm-bindgen --target web --out-dir pkg.tmp target/wasm32-unknown-unknown/wasm/adversarial_digits.wasm
node_modules/.bin/wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg.tmp/adversarial_digits_bg.wasm -o pkg.tmp/adversarial_digits_bg.wasm
tools/source-hash.sh > pkg.tmp/SOURCE_HASH
rm -rf pkg && mv pkg.tmp pkg
ls -l pkg
