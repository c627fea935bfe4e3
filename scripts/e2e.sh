#!/usr/bin/env bash
# The browser test: the web app's end-to-end flows in Debian's Chromium against real
# `ticketing serve --demo` processes, which web/e2e/flow.mjs starts (from target/debug/ticketing)
# and stops itself. E2E_STRICT=1: a missing service fails the run instead of skipping a scenario.
set -euo pipefail
cd "$(dirname "$0")/../web"
E2E_STRICT=1 npm run e2e
