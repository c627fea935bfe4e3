#!/usr/bin/env bash
# Refresh the organizer guide's pictures (docs/img/guide) from the organizer's browser journey, so
# the guide shows the app as it is. Needs target/debug/ticketing and Debian's Chromium; the test
# suite (scripts/e2e.sh) fails when the guide names a screenshot the journey no longer takes.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm run build >/dev/null
E2E_STRICT=1 E2E_ONLY=organizer E2E_GUIDE_DIR=../docs/img/guide npm run e2e
