#!/usr/bin/env bash
# Checks of the deployment files that need no container engine (CI runs this).
#
#   deploy/check.sh                                  # schema, syntax and cross-reference checks
#   TICKETING_BIN=target/release/ticketing deploy/check.sh   # also scrape a running `ticketing serve`
#
# Installs check-jsonschema and kubernetes-validate from PyPI (quietly, only when missing). Uses
# promtool when it is on PATH (or PROMTOOL names it), and skips those checks otherwise.
# Exits non-zero when any check fails.
set -uo pipefail

DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
K8S_VERSION="${K8S_VERSION:-1.33.0}"          # a version kubernetes-validate ships schemas for
CHECK_JSONSCHEMA_PIN="check-jsonschema==0.39.0"
KUBERNETES_VALIDATE_PIN="kubernetes-validate==1.37.0"

failed=()
passed=()
skipped=()

step() { printf '\n== %s\n' "$1"; }
run() { # run NAME CMD...: record the outcome of one check
  local name="$1"; shift
  if "$@"; then passed+=("$name"); else echo "FAILED: $name"; failed+=("$name"); fi
}

have_module() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }
install_if_missing() { # module pip-spec
  if ! have_module "$1"; then
    echo "installing $2 (pip, quietly)"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "$2" || return 1
  fi
}

step "tools"
install_if_missing check_jsonschema "$CHECK_JSONSCHEMA_PIN" || failed+=("install check-jsonschema")
install_if_missing kubernetes_validate "$KUBERNETES_VALIDATE_PIN" || failed+=("install kubernetes-validate")
install_if_missing yaml "PyYAML" || failed+=("install PyYAML")
"$PYTHON" -m check_jsonschema --version
echo "kubernetes-validate $("$PYTHON" -m kubernetes_validate --version), Kubernetes schemas $K8S_VERSION"

step "Compose file against the Compose specification (check-jsonschema vendor.compose-spec)"
run "compose schema" "$PYTHON" -m check_jsonschema --builtin-schema vendor.compose-spec deploy/docker-compose.yml

step "GitHub pipeline for forks against the workflow schema (check-jsonschema vendor.github-workflows)"
run "workflow schema" "$PYTHON" -m check_jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml

step "Compose cross-references (services, depends_on, mounted files, settings)"
run "compose references" "$PYTHON" - <<'PY'
import os, re, sys, yaml
doc = yaml.safe_load(open("deploy/docker-compose.yml"))
svcs = doc["services"]
bad = []
for name, s in svcs.items():
    deps = s.get("depends_on") or {}
    for d in (deps if isinstance(deps, (list, dict)) else []):
        if d not in svcs:
            bad.append(f"{name}: depends_on unknown service {d}")
    for v in s.get("volumes", []) or []:
        src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith("."):
            if not os.path.exists(os.path.join("deploy", src)):
                bad.append(f"{name}: mounts {src}, which does not exist")
    cmd = s.get("command") or []
    if "--services" in cmd:
        for svc in cmd[cmd.index("--services") + 1].split(","):
            if svc != name and not name.startswith(svc):
                bad.append(f"{name}: runs --services {svc} under another name")
    if "healthcheck" not in s and name not in ("migrate", "demo"):
        bad.append(f"{name}: no healthcheck")
inv = svcs.get("inventory", {})
replicas = str((inv.get("deploy") or {}).get("replicas", 1))
if not replicas.isdigit() or int(replicas) < 2:
    bad.append(f"inventory: replicas is {replicas!r}, want 2 or more")
if "8000" not in str(svcs.get("gateway", {}).get("ports")):
    bad.append("gateway: not published on 8000")
if "--appendonly" not in svcs.get("redis", {}).get("command", []):
    bad.append("redis: AOF (--appendonly yes) is off")
# Every ${VAR} the file interpolates without a default must be in .env.example.
example = open("deploy/.env.example").read()
text = open("deploy/docker-compose.yml").read()
for var, op in re.findall(r"\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}", text):
    if not op.startswith((":-", "-")) and not re.search(rf"^#?\s*{var}=", example, re.M):
        bad.append(f"${{{var}}} is required by docker-compose.yml but not in .env.example")
for b in bad:
    print("  " + b)
print(f"  {len(svcs)} services: {', '.join(svcs)}")
sys.exit(1 if bad else 0)
PY

step "Every TICKETING_* setting of crates/common/src/config.rs is in .env.example and the k8s ConfigMap/Secret"
run "settings documented" "$PYTHON" - <<'PY'
import glob, re, sys
settings = sorted(set(re.findall(r'env\s*=\s*"(TICKETING_[A-Z0-9_]+)"', open("crates/common/src/config.rs").read())))
example = open("deploy/.env.example").read()
k8s = open("deploy/k8s/01-configmap.yaml").read() + open("deploy/k8s/02-secret.yaml").read()
# Set per container by the manifests themselves (the command line), not by the ConfigMap.
K8S_PER_CONTAINER = {"TICKETING_SERVICES"}
bad = []
for s in settings:
    if not re.search(rf"^#?\s*{s}=", example, re.M):
        bad.append(f"{s} missing from deploy/.env.example")
    if s not in K8S_PER_CONTAINER and not re.search(rf"^\s*#?\s*{s}:", k8s, re.M):
        bad.append(f"{s} missing from deploy/k8s/01-configmap.yaml and 02-secret.yaml")
for b in bad:
    print("  " + b)
print(f"  {len(settings)} settings checked")
sys.exit(1 if bad else 0)
PY

step "Prometheus scrapes every service that Compose runs (a job per service in prometheus.yml)"
run "scrape jobs" "$PYTHON" - <<'PY'
import sys, yaml
compose = yaml.safe_load(open("deploy/docker-compose.yml"))
prom = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
jobs = {j["job_name"] for j in prom.get("scrape_configs", [])}
services = []
for name, svc in compose["services"].items():
    cmd = svc.get("command") or []
    if isinstance(cmd, list) and cmd[:1] == ["serve"] and "--services" in cmd:
        services.append(name)
missing = [s for s in services if s not in jobs]
for s in missing:
    print(f"  {s}: a Compose service with no scrape job in deploy/prometheus/prometheus.yml")
print(f"  {len(services)} services, {len(jobs)} scrape jobs")
sys.exit(1 if missing else 0)
PY

step "Kubernetes manifests (kubernetes-validate --strict, Kubernetes $K8S_VERSION)"
run "k8s schemas" "$PYTHON" -m kubernetes_validate --strict --quiet -k "$K8S_VERSION" deploy/k8s/*.yaml
run "k8s references" "$PYTHON" - <<'PY'
import glob, sys, yaml
docs = []
for path in sorted(glob.glob("deploy/k8s/*.yaml")):
    for d in yaml.safe_load_all(open(path)):
        if d:
            docs.append((path, d))
by_kind = {}
for path, d in docs:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
bad = []
for name, dep in by_kind.get("Deployment", {}).items():
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    if dep["spec"]["selector"]["matchLabels"].items() - labels.items():
        bad.append(f"Deployment {name}: selector does not match its pod labels")
    for c in pod["spec"]["containers"]:
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
            bad.append(f"Deployment {name}: readiness probe is not /ready")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
            bad.append(f"Deployment {name}: liveness probe is not /health")
        r = c.get("resources", {})
        if not r.get("requests") or not r.get("limits"):
            bad.append(f"Deployment {name}: no resource requests and limits")
        args = c.get("args", [])
        if args[:2] != ["serve", "--services"] or args[2] != name:
            bad.append(f"Deployment {name}: does not run `serve --services {name}`")
    svc = by_kind.get("Service", {}).get(name)
    if not svc or svc["spec"]["selector"].items() - labels.items():
        bad.append(f"Deployment {name}: no Service selecting its pods")
for name, h in by_kind.get("HorizontalPodAutoscaler", {}).items():
    if h["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
        bad.append(f"HPA {name}: targets a missing Deployment")
for name, p in by_kind.get("PodDisruptionBudget", {}).items():
    if not any(p["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
               for d in by_kind.get("Deployment", {}).values()):
        bad.append(f"PDB {name}: selects no Deployment's pods")
for name, ing in by_kind.get("Ingress", {}).items():
    for rule in ing["spec"]["rules"]:
        for p in rule["http"]["paths"]:
            if p["backend"]["service"]["name"] not in by_kind.get("Service", {}):
                bad.append(f"Ingress {name}: backend {p['backend']['service']['name']} is no Service")
for want in ["gateway", "inventory", "booking"]:
    if want not in by_kind.get("HorizontalPodAutoscaler", {}):
        bad.append(f"no HPA for {want}")
if "inventory" not in by_kind.get("PodDisruptionBudget", {}):
    bad.append("no PodDisruptionBudget for inventory")
if not any(j["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate"] for j in by_kind.get("Job", {}).values()):
    bad.append("no Job running `ticketing migrate`")
for b in bad:
    print("  " + b)
print("  " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items())))
sys.exit(1 if bad else 0)
PY

step "Prometheus and Grafana files parse (JSON / YAML)"
run "parse" "$PYTHON" - <<'PY'
import glob, json, sys, yaml
bad = 0
files = sorted(glob.glob("deploy/prometheus/*.yml") + glob.glob("deploy/grafana/provisioning/**/*.yml", recursive=True))
for path in files:
    try:
        doc = yaml.safe_load(open(path))
        assert isinstance(doc, dict), "not a mapping"
        print(f"  ok  {path}")
    except Exception as e:
        bad += 1; print(f"  BAD {path}: {e}")
for path in sorted(glob.glob("deploy/grafana/dashboards/*.json")):
    try:
        d = json.load(open(path))
        n = sum(1 for p in d["panels"] if p.get("type") != "row")
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), "duplicate panel ids"
        assert d.get("uid"), "no uid"
        print(f"  ok  {path} ({n} panels)")
    except Exception as e:
        bad += 1; print(f"  BAD {path}: {e}")
a = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
names = [r["alert"] for g in a["groups"] for r in g["rules"]]
print(f"  alerts: {', '.join(names)}")
sys.exit(1 if bad else 0)
PY

step "PromQL names only metrics the platform records (deploy/check_metrics.py)"
if [ -n "${TICKETING_BIN:-}" ]; then
  split=()
  if [ -n "${TICKETING_TEST_MYSQL_URL:-}" ] && [ -n "${TICKETING_TEST_REDIS_URL:-}" ]; then
    split=(--split "$TICKETING_TEST_MYSQL_URL" "$TICKETING_TEST_REDIS_URL")
  fi
  run "metric names (static + live scrape)" "$PYTHON" deploy/check_metrics.py --binary "$TICKETING_BIN" "${split[@]}"
else
  run "metric names (static)" "$PYTHON" deploy/check_metrics.py
  echo "  (set TICKETING_BIN to a built binary to also scrape a running \`ticketing serve\`)"
fi

step "promtool"
PROMTOOL="${PROMTOOL:-$(command -v promtool || true)}"
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
  "$PROMTOOL" --version 2>&1 | head -1
  run "promtool check rules" "$PROMTOOL" check rules deploy/prometheus/alerts.yml
  run "promtool check config (compose)" "$PROMTOOL" check config --syntax-only deploy/prometheus/prometheus.yml
  # The dashboard's PromQL, as recording rules (Grafana's variables replaced), so promtool parses it.
  tmp_rules="$(mktemp --suffix=.yml)"
  "$PYTHON" - "$tmp_rules" <<'PY'
import glob, json, sys, yaml
rules = []
for path in sorted(glob.glob("deploy/grafana/dashboards/*.json")):
    for p in json.load(open(path))["panels"]:
        for t in p.get("targets", []):
            e = t["expr"].replace("$__rate_interval", "5m").replace("$job", ".+").replace("$event", ".+")
            rules.append({"record": f"dashboard:panel{p['id']}:{t['refId']}", "expr": e})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[1], "w"))
PY
  run "promtool: dashboard PromQL parses" "$PROMTOOL" check rules "$tmp_rules"
  rm -f "$tmp_rules"
  out="$("$PROMTOOL" check config --syntax-only deploy/prometheus/prometheus-k8s.yml 2>&1)"; rc=$?
  echo "$out"
  if [ $rc -eq 0 ]; then
    passed+=("promtool check config (k8s)")
  elif grep -q "field kubernetes_sd_configs not found" <<<"$out"; then
    # Debian's promtool is built without Kubernetes discovery; the upstream one has it.
    echo "  this promtool lacks kubernetes_sd_configs: prometheus-k8s.yml skipped"
    skipped+=("promtool check config (k8s)")
  else
    echo "FAILED: promtool check config (k8s)"; failed+=("promtool check config (k8s)")
  fi
else
  echo "  promtool not found: skipped (PromQL syntax is not checked here)"
  skipped+=("promtool")
fi

step "summary"
echo "passed:  ${#passed[@]}  (${passed[*]:-})"
[ ${#skipped[@]} -gt 0 ] && echo "skipped: ${#skipped[@]}  (${skipped[*]})"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed:  ${#failed[@]}  (${failed[*]})"
  echo "deploy/check.sh: FAILED"
  exit 1
fi
echo "deploy/check.sh: all checks passed"
