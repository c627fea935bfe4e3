#!/usr/bin/env bash
# Lint: Rust formatting (rustfmt.toml) and clippy with warnings as errors; the web app's TypeScript
# check and eslint. scripts/test.sh runs it first; so does the GitHub pipeline (.github/workflows/ci.yml).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all --check
echo "== clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
if [ -f web/package.json ]; then
  echo "== web: tsc and eslint"
  (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npx tsc -b && npx eslint .)
fi
echo "lint passed"
