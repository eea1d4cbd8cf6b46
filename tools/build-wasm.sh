#!/usr/bin/env bash
# Builds the browser packages:
#   pkg/      burn with WebGPU (burn-wgpu) only: takes over once WebGPU has started;
#   pkg/cpu/  burn with the flex CPU backend only: a small module that gives the first
#             prediction early and is the fallback where WebGPU is missing or fails;
#   pkg/train/ the CPU build with the reader's training (feature train-web, which the WebGPU
#             build has too): the training worker's, fetched only when the reader trains, so
#             that its code (Adam, the trainer) is not in the first prediction's download;
# each with its wasm-bindgen glue, shrunk by binaryen's wasm-opt; and pkg/SOURCE_HASH, the
# fingerprint of the sources they were built from (tests/pkg_fresh.rs fails when it is stale).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! command -v wasm-bindgen >/dev/null || [[ "$(wasm-bindgen --version)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
[[ -x node_modules/.bin/wasm-opt ]] || npm install --no-audit --no-fund

# build FEATURES OUT_DIR: each backend has a target directory of its own, so that rebuilding one
# does not throw away the other's dependencies.
#   Both are optimised for size (opt-level "z", which took the WebGPU build from 4.0 to 2.6 MB
# gzip while it still held flex; 2.3 MB without: its arithmetic runs in GPU shaders, and what
# runs in wasm is dispatch). The CPU build's arithmetic (burn-flex, gemm) keeps opt-level 3
# through Cargo.toml's per-package profiles: as fast as all of it at 3, and 0.12 MB gzip smaller.
# So does kernels/, the classification kernels (this whole crate at 3 instead would cost 27 KB
# gzip and speed up nothing: its own work is dispatch).
build() {
  # One target directory per backend: the training feature is this crate's own, so adding it
  # recompiles this crate alone.
  local target_dir=target/wasm-${1%%,*}
  CARGO_TARGET_DIR=$target_dir cargo build --profile wasm --lib --target wasm32-unknown-unknown --no-default-features --features "$1" "${@:3}"
  wasm-bindgen --target web --out-dir "$2" "$target_dir/wasm32-unknown-unknown/wasm/adversarial_digits.wasm"
  # Flattening and re-looping the control flow before the size passes, then GUFA: smaller than
  # -Oz alone, and no slower in the bench (README, Performance); what keeps the first
  # prediction's download within its 1 MiB.
  node_modules/.bin/wasm-opt --flatten --rereloop -Oz -Oz --converge --gufa-optimizing -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$2/adversarial_digits_bg.wasm" -o "$2/adversarial_digits_bg.wasm"
}
rm -rf pkg.tmp && mkdir -p pkg.tmp/cpu pkg.tmp/train
build webgpu,train-web pkg.tmp
build flex pkg.tmp/cpu
build flex,train-web pkg.tmp/train
tools/source-hash.sh > pkg.tmp/SOURCE_HASH
rm -rf pkg && mv pkg.tmp pkg
ls -l pkg pkg/cpu pkg/train
