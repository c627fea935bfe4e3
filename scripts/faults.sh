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
# 3. When MariaDB and Redis answer (TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL, or the local
#    servers): three processes of the platform on one fresh set of databases, the load spread over
#    them; one process is killed with SIGKILL and started again, and Redis is restarted (it keeps
#    nothing: the seat locks and counters start empty, which must not sell a seat twice); with
#    FAULTS_RESTART_MARIADB=1 (CI sets it: it restarts the machine's MariaDB) MariaDB is restarted
#    too. Same checks, with `ticketing audit` on MySQL.
# 4. Redis Sentinel: a primary, a replica and three sentinels of our own (ports 16390-16391,
#    26390-26392); two processes on MariaDB find Redis through the sentinels. The primary is shut
#    down mid-sale; the sentinels promote the replica, the processes follow it, and a second short
#    sale on the promoted replica must go through without an error. Same checks.
#
# Only this machine (127.0.0.1); every process it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/ticketing}
BIN=$(realpath "$BIN")
PORT=${FAULTS_PORT:-18471}
WORK=$(mktemp -d)
SERVER_PID=
NODE_PIDS=()
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  for p in "${NODE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  stop_own_redis
  rm -rf "$WORK"
}
trap cleanup EXIT

export TICKETING_DATA_DIR=$WORK/data TICKETING_PORT=$PORT TICKETING_ADMIN_EMAIL=admin@example.com \
  TICKETING_ADMIN_PASSWORD=admin-password TICKETING_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  TICKETING_WEB_DIR=$WORK/no-web

# Wait for `ticketing serve` on port $1 (its log: $2) to answer, or fail the suite.
wait_up() {
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: the server on port $1 did not come up"; tail -20 "$2"; exit 1
}

start_server() {
  "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_up "$PORT" "$WORK/server.log"
}

# Process $1 of a shared platform: MySQL $2, Redis $3, port $4, its files under $5.
start_node() {
  mkdir -p "$5/node$1"
  TICKETING_MYSQL_URL=$2 TICKETING_REDIS_URL=$3 TICKETING_DATA_DIR=$5/node$1 TICKETING_PORT=$4 \
    "$BIN" serve >>"$5/node$1.log" 2>&1 &
  NODE_PIDS[$1]=$!
  wait_up "$4" "$5/node$1.log"
}

# Stop every process of a shared platform and drop its databases (MySQL URL $1, its prefix last).
stop_nodes() {
  for p in "${NODE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  NODE_PIDS=()
  local prefix=${1##*/}
  mysql -h 127.0.0.1 -uroot -N -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${prefix}\_%'" 2>/dev/null \
    | while read -r d; do mysql -h 127.0.0.1 -uroot -e "DROP DATABASE \`$d\`"; done || true
}

# The load generator's exit status $1, its output $2, for sale $3: print the headline, fail on its audit.
loadgen_passed() {
  local status=$1 out=$2 name=$3
  grep -E "^purchase: [0-9]|^errors|waited|AUDIT|audit passed|^audit:" "$out" | sed 's/^/   /'
  if [ "$status" != 0 ]; then
    echo "FAIL: the load generator's audit failed ($name)"; tail -30 "$out"; exit 1
  fi
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
  loadgen_passed "$lg_ok" "$WORK/loadgen.txt" "$name"
  # The invariants hold, and no saga is still running (the load generator waited for its own).
  audit_passes "$name"
  kill -9 "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}

# The audit's verdict on the storage of the current environment, and no saga left running.
audit_passes() {
  local name=$1
  if ! "$BIN" audit --json >"$WORK/audit.json" 2>"$WORK/audit.err"; then
    echo "FAIL: ticketing audit ($name)"; cat "$WORK/audit.json" "$WORK/audit.err"; exit 1
  fi
  local running
  running=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["running"]); print("   audit passed:", r["seats"], "seats,", r["bookings"], "bookings,", r["payments"], "payments", file=sys.stderr)' "$WORK/audit.json")
  if [ "$running" != 0 ]; then
    echo "FAIL: $running bookings still running after the sale ($name)"; exit 1
  fi
}

shared_sale() {
  local mysql=$1 redis=$2
  local db="$mysql/f_$RANDOM$RANDOM"
  local also=""
  [ "${FAULTS_RESTART_MARIADB:-0}" = 1 ] && also=" and MariaDB"
  echo "== MariaDB + Redis, three processes: one killed with SIGKILL, Redis$also restarted mid-sale"
  local -a ports=($((PORT + 10)) $((PORT + 11)) $((PORT + 12)))
  export TICKETING_JWT_SECRET=fault-suite-secret-fault-suite-secret-0123 TICKETING_DB_POOL_SIZE=4 TICKETING_PAYMENT_LATENCY_MS=50-250
  # One after the other: the first creates the databases.
  for i in 0 1 2; do start_node "$i" "$db" "$redis" "${ports[$i]}" "$WORK"; done
  "$BIN" loadgen --url "http://127.0.0.1:${ports[0]}" --also-url "http://127.0.0.1:${ports[1]}" --also-url "http://127.0.0.1:${ports[2]}" \
    --scenario purchase --jwt-secret "$TICKETING_JWT_SECRET" --rate 45 --duration 24 --seats 20000 --buyers 300 --declined 0.2 \
    --health-secs 1 --concurrency 16 >"$WORK/loadgen.txt" 2>&1 &
  local lg=$!
  sleep $((4 + RANDOM % 4))
  echo "   kill -9 of process 1"
  kill -9 "${NODE_PIDS[1]}"; wait "${NODE_PIDS[1]}" 2>/dev/null || true
  start_node 1 "$db" "$redis" "${ports[1]}" "$WORK"
  sleep $((3 + RANDOM % 3))
  echo "   Redis restarted"
  local rport=${redis##*:}; rport=${rport%%/*}
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do redis-cli -p "$rport" ping >/dev/null 2>&1 || break; sleep 0.1; done
  # As this kind of machine starts it (CI's Redis keeps nothing on disk).
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$rport" --save "" --appendonly no --dir /tmp >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  if [ "${FAULTS_RESTART_MARIADB:-0}" = 1 ] && [ -x /usr/sbin/mariadbd ]; then
    sleep 3
    echo "   MariaDB restarted"
    local down=$(date +%s%N)
    mysqladmin -h 127.0.0.1 -uroot shutdown
    # `shutdown` answers before the server has exited; start the new one once the old one is gone.
    for _ in $(seq 1 240); do pgrep -x mariadbd >/dev/null || break; sleep 0.25; done
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 120); do mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1 && break; sleep 0.25; done
    mysql -h 127.0.0.1 -uroot -e "SET GLOBAL max_connections = 1000"
    echo "   MariaDB answered again after $(( ($(date +%s%N) - down) / 1000000 )) ms"
  fi
  local lg_ok=0
  wait "$lg" || lg_ok=$?
  loadgen_passed "$lg_ok" "$WORK/loadgen.txt" "MariaDB + Redis"
  TICKETING_MYSQL_URL=$db TICKETING_REDIS_URL=$redis audit_passes "MariaDB + Redis"
  stop_nodes "$db"
}

REDIS_PIDS_DIR=
sentinel_sale() {
  local mysql=$1
  local db="$mysql/s_$RANDOM$RANDOM" dir=$WORK/sentinel
  echo "== Redis Sentinel: the primary shut down mid-sale, the replica promoted"
  mkdir -p "$dir"; REDIS_PIDS_DIR=$dir
  # --dir: a primary writes its replication snapshot there.
  redis-server --port 16390 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$dir" --pidfile "$dir/p.pid" --logfile "$dir/p.log"
  redis-server --port 16391 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$dir" --pidfile "$dir/r.pid" --logfile "$dir/r.log" \
    --replicaof 127.0.0.1 16390
  for p in 26390 26391 26392; do
    printf 'port %s\nbind 127.0.0.1\nsentinel monitor tmaster 127.0.0.1 16390 2\nsentinel down-after-milliseconds tmaster 1000\nsentinel failover-timeout tmaster 5000\n' "$p" >"$dir/s$p.conf"
    redis-server "$dir/s$p.conf" --sentinel --daemonize yes --dir "$dir" --pidfile "$dir/s$p.pid" --logfile "$dir/s$p.log"
  done
  sleep 2
  local url="redis+sentinel://127.0.0.1:26390,127.0.0.1:26391,127.0.0.1:26392/tmaster"
  local -a ports=($((PORT + 20)) $((PORT + 21)))
  export TICKETING_JWT_SECRET=fault-suite-secret-fault-suite-secret-0123 TICKETING_DB_POOL_SIZE=4 TICKETING_PAYMENT_LATENCY_MS=50-250
  for i in 0 1; do start_node "$i" "$db" "$url" "${ports[$i]}" "$dir"; done
  sale() {
    "$BIN" loadgen --url "http://127.0.0.1:${ports[0]}" --also-url "http://127.0.0.1:${ports[1]}" --scenario purchase \
      --jwt-secret "$TICKETING_JWT_SECRET" --rate 40 --duration "$1" --seats 20000 --buyers 300 --health-secs 1 --concurrency 16 >"$dir/$2" 2>&1
  }
  sale 20 loadgen.txt &
  local lg=$!
  sleep 6
  echo "   primary (16390) shut down"
  redis-cli -p 16390 shutdown nosave >/dev/null 2>&1 || true
  local lg_ok=0
  wait "$lg" || lg_ok=$?
  loadgen_passed "$lg_ok" "$dir/loadgen.txt" "Sentinel"
  local primary
  primary=$(redis-cli -p 26390 sentinel get-master-addr-by-name tmaster | tail -1)
  echo "   the sentinels name port $primary as the primary"
  [ "$primary" = 16391 ] || { echo "FAIL: the replica was not promoted"; exit 1; }
  sale 4 loadgen2.txt || { echo "FAIL: the sale on the promoted replica"; tail -30 "$dir/loadgen2.txt"; exit 1; }
  grep -E "^purchase: [0-9]|^errors" "$dir/loadgen2.txt" | sed 's/^/   after the failover: /'
  grep -q "^errors: none" "$dir/loadgen2.txt" || { echo "FAIL: errors on the promoted replica"; tail -5 "$dir/node0.log" "$dir/node1.log"; exit 1; }
  TICKETING_MYSQL_URL=$db TICKETING_REDIS_URL=$url audit_passes "Sentinel"
  stop_nodes "$db"
  stop_own_redis
}

stop_own_redis() {
  [ -n "$REDIS_PIDS_DIR" ] || return 0
  for f in "$REDIS_PIDS_DIR"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  REDIS_PIDS_DIR=
}

t0=$(date +%s)
sale_with_kills "embedded, killed three times" 3 50-250 60
sale_with_kills "embedded, payment latency spike" 0 1500-3000 30
MYSQL=${TICKETING_TEST_MYSQL_URL:-}
REDIS=${TICKETING_TEST_REDIS_URL:-}
if [ -z "$MYSQL" ] && mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then MYSQL=mysql://root@127.0.0.1:3306; fi
if [ -z "$REDIS" ] && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then REDIS=redis://127.0.0.1:6379; fi
if [ -n "$MYSQL" ] && [ -n "$REDIS" ]; then
  shared_sale "${MYSQL%/}" "$REDIS"
  if command -v redis-server >/dev/null; then sentinel_sale "${MYSQL%/}"; fi
else
  echo "== MariaDB + Redis: skipped (neither TICKETING_TEST_MYSQL_URL/REDIS_URL set nor local servers answering)"
fi
echo "fault suite passed in $(( $(date +%s) - t0 )) s"
