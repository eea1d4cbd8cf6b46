#!/usr/bin/env bash
# Recomputes the defended network's figures quoted in the README (issue 5's acceptance: first
# 1,000 MNIST test digits). About 30 minutes on 2 cores: cargo build --release first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/adversarial-digits
standard=models/standard.safetensors
robust=models/robust.safetensors
run() { echo "\$ adversarial-digits eval $*"; "$bin" eval "$@"; echo; }
run --model "$robust" --samples 10000
run --model "$robust" --attack pgd --eps 0.3 --alpha 0.01 --steps 50 --restarts 10
run --model "$robust" --attack cw
run --model "$standard" --attack pgd --eps 0.3 --alpha 0.01 --steps 40 --transfer-to "$robust"
run --model "$robust" --attack pgd --eps 0.3 --alpha 0.01 --steps 40 --transfer-to "$standard"
run --model "$robust" --attack fgsm --sweep
run --model "$robust" --attack pgd --alpha 0.01 --steps 40 --sweep
