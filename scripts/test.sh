#!/usr/bin/env bash
# Every test of the platform: the Rust workspace (store and API suites on SQLite, and again on
# MariaDB + Redis when they answer), the web app's unit tests and its browser test against a real
# `ticketing serve`, and the offline checks of the deployment files.
#
#   bash scripts/test.sh
#
# MariaDB and Redis are found at TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL, defaulting to
# the local servers (root without password, port 3306; port 6379) when those answer.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TICKETING_TEST_MYSQL_URL:-}" ] && mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
  export TICKETING_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306
fi
if [ -z "${TICKETING_TEST_REDIS_URL:-}" ] && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  export TICKETING_TEST_REDIS_URL=redis://127.0.0.1:6379
fi
echo "MariaDB: ${TICKETING_TEST_MYSQL_URL:-not used}; Redis: ${TICKETING_TEST_REDIS_URL:-not used}"

step() { echo; echo "== $* ($(date +%T))"; }

step "lint: rustfmt, clippy -D warnings, tsc, eslint"
bash scripts/lint.sh

step "cargo build"
cargo build --locked --workspace --all-targets

step "cargo test (SQLite always; MariaDB + Redis when set)"
cargo test --locked --workspace

step "fault suite: a sale while the server is killed three times, and a payment latency spike"
bash scripts/faults.sh target/debug/ticketing

step "schemathesis: every operation of /api/openapi.json, as a user and as an admin"
bash scripts/schemathesis.sh

if [ -f web/package.json ]; then
  step "web app: install, build, unit tests"
  # The web app's API types are generated from the server's OpenAPI document: stale ones fail.
  (cd web && npm ci --no-audit --no-fund && TICKETING_BIN=../target/debug/ticketing bash scripts/gen-api.sh --check \
    && npm run build && npm test)
  if [ -f web/e2e/flow.mjs ] && [ -x /usr/bin/chromium ]; then
    step "web app: browser test against ticketing serve"
    bash scripts/e2e.sh
  fi
fi

if [ -f deploy/check.sh ]; then
  step "deployment files (offline checks)"
  # With TICKETING_BIN it also starts the binary, drives a little traffic and checks that every
  # metric the dashboard and alerts use is really exported.
  TICKETING_BIN=target/debug/ticketing bash deploy/check.sh
fi
echo
echo "all tests passed"
