#!/usr/bin/env bash
# Property-based API testing (issue 10): schemathesis against a real `ticketing serve --demo`
# (embedded mode, a temp data dir, the rate limit off), over every operation of
# /api/openapi.json, once as a user and once as an admin.
#
#   bash scripts/schemathesis.sh                 # builds nothing: needs target/debug/ticketing
#
# Checks: not_a_server_error (no 5xx from anything a client sends), response_schema_conformance
# (every documented answer matches its schema) and error_shape (scripts/schemathesis_hooks.py:
# every error is the contract's {error, message} with the contract's status for its code).
# ST_EXAMPLES (default 50) examples per operation and ST_SEED (default 20261125) make the run
# reproducible. Installs schemathesis with pip when missing. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${TICKETING_BIN:-target/debug/ticketing}
EXAMPLES=${ST_EXAMPLES:-50}
SEED=${ST_SEED:-20261125}
ADMIN_EMAIL=st-admin@example.com
ADMIN_PASSWORD=st-admin-password-1

[ -x "$BIN" ] || { echo "schemathesis.sh: $BIN is missing (cargo build first)" >&2; exit 1; }
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet 'schemathesis>=4,<5'
fi
ST=$(command -v schemathesis)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
DATA=$(mktemp -d -t ticketing-st-XXXXXX)
LOG="$DATA/server.log"
URL="http://127.0.0.1:$PORT"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

TICKETING_BIND=127.0.0.1 TICKETING_PORT=$PORT TICKETING_DATA_DIR=$DATA TICKETING_WEB_DIR="$DATA/no-web" \
  TICKETING_RATE_LIMIT_PER_MINUTE=0 TICKETING_ADMIN_EMAIL=$ADMIN_EMAIL TICKETING_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  TICKETING_PAYMENT_SUCCESS_RATE=1 RUST_LOG=${RUST_LOG:-warn} \
  "$BIN" serve --demo >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$URL/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited:"; cat "$LOG"; exit 1; }
  sleep 0.5
done
curl -fsS "$URL/ready" >/dev/null

token() { # email password -> access token
  curl -fsS -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$URL/api/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}
curl -fsS -o /dev/null -H 'content-type: application/json' \
  -d '{"email":"st-user@example.com","password":"st-user-password-1","name":"Fuzz User"}' "$URL/api/auth/register"
USER_TOKEN=$(token st-user@example.com st-user-password-1)
ADMIN_TOKEN=$(token $ADMIN_EMAIL $ADMIN_PASSWORD)

export PYTHONPATH="$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}"
export SCHEMATHESIS_HOOKS=schemathesis_hooks
status=0
for who in user admin; do
  if [ $who = user ]; then tok=$USER_TOKEN; else tok=$ADMIN_TOKEN; fi
  echo "== schemathesis as $who: $EXAMPLES examples per operation, seed $SEED"
  # From the temp dir: schemathesis leaves its caches in the working directory.
  (cd "$DATA" && "$ST" run "$URL/api/openapi.json" \
    --header "Authorization: Bearer $tok" \
    --checks not_a_server_error,response_schema_conformance,error_shape \
    --max-examples "$EXAMPLES" --seed "$SEED" \
    --phases examples,coverage,fuzzing --workers 2 --request-timeout 30 \
    --suppress-health-check all --no-color --generation-database none) \
    || status=1
done
if grep -qE 'panicked|internal error' "$LOG"; then
  echo "== the server logged panics or internal errors:"
  grep -E 'panicked|internal error' "$LOG" | head -20
  status=1
fi
[ $status = 0 ] && echo "schemathesis: no failures" || echo "schemathesis: FAILURES (see above)"
exit $status
