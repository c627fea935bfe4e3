#!/usr/bin/env python3
"""Do the dashboard and the alert rules name only metrics the platform exports?

Static (always): every metric name in the PromQL of deploy/grafana/dashboards/*.json and
deploy/prometheus/alerts.yml must be recorded somewhere in crates/ (a `metrics::counter!`,
`histogram!` or `gauge!` call), be one of Prometheus' own series (`up`), or be listed in PLANNED
below: a metric a service still to come will export. Planned names are reported, not failed; a
planned name that the code now records is reported too, so the list can shrink.

Live (with --binary PATH): start `PATH serve --demo` in embedded mode on a free port in a temporary
data dir, drive a little sale through the gateway (reservations, contention, a booking, a refund,
searches), scrape /metrics, and fail if a name the dashboard or alerts use is missing from the
scrape. With --split MYSQL_URL REDIS_URL as well: the deployment as Compose runs it (MariaDB + Redis,
every service its own `serve --services <name>` process, the gateway in front, `migrate` and `demo`
first); every process is scraped and a name missing from all of them fails.

Exit status: 0 when every check passed, 1 otherwise.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Metrics the dashboard and alerts may use before the code records them (none now: a panel is
# added with the code that feeds it).
PLANNED = {}
# Recorded only on events the live check cannot cause on purpose: missing from its scrape is reported,
# not failed.
CONDITIONAL = {
    "redis_command_errors_total": "a Redis command that failed (Redis away, a failover)",
    "payment_idempotent_replays_total": "a charge retried with the same key (booking timed out waiting for payment)",
    "sagas_recovered_total": "a booking left half-done by a crash",
    "checkin_scans_total": "a ticket scanned at a gate (the live check sells, it does not scan)",
    "waitlist_joins_total": "a fan joining a sold-out event's waitlist",
    "waitlist_offers_total": "freed seats offered to a waitlisted fan",
}
# Recorded only by processes that use Redis: required in the split check (MariaDB + Redis), not in
# the embedded one.
REDIS_ONLY = {"redis_command_seconds"}
# Series Prometheus makes itself.
BUILTIN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan", "atan2"}
SUFFIXES = ("_bucket", "_sum", "_count")


def promql_metric_names(expr):
    """Metric names in a PromQL expression (good enough for the expressions we write)."""
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)          # strings
    s = re.sub(r"\b\d*\.?\d+(?:[eE][+-]?\d+)?\b", " ", s)  # numbers (1e-9, 0.99)
    s = re.sub(r"\{[^{}]*\}", " ", s)                      # label matchers
    s = re.sub(r"\[[^\[\]]*\]", " ", s)                    # range selectors
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", s)  # label lists
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", s):
        tok = m.group(0)
        rest = s[m.end():].lstrip()
        if rest.startswith("("):                           # a function
            continue
        if tok.lower() in KEYWORDS or tok.startswith("$"):
            continue
        if m.start() > 0 and s[m.start() - 1] in "$.":
            continue
        names.add(tok)
    return names


def base_name(name):
    for suf in SUFFIXES:
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


def dashboard_exprs():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy/grafana/dashboards/*.json"))):
        with open(path) as f:
            dash = json.load(f)

        def walk(panels):
            for p in panels:
                for t in p.get("targets", []):
                    if t.get("expr"):
                        out.append((f"{os.path.relpath(path, ROOT)}: {p.get('title')}", t["expr"]))
                walk(p.get("panels", []))
        walk(dash.get("panels", []))
        for v in dash.get("templating", {}).get("list", []):
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.match(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,", q or "")
            if m:
                out.append((f"{os.path.relpath(path, ROOT)}: variable {v['name']}", m.group(1)))
    return out


def alert_exprs():
    out = []
    path = os.path.join(ROOT, "deploy/prometheus/alerts.yml")
    with open(path) as f:
        doc = yaml.safe_load(f)
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            out.append((f"deploy/prometheus/alerts.yml: {r.get('alert') or r.get('record')}", r["expr"]))
    return out


def recorded_in_code():
    pat = re.compile(r'metrics::(?:counter|histogram|gauge)!\(\s*"([A-Za-z_:][A-Za-z0-9_:]*)"')
    names = {}
    for path in glob.glob(os.path.join(ROOT, "crates/**/*.rs"), recursive=True):
        with open(path, encoding="utf-8", errors="replace") as f:
            for m in pat.finditer(f.read()):
                names.setdefault(m.group(1), os.path.relpath(path, ROOT))
    return names


def used_names():
    used = {}
    for where, expr in dashboard_exprs() + alert_exprs():
        for n in promql_metric_names(expr):
            used.setdefault(base_name(n), set()).add(where)
    return used


def static_check():
    code = recorded_in_code()
    used = used_names()
    failures = 0
    print(f"  metrics recorded in crates/: {len(code)} ({', '.join(sorted(code))})")
    for name in sorted(used):
        if name in code or name in BUILTIN:
            if name in PLANNED:
                print(f"  NOTE {name}: now recorded in {code[name]}; remove it from PLANNED in deploy/check_metrics.py")
            continue
        if name in PLANNED:
            print(f"  planned (not exported yet): {name} -- {PLANNED[name]}")
            continue
        failures += 1
        print(f"  FAIL {name}: used by {'; '.join(sorted(used[name]))} but recorded nowhere in crates/ and not planned")
    unused = sorted(set(code) - set(used))
    if unused:
        print(f"  NOTE recorded but on no panel or alert: {', '.join(unused)}")
    print(f"  dashboard+alerts use {len(used)} metric names; {failures} unknown")
    return failures == 0


def http(method, url, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw and r.headers.get_content_type() == "application/json" else raw.decode())
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def scrape_names(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        names.add(base_name(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0)))
    return names


def contend(url, token, events):
    """Sixteen buyers at once (released together) for one seat, up to twenty rounds: some must wait
    on the seat's lock."""
    import threading
    for ev in events[:3]:
        st, seats = http("GET", f"{url}/api/inventory/events/{ev['eventId']}/seats/available")
        free = [s["seatNumber"] for s in (seats.get("seats", []) if isinstance(seats, dict) else [])]
        for seat in free[:20]:
            won = []
            start = threading.Barrier(16)
            def go():
                start.wait()
                st, r = http("POST", f"{url}/api/inventory/reservations", {"eventId": ev["eventId"], "seatNumbers": [seat]}, token)
                if st == 201:
                    won.extend(x["reservationId"] for x in r.get("reservations", []))
            threads = [threading.Thread(target=go) for _ in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for rid in won:
                http("DELETE", f"{url}/api/inventory/reservations/{rid}", token=token)
            st, text = http("GET", f"{url}/metrics")
            if "lock_contention_total" in (text if isinstance(text, str) else ""):
                return True
    return False


def book_and_cancel(url, token, events):
    """Confirm with the always-accepted test card and replay it, cancel, then a declined card:
    payments, idempotency hits, webhooks, refunds and compensations."""
    def card(number):
        return {"type": "CREDIT_CARD", "cardNumber": number, "expiryMonth": 12,
                "expiryYear": time.gmtime().tm_year + 2, "cvv": "123", "cardholderName": "Ops Check"}
    done = []
    for number in ("4242424242424242", "4000000000000002"):
        for ev in events:
            st, r = http("POST", f"{url}/api/inventory/reservations", {"eventId": ev["eventId"], "quantity": 1}, token)
            if st == 201:
                break
        else:
            return "no seat to book"
        ids = [x["reservationId"] for x in r.get("reservations", [])]
        body = {"reservationIds": ids, "paymentMethod": card(number)}
        key = {"Idempotency-Key": f"ops-check-{os.getpid()}-{number}-{time.time()}"}
        st, b = http("POST", f"{url}/api/bookings/confirm", body, token, key)
        if st == 404:
            for rid in ids:
                http("DELETE", f"{url}/api/inventory/reservations/{rid}", token=token)
            return "no booking service in this binary"
        if number.startswith("4242"):
            if st not in (200, 201) or not isinstance(b, dict):
                return f"confirm answered {st}: {b}"
            st_replay, _ = http("POST", f"{url}/api/bookings/confirm", body, token, key)
            st_cancel, _ = http("POST", f"{url}/api/bookings/{b['bookingId']}/cancel", {}, token)
            done.append(f"confirmed {st}, replayed {st_replay}, cancelled {st_cancel}")
        else:
            done.append(f"declined card {st}")
    time.sleep(1)  # let the payment webhooks go out
    return "; ".join(done)


SERVICES = ["auth", "events", "inventory", "booking", "payment", "notification", "indexer", "search", "queue"]
# Nothing calls the indexer (no TICKETING_INDEXER_URL); it shares its data dir with search (the index).
NO_URL = {"indexer"}
DATA_DIR_OF = {"indexer": "search"}


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if http("GET", f"{url}/ready")[0] == 200:
                return True
        except OSError:  # not listening yet
            pass
        time.sleep(0.3)
    return False


def start_embedded(binary, env, tmp, log):
    """`serve --demo` in one process: (gateway URL, [URLs to scrape], [processes]) or None."""
    proc = subprocess.Popen([binary, "serve", "--demo"], env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"on (http://[0-9.]+:\d+)", line)
        if m:
            return m.group(1), [m.group(1)], [proc]
    return None, [], [proc]


def start_split(binary, env, tmp, log, mysql, redis):
    """Every service its own process on MariaDB + Redis, the gateway in front, as Compose runs them."""
    env = dict(env)
    env.update({"TICKETING_MYSQL_URL": f"{mysql.rstrip('/')}/t_opscheck_{os.getpid()}", "TICKETING_REDIS_URL": redis,
                "TICKETING_JWT_SECRET": "ops-check-jwt-secret-of-at-least-32-characters", "TICKETING_DB_POOL_SIZE": "4"})
    ports = {name: free_port() for name in SERVICES + ["gateway"]}
    for name in SERVICES:
        if name not in NO_URL:
            env[f"TICKETING_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    procs = []
    if subprocess.run([binary, "migrate"], env=env, stdout=log, stderr=log).returncode != 0:
        return None, [], procs
    for name in SERVICES + ["gateway"]:
        e = dict(env, TICKETING_PORT=str(ports[name]), TICKETING_DATA_DIR=os.path.join(tmp, DATA_DIR_OF.get(name, name)))
        procs.append(subprocess.Popen([binary, "serve", "--services", name], env=e, stdout=log, stderr=log))
    urls = [f"http://127.0.0.1:{ports[n]}" for n in SERVICES + ["gateway"]]
    if not all(wait_ready(u) for u in urls):
        return None, urls, procs
    if subprocess.run([binary, "demo"], env=dict(env, TICKETING_DATA_DIR=os.path.join(tmp, "demo")), stdout=log, stderr=log).returncode != 0:
        return None, urls, procs
    return urls[-1], urls, procs


def live_check(binary, split=None):
    used = {n for n in used_names() if n not in BUILTIN}
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
        env.update({"TICKETING_DATA_DIR": tmp, "TICKETING_PORT": "0", "TICKETING_BIND": "127.0.0.1",
                    "TICKETING_CLEANUP_INTERVAL_SECS": "1", "TICKETING_RATE_LIMIT_PER_MINUTE": "0",
                    "TICKETING_LOG_FORMAT": "json", "RUST_LOG": "warn"})
        log = open(os.path.join(tmp, "serve.log"), "w+")
        how = "split: every service its own process on MariaDB + Redis" if split else "embedded"
        url, scraped, procs = start_split(binary, env, tmp, log, *split) if split else start_embedded(binary, env, tmp, log)
        try:
            if url is None:
                log.seek(0)
                print(f"  FAIL live ({how}): the platform did not start:\n{log.read()[-3000:]}")
                return False
            print(f"  live ({how}): {binary} serving on {url}")
            # One buyer, one reservation, released again: exercises locks, reservations and cleanup.
            email = f"ops-check-{os.getpid()}@example.com"
            http("POST", f"{url}/api/auth/register", {"email": email, "password": "ops-check-pw", "name": "Ops Check"})
            st, login = http("POST", f"{url}/api/auth/login", {"email": email, "password": "ops-check-pw"})
            token = login.get("accessToken") if isinstance(login, dict) else None
            st, evs = http("GET", f"{url}/api/events?status=ON_SALE&size=5")
            # A search twice: a cache miss, then a hit.
            for _ in range(2):
                http("GET", f"{url}/api/search?q=concert")
            events = evs.get("events", []) if isinstance(evs, dict) else []
            reserved = False
            for ev in events:
                st, r = http("POST", f"{url}/api/inventory/reservations", {"eventId": ev["eventId"], "quantity": 1}, token)
                if st == 201:
                    reserved = True
                    for res in r.get("reservations", []):
                        http("DELETE", f"{url}/api/inventory/reservations/{res['reservationId']}", token=token)
                    break
            http("GET", f"{url}/api/no-such-route")
            print(f"  live: login {'ok' if token else 'FAILED'}, {len(events)} events on sale, reservation {'ok' if reserved else 'FAILED'}")
            contended = contend(url, token, events)
            print(f"  live: concurrent reservations of one seat: {'lock contention seen' if contended else 'no contention seen'}")
            booked = book_and_cancel(url, token, events)
            print(f"  live: booking flow: {booked}")
            wanted = {n for n in used if n not in PLANNED and n not in CONDITIONAL and (split or n not in REDIS_ONLY)}
            seen = set()
            deadline = time.time() + 15
            while time.time() < deadline:
                seen = set()
                for u in scraped:
                    st, text = http("GET", f"{u}/metrics")
                    seen |= scrape_names(text if isinstance(text, str) else "")
                if wanted <= seen:
                    break
                time.sleep(0.5)
            missing = sorted(wanted - seen)
            print(f"  live ({how}): /metrics of {len(scraped)} process(es) export {len(seen)} names; the dashboard and alerts need {len(wanted)} of them now")
            for n in missing:
                print(f"  FAIL live ({how}): {n} is not in the scrape of any process")
            for n in sorted((used & CONDITIONAL.keys()) - seen):
                print(f"  not seen live (recorded only on {CONDITIONAL[n]}): {n}")
            return not missing and bool(token) and reserved
        finally:
            for proc in procs:
                proc.send_signal(2)
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if split:
                drop_databases(split[0])


def drop_databases(mysql):
    """The split check's databases (`t_opscheck_<pid>_<service>`), through the mysql client."""
    m = re.match(r"mysql://([^:@/]+)(?::([^@/]*))?@([^:/]+)(?::(\d+))?", mysql)
    if not m:
        return
    user, password, host, port = m.groups()
    args = ["mysql", "-h", host, "-P", port or "3306", "-u", user] + ([f"-p{password}"] if password else [])
    for name in SERVICES:
        subprocess.run(args + ["-e", f"DROP DATABASE IF EXISTS `t_opscheck_{os.getpid()}_{name}`"], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", help="a built `ticketing` binary: also scrape a running one")
    ap.add_argument("--split", nargs=2, metavar=("MYSQL_URL", "REDIS_URL"),
                    help="with --binary: also run every service as its own process on these, as Compose does")
    args = ap.parse_args()
    ok = static_check()
    if args.binary:
        ok = live_check(args.binary) and ok
        if args.split:
            ok = live_check(args.binary, args.split) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
