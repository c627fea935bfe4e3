#!/usr/bin/env bash
# The browser test: a real `ticketing serve` (embedded, demo data, the web build) and the web app's
# end-to-end flow in Debian's Chromium. Stops the server whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TICKETING_PORT=$port TICKETING_DATA_DIR="$data" TICKETING_WEB_DIR="$PWD/web/dist" TICKETING_RATE_LIMIT_PER_MINUTE=0 \
  TICKETING_ADMIN_EMAIL=admin@example.com TICKETING_ADMIN_PASSWORD=admin-password \
  ./target/debug/ticketing serve --demo > "$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
E2E_URL="http://127.0.0.1:$port" E2E_ADMIN_EMAIL=admin@example.com E2E_ADMIN_PASSWORD=admin-password node web/e2e/flow.mjs
