#!/usr/bin/env bash
# The fast check: formatting, clippy (warnings are errors), the Rust unit tests and the
# architecture test, and the UI's type check and unit tests. Minutes, not the full end-to-end
# run; `scripts/test.sh` runs this first and then everything else.
# Needs what `scripts/test.sh` installs (Rust, Node.js, the WebKitGTK dev packages for the
# desktop shell); it installs nothing itself.
# Usage: bash scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "== formatting"
cargo fmt --all --check || { echo "run 'cargo fmt --all'"; exit 1; }

echo "== clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== unit tests and the architecture test"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --lib --bins
  cargo nextest run -p confab-tests --locked --test architecture
else
  cargo test --workspace --locked --lib --bins
  cargo test -p confab-tests --locked --test architecture
fi

echo "== UI: type check and unit tests"
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npx tsc -b && npx vitest run)
