#!/usr/bin/env bash
# Recomputes the attack figures quoted in the README (first 1,000 MNIST test digits).
# Takes about 15 minutes on 2 cores: cargo build --release first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/adversarial-digits
model=${1:-models/standard.safetensors}
run() { echo "\$ adversarial-digits eval --model $model $*"; "$bin" eval --model "$model" "$@"; echo; }
run --samples 10000
run --attack fgsm --sweep
run --attack pgd --alpha 0.01 --steps 40 --sweep
run --attack fgsm --eps 0.1
run --attack fgsm --eps 0.3
run --attack pgd --eps 0.3 --alpha 0.01 --steps 40
run --attack bim --eps 0.2
run --attack mi-fgsm --eps 0.2
run --attack pgd-l2 --eps 2
run --attack deepfool
run --attack cw
run --attack jsma
run --attack few-pixel --pixels 10
run --attack simba --eps 0.2
