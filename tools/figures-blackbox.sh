#!/usr/bin/env bash
# Recomputes the README's figures for the attacks without the gradient and for the masking lesson
# (issue 18's acceptance: first 1,000 MNIST test digits, ε = 0.3 L∞). Prints one markdown row per
# network and attack, then AutoAttack's report for each network. About 40 minutes on 2 cores:
# cargo build --release first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/adversarial-digits
samples=${SAMPLES:-1000}
accuracy() { "$bin" eval --model "$1" --samples "$samples" --json "${@:2}" | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const q = r.queries ? `, queries median ${r.queries.median} mean ${r.queries.mean.toFixed(1)}` : "";
  process.stdout.write(`${((r.adversarial_accuracy ?? r.clean_accuracy) * 100).toFixed(1)}%${q}`);'; }
echo "| network | clean | FGSM | PGD-40 | BPDA-40 | Square, 1,000 queries | APGD-CE, 100 steps |"
echo "|---|---|---|---|---|---|---|"
for model in models/standard.safetensors models/robust.safetensors models/masked.i8.safetensors; do
  row="| \`$model\` | $(accuracy "$model")"
  for attack in fgsm pgd bpda square apgd; do row+=" | $(accuracy "$model" --attack "$attack" --eps 0.3)"; done
  echo "$row |"
done
for model in models/standard.safetensors models/robust.safetensors models/masked.i8.safetensors; do
  echo; echo "\$ adversarial-digits eval --model $model --attack autoattack --samples $samples"
  "$bin" eval --model "$model" --attack autoattack --samples "$samples"
done
