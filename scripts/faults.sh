#!/usr/bin/env bash
# The fault suite: a sale under load while the platform is killed, then the invariants checked.
#
#   bash scripts/faults.sh [path/to/ticketing]      (default target/debug/ticketing)
#
# 1. Embedded: `ticketing serve` on a fresh data dir, gateway latency 50-250 ms so that charges are
#    in flight; `ticketing loadgen --scenario purchase` (open model, some declined cards) for 24 s;
#    the server is killed with SIGKILL three times at random moments and started again on the same
#    data at once. The load generator's own audit (it waits for every saga it started, then checks
#    seats against bookings and payments) must pass, then `ticketing audit` on the data dir must
#    pass, and no booking may still be running 10 s after the last restart.
# 2. A payment latency spike: the same sale with the gateway answering in 1.5-3 s and no kill: every
#    saga must still finish, with the same checks.
#
# Only this machine (127.0.0.1); every process it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/ticketing}
BIN=$(realpath "$BIN")
PORT=${FAULTS_PORT:-18471}
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export TICKETING_DATA_DIR=$WORK/data TICKETING_PORT=$PORT TICKETING_ADMIN_EMAIL=admin@example.com \
  TICKETING_ADMIN_PASSWORD=admin-password TICKETING_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  TICKETING_WEB_DIR=$WORK/no-web

start_server() {
  "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not come up"; tail -20 "$WORK/server.log"; exit 1
}

sale_with_kills() {
  local name=$1 kills=$2 latency=$3 rate=$4
  echo "== $name: purchase at $rate journeys/s for 24 s, gateway latency $latency ms, $kills kill -9 of the server"
  rm -rf "$WORK/data" && mkdir -p "$WORK/data"
  export TICKETING_PAYMENT_LATENCY_MS=$latency
  start_server
  local started=$(date +%s)
  "$BIN" loadgen --url "http://127.0.0.1:$PORT" --scenario purchase --jwt-secret "$(cat "$WORK/data/jwt_secret")" \
    --rate "$rate" --duration 24 --seats 20000 --buyers 300 --declined 0.2 --health-secs 1 --concurrency 16 \
    >"$WORK/loadgen.txt" 2>&1 &
  local lg=$!
  for k in $(seq 1 "$kills"); do
    sleep $((3 + RANDOM % 4)).$((RANDOM % 10))
    echo "   kill -9 at $(( $(date +%s) - started )) s"
    kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    local down=$(date +%s%N)
    start_server
    echo "   up again in $(( ($(date +%s%N) - down) / 1000000 )) ms"
  done
  local lg_ok=0
  wait "$lg" || lg_ok=$?
  grep -E "^purchase: [0-9]|^errors|waited|AUDIT|audit passed|^audit:" "$WORK/loadgen.txt" | sed 's/^/   /'
  if [ "$lg_ok" != 0 ]; then
    echo "FAIL: the load generator's audit failed ($name)"; tail -30 "$WORK/loadgen.txt"; exit 1
  fi
  # The invariants hold, and no saga is still running (the load generator waited for its own).
  if ! "$BIN" audit --json >"$WORK/audit.json" 2>"$WORK/audit.err"; then
    echo "FAIL: ticketing audit ($name)"; cat "$WORK/audit.json" "$WORK/audit.err"; exit 1
  fi
  local running
  running=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["running"]); print("   audit passed:", r["seats"], "seats,", r["bookings"], "bookings,", r["payments"], "payments", file=sys.stderr)' "$WORK/audit.json")
  if [ "$running" != 0 ]; then
    echo "FAIL: $running bookings still running after the sale ($name)"; exit 1
  fi
  kill -9 "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}

t0=$(date +%s)
sale_with_kills "embedded, killed three times" 3 50-250 60
sale_with_kills "embedded, payment latency spike" 0 1500-3000 30
echo "fault suite passed in $(( $(date +%s) - t0 )) s"
