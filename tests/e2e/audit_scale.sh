#!/usr/bin/env bash
# The audit at scale, reproducibly: a real API server (as the e2e suite starts it) filled
# with CONFIGMAPS ConfigMaps and PODS Pods, then `clausegate audit` in every output format
# and one background audit of `clausegate serve`, each with its wall time and peak RSS
# (the process's own VmHWM, or GNU time's maximum resident set size).
#
#   tests/e2e/audit_scale.sh [CLAUSEGATE_BINARY]     CONFIGMAPS=20000 PODS=2000 by default
#
# Not part of `make test` or `make e2e` (filling the cluster takes a few minutes); the README
# quotes its figures.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/e2e
bin=${1:-$root/build/controller/cli/clausegate}
CONFIGMAPS=${CONFIGMAPS:-20000} PODS=${PODS:-2000}
work=$(mktemp -d /tmp/clausegate-scale.XXXXXX)
. "$here/lib.sh"
pids=()
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; wait "${pids[i]}" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

part "tools (Go module proxy, cached)"
bash "$here/build-tools.sh" >/dev/null || { echo "scale: cannot build the tools"; exit 2; }
eval "$(bash "$here/build-tools.sh" --print-dir)"
mkdir -p "$work/bin" && ln -s "$KUBECTL" "$work/bin/kubectl" && export PATH=$work/bin:$PATH
part "etcd + kube-apiserver start"
start_apiserver
crds=$(bash "$here/crds.sh" 2>"$work/out") && k apply --server-side -f "$crds" >>"$work/out" 2>&1
expect "the PolicyReport CRDs" $? "$work/out"

part "fill: $CONFIGMAPS ConfigMaps, $PODS Pods"
python3 - "$work/kubeconfig" "$CONFIGMAPS" "$PODS" <<'PY'
# Concurrent POSTs with the admin token (kubectl would take far longer).
import concurrent.futures, json, ssl, sys, urllib.request, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
server = cfg["clusters"][0]["cluster"]["server"]
ctx = ssl.create_default_context(cafile=cfg["clusters"][0]["cluster"]["certificate-authority"])
token = cfg["users"][0]["user"]["token"]
def post(path, obj):
    req = urllib.request.Request(server + path, json.dumps(obj).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, context=ctx, timeout=60).read()
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
namespaces = ["scale-%d" % i for i in range(20)]
for ns in namespaces:
    post("/api/v1/namespaces", {"metadata": {"name": ns}})
def cm(i):
    ns = namespaces[i % len(namespaces)]
    post("/api/v1/namespaces/%s/configmaps" % ns, {"metadata": {"name": "cm-%d" % i, "labels": {"app": "scale"}},
                                                   "data": {"config.yaml": "key: value\n" * 20}})
def pod(i):
    ns = namespaces[i % len(namespaces)]
    c = {"name": "app", "image": "registry.example.com/app:%d" % (i % 7), "securityContext": {"privileged": i % 3 == 0}}
    post("/api/v1/namespaces/%s/pods" % ns, {"metadata": {"name": "pod-%d" % i, "labels": {"app": "scale"}},
                                             "spec": {"containers": [c]}})
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(cm, range(int(sys.argv[2]))))
    list(pool.map(pod, range(int(sys.argv[3]))))
PY
expect "the cluster is filled" $?

policies=$root/policies
objects=""
for format in json text markdown html policyreport sarif junit; do
  part "clausegate audit -o $format"
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" audit -p "$policies" -o "$format" >"$work/out.$format" 2>"$work/err"
  st=$?; read -r secs kib < <(tail -1 "$work/time")  # GNU time says a non-zero exit first
  [ "$format" = json ] && objects=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["objects"])' "$work/out.json")
  [ "$st" -le 1 ]; expect "audit -o $format: ${objects:-?} objects in $secs s, peak RSS $((kib / 1024)) MiB" $? "$work/err"
done

part "serve --audit-interval: one background audit"
health=$(free_port)
"$bin" serve --policies "$policies" --tls-cert "$work/pki/server.crt" --tls-key "$work/pki/server.key" \
  --address 127.0.0.1 --port "$(free_port)" --health-port "$health" --kubeconfig "$KUBECONFIG" --log-level warn \
  --audit-interval 1h --audit-lease default/scale-audit >"$work/serve.log" 2>&1 &
serve=$!; pids+=($serve)
audited() { curl -fsS "http://127.0.0.1:$health/metrics" | grep -q '^clausegate_audit_runs_total{result="success"} 1'; }
wait_for 600 audited; st=$?
secs=$(curl -fsS "http://127.0.0.1:$health/metrics" | awk '$1 == "clausegate_audit_duration_seconds" {print $2}')
hwm=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$serve/status")
reports=$(k get policyreports -A -l app.kubernetes.io/managed-by=clausegate -o name | grep -c .)
expect "serve: one audit in $secs s, $reports PolicyReports written, the process's peak RSS $hwm MiB" $st "$work/serve.log"
summary "audit at scale"
