#!/usr/bin/env bash
# End to end against a real API server: etcd and kube-apiserver on loopback, the
# webhook registered with the configuration the chart renders, and kubectl driving
# admission requests through it. Prints how long each part took.
#
#   tests/e2e/run.sh [CLAUSEGATE_BINARY]      (make e2e builds and runs it)
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/e2e
bin=${1:-$root/build/controller/cli/clausegate}
work=$(mktemp -d /tmp/clausegate-e2e.XXXXXX)
. "$here/lib.sh"
pids=()

cleanup() {
  # Newest first (webhook, API server, etcd); whatever lingers past 10 s is killed.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$fails" = 0 ]; then rm -rf "$work"; else echo "e2e: logs kept in $work"; fi
}
trap cleanup EXIT

# --- tools ------------------------------------------------------------------------------
part "tools (Go module proxy, cached)"
bash "$here/build-tools.sh" || { echo "e2e: cannot build the tools"; exit 2; }
eval "$(bash "$here/build-tools.sh" --print-dir)"
# The kubectl of the API server's release, first on PATH for this script and parity.py.
mkdir -p "$work/bin" && ln -s "$KUBECTL" "$work/bin/kubectl" && export PATH=$work/bin:$PATH
[ -x "$bin" ] || { echo "e2e: no clausegate binary at $bin"; exit 2; }

# --- etcd and kube-apiserver ------------------------------------------------------------
part "etcd + kube-apiserver start"
start_apiserver
wh_port=$(free_port); health_port=$(free_port)
# The chart's CRDs (crds/): the webhook watches CompliancePolicy and CompliancePolicyException.
k apply -f "$root/charts/clausegate/crds" >"$work/out" 2>&1 &&
  k wait --for condition=established --timeout=30s crd/compliancepolicies.clausegate.io \
    crd/compliancepolicyexceptions.clausegate.io >>"$work/out" 2>&1
expect "the chart's CRDs are accepted and established" $? "$work/out"

# --- the webhook, registered as the chart renders it ------------------------------------
part "webhook start + registration"
release_ns=clausegate
k create namespace "$release_ns" >/dev/null
# The policies the chart installs (its ConfigMaps), the freeze windows emptied so that
# the run does not depend on the date.
"$HELM" template cg "$root/charts/clausegate" -n "$release_ns" \
  --set-json 'policies.params={"change-freeze":{"freezeWindows":[]}}' \
  --set webhook.url="https://127.0.0.1:$wh_port/validate" --set tls.mode=secret \
  --set tls.existingSecret=unused --set-file tls.caBundle="$work/pki/ca.crt" >"$work/chart.yaml" 2>"$work/helm.err"
expect "helm template for loopback" $? "$work/helm.err"
python3 - "$work/chart.yaml" "$work" <<'PY'
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
out = sys.argv[2]
for d in docs:
    if d["kind"] == "ConfigMap" and "-policies-" in d["metadata"]["name"]:
        pack = d["metadata"]["name"].split("-policies-", 1)[1]
        os.makedirs(f"{out}/policies/{pack}", exist_ok=True)
        for name, text in d["data"].items():
            open(f"{out}/policies/{pack}/{name}", "w").write(text)
    if d["kind"] == "ValidatingWebhookConfiguration":
        yaml.safe_dump(d, open(f"{out}/webhook.yaml", "w"))
PY
"$bin" serve --policies "$work/policies" --tls-cert "$work/pki/server.crt" --tls-key "$work/pki/server.key" \
  --address 127.0.0.1 --port "$wh_port" --health-port "$health_port" --kubeconfig "$work/kubeconfig" \
  >"$work/clausegate.log" 2>&1 &
serve_pid=$!; pids+=($serve_pid)
wait_for 30 curl -fsS "http://127.0.0.1:$health_port/readyz"; st=$?; expect "clausegate serve is ready" $st "$work/clausegate.log"; abort_unless $st
grep -q 'url: https://127.0.0.1' "$work/webhook.yaml" && grep -q 'failurePolicy: Fail' "$work/webhook.yaml"
expect "rendered webhook calls loopback, failurePolicy Fail" $? "$work/webhook.yaml"
# What already runs when the webhook arrives: judged later by `clausegate audit`.
python3 "$here/audit_parity.py" create "$bin" "$work" "$root" >"$work/out" 2>&1
expect "$(tail -1 "$work/out")" $? "$work/out"
k apply -f "$work/webhook.yaml" >"$work/out" 2>&1; st=$?; expect "webhook configuration applied" $st "$work/out"; abort_unless $st
webhook_name=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$work/webhook.yaml")
k apply -f "$here/manifests/namespaces.yaml" >"$work/out" 2>&1; expect "labelled namespaces admitted" $? "$work/out"
# The API server needs a moment to see a new webhook configuration.
wait_for 20 sh -c "! kubectl apply --dry-run=server -n e2e-dev -f '$here/manifests/privileged-pod.yaml'"

# --- admission through the API server ---------------------------------------------------
part "admission through kubectl"
k create -n e2e-dev -f "$here/manifests/compliant-pod.yaml" >"$work/out" 2>&1
expect "a compliant Pod is created" $? "$work/out"
k create -n e2e-dev -f "$here/manifests/privileged-pod.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'pss-privileged/no-privileged-containers' "$work/out" && grep -q 'ISO/IEC 27017 CLD.9.5.2' "$work/out" &&
  grep -q 'spec.containers\[0\].securityContext.privileged' "$work/out"
expect "a privileged Pod is denied with the clause ids" $? "$work/out"
k create -n e2e-dev -f "$here/manifests/privileged-deployment.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'Deployment e2e-dev/privileged-web denied' "$work/out" &&
  grep -q 'spec.template.spec.containers\[0\].securityContext.privileged' "$work/out"
expect "a Deployment whose template is privileged is denied" $? "$work/out"
k create -n e2e-dev -f "$here/manifests/warn-pod.yaml" >"$work/out" 2>&1
[ $? = 0 ] && grep -q '^Warning: automount-service-account-token/token-automount-explicit' "$work/out"
expect "a Warn policy shows as a kubectl Warning" $? "$work/out"

# Production: UPDATE without a ticket denied, with a new ticket admitted and audited.
k create -n e2e-prod -f "$here/manifests/configmap-ticket-1.yaml" >"$work/out" 2>&1
expect "production ConfigMap with a ticket is created" $? "$work/out"
k replace -n e2e-prod -f "$here/manifests/configmap-no-ticket.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'require-change-ticket/ticket-present' "$work/out"
expect "production UPDATE without a change ticket is denied" $? "$work/out"
k replace -n e2e-prod -f "$here/manifests/configmap-ticket-2.yaml" >"$work/out" 2>&1
expect "production UPDATE with a ticket is admitted" $? "$work/out"
wait_for 10 grep -q '"validate.clausegate.io/require-change-ticket.ticket":"CHG-2"' "$work/audit.log"
expect "the ticket is an audit annotation in the API server's audit log" $?

# Namespace labels reach namespaceSelector through the watch-backed cache.
k apply --dry-run=server -n e2e-flip -f "$here/manifests/undigested-pod.yaml" >"$work/out" 2>&1
expect "undigested image admitted in a development namespace" $? "$work/out"
k label namespace e2e-flip clausegate.io/environment=production --overwrite >/dev/null
wait_for 15 sh -c "kubectl apply --dry-run=server -n e2e-flip -f '$here/manifests/undigested-pod.yaml' 2>&1 | grep -q require-image-digest-in-production/image-digest"
expect "after labelling the namespace production, the same Pod is denied" $?

# --dry-run=server is evaluated and has no side effects.
sed 's/name: compliant$/name: dry/' "$here/manifests/compliant-pod.yaml" >"$work/dry.yaml"
k apply --dry-run=server -n e2e-dev -f "$work/dry.yaml" >"$work/out" 2>&1
[ $? = 0 ] && grep -q 'server dry run' "$work/out" && ! k get pod -n e2e-dev dry >/dev/null 2>&1
expect "dry-run=server is admitted and creates nothing" $? "$work/out"
k apply --dry-run=server -n e2e-dev -f "$here/manifests/privileged-pod.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'pss-privileged' "$work/out"; expect "dry-run=server is evaluated" $? "$work/out"
grep -q '"dryRun":true' "$work/clausegate.log"
expect "the decision log marks dry runs" $? "$work/clausegate.log"

# --- CLI and webhook give the same verdicts ---------------------------------------------
part "CLI-webhook parity"
python3 "$here/parity.py" "$bin" "$work" "$root" >"$work/parity.out" 2>&1
expect "clausegate check and the API server agree on every object" $? "$work/parity.out"
tail -1 "$work/parity.out"

# --- the chart against the real API server ----------------------------------------------
part "audit: the objects that were there before the webhook"
python3 "$here/audit_parity.py" compare "$bin" "$work" "$root" >"$work/out" 2>&1; st=$?
expect "$(grep -m1 '^audit:' "$work/out")" $st "$work/out"
grep -q '^fixed .* -> \[\]' "$work/out"; st=$?
expect "$(grep -m1 '^fixed' "$work/out" || echo 'a fixed object leaves the audit')" $st "$work/out"

part "policies and exceptions as resources"
python3 "$here/policy_resources.py" "$bin" "$work" "$root" "$health_port" >"$work/out" 2>&1; st=$?
sed -n 's/^\(ok\|FAIL\)  */     /p' "$work/out"
expect "$(tail -1 "$work/out")" $st "$work/out"

part "chart: lint, template, dry-run apply"
# The published definitions (cert-manager, the Prometheus operator): the dry-run below checks
# the chart's Certificate, Issuer and ServiceMonitor against their real schemas.
crds=$(bash "$here/crds.sh" 2>"$work/out"); expect "cert-manager and ServiceMonitor CRDs (Go module proxy, cached)" $? "$work/out"
k apply --server-side -f "$crds" >"$work/out" 2>&1; expect "the CRDs are installed" $? "$work/out"
wait_for 30 k get crd certificates.cert-manager.io servicemonitors.monitoring.coreos.com issuers.cert-manager.io \
  policyreports.wgpolicyk8s.io

# A namespace of 5,000 violating Pods: its PolicyReport keeps 500 results (violations before passes)
# with the complete summary, and the API server accepts it.
python3 - "$work/many-pods.yaml" <<'PY'
import sys, yaml
pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d" % i, "namespace": "e2e-dev"},
         "spec": {"containers": [{"name": "app", "image": "nginx:latest", "securityContext": {"privileged": True}}]}}
        for i in range(5000)]
yaml.safe_dump_all(pods, open(sys.argv[1], "w"))
PY
"$bin" check -p "$work/policies" -f "$work/many-pods.yaml" -o policyreport >"$work/many-reports.yaml" 2>"$work/out"
"$bin" check -p "$work/policies" -f "$work/many-pods.yaml" -o json >"$work/many.json" 2>>"$work/out"
k apply --server-side -f "$work/many-reports.yaml" >>"$work/out" 2>&1; st=$?
k get policyreport -n e2e-dev clausegate-e2e-dev -o json >"$work/many-stored.json" 2>>"$work/out" || st=1
python3 - "$work/many.json" "$work/many-stored.json" >>"$work/out" 2>&1 <<'PY' || st=1
import json, sys
verdicts = [v for r in json.load(open(sys.argv[1]))["results"] for v in r["verdicts"]]
report = json.load(open(sys.argv[2]))
fails = sum(1 for v in verdicts if v["verdict"] == "DENY")
kept, size = report["results"], len(json.dumps(report))
omitted = int(report["metadata"]["annotations"]["clausegate.io/results-omitted"])
print("stored: %d results of %d, summary fail %d (check: %d), %d bytes" % (len(kept), len(verdicts), report["summary"]["fail"], fails, size))
assert report["summary"]["fail"] == fails and sum(report["summary"].values()) == len(verdicts)
assert len(kept) == 500 and omitted == len(verdicts) - 500 and all(r["result"] != "pass" for r in kept)
assert size < 1024 * 1024
PY
expect "5,000 violating Pods: $(grep -m1 '^stored' "$work/out"), accepted by the API server" $st "$work/out"
k delete policyreport -n e2e-dev clausegate-e2e-dev >/dev/null 2>&1

part "background audit: two replicas, one Lease, PolicyReports"
python3 "$here/background_audit.py" "$bin" "$work" "$root" "$release_ns" >"$work/out" 2>&1; st=$?
sed -n 's/^\(ok\|FAIL\)  */     /p' "$work/out"
expect "$(tail -1 "$work/out")" $st "$work/out"
for values in default all-options secret; do
  args=()
  case $values in
    all-options) args=(-f "$here/values-all-options.yaml") ;;
    secret) args=(--set tls.mode=secret --set tls.existingSecret=my-tls --set-file tls.caBundle="$work/pki/ca.crt") ;;
  esac
  "$HELM" lint "$root/charts/clausegate" "${args[@]}" >"$work/out" 2>&1; expect "helm lint ($values)" $? "$work/out"
  "$HELM" template cg "$root/charts/clausegate" -n "$release_ns" "${args[@]}" >"$work/rendered-$values.yaml" 2>"$work/out"
  expect "helm template ($values)" $? "$work/out"
  k apply --dry-run=server -n "$release_ns" -f "$work/rendered-$values.yaml" >"$work/out" 2>&1
  expect "every rendered object accepted by the API server ($values)" $? "$work/out"
done
# The schema refuses an audit interval serve would refuse at start (under a second; "0s",
# which the chart would read as on): the install fails, not the Pod.
for interval in 500ms 0.5s 999ms 0s; do
  "$HELM" template cg "$root/charts/clausegate" --set audit.interval="$interval" >"$work/out" 2>&1; st=$?
  [ "$st" != 0 ] && grep -q "/audit/interval" "$work/out"; expect "the chart refuses audit.interval=$interval" $? "$work/out"
done
for interval in 0 1s 1.5s 90s 1m30s 2h; do
  "$HELM" template cg "$root/charts/clausegate" --set audit.interval="$interval" >/dev/null 2>"$work/out"
  expect "the chart takes audit.interval=$interval" $? "$work/out"
done
# The rollout never leaves admission without an endpoint: one replica surges whatever the
# anti-affinity; several with hard anti-affinity (one per node) replace one at a time.
for case in "1 soft 0 1" "1 hard 0 1" "2 soft 0 1" "3 hard 1 0"; do
  read -r n aa unavailable surge <<<"$case"
  "$HELM" template cg "$root/charts/clausegate" -n "$release_ns" --set replicaCount="$n" --set podAntiAffinity="$aa" \
    >"$work/strategy.yaml" 2>"$work/out"
  python3 - "$work/strategy.yaml" "$unavailable" "$surge" >>"$work/out" 2>&1 <<'PY'
import sys, yaml
dep = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment")
ru = dep["spec"]["strategy"]["rollingUpdate"]
print(ru)
sys.exit(0 if ru == {"maxUnavailable": int(sys.argv[2]), "maxSurge": int(sys.argv[3])} else 1)
PY
  expect "rollout with $n replica(s), $aa anti-affinity: maxUnavailable $unavailable, maxSurge $surge" $? "$work/out"
done
# The Deployment's arguments start the binary (paths mapped from the Pod's mounts).
chart_port=$(free_port); chart_health=$(free_port)
python3 - "$work/rendered-default.yaml" "$work" "$chart_port" "$chart_health" >"$work/chart-args" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment")
work, port, health = sys.argv[2], sys.argv[3], sys.argv[4]
for a in dep["spec"]["template"]["spec"]["containers"][0]["args"]:
    a = a.replace("/etc/clausegate/tls/tls.crt", f"{work}/pki/server.crt").replace("/etc/clausegate/tls/tls.key", f"{work}/pki/server.key")
    a = a.replace("/etc/clausegate/policies", f"{work}/policies")
    a = a.replace("--port=8443", f"--port={port}").replace("--health-port=8080", f"--health-port={health}")
    print(a)
PY
mapfile -t chart_args <"$work/chart-args"
"$bin" "${chart_args[@]}" --address 127.0.0.1 --kubeconfig "$work/kubeconfig" >"$work/chart-serve.log" 2>&1 &
chart_pid=$!; pids+=($chart_pid)
wait_for 20 curl -fsS "http://127.0.0.1:$chart_health/readyz"; st=$?
[ "$st" = 0 ] && [ "${chart_args[0]}" = serve ]; expect "the chart's container arguments start clausegate serve" $? "$work/chart-serve.log"
# SIGTERM with the chart's shutdown delay: not ready at once, still answering reviews.
kill -TERM "$chart_pid" 2>/dev/null; sleep 0.5
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$chart_health/readyz")
answered=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/pki/ca.crt" -H 'Content-Type: application/json' \
  --data @"$root/examples/admission-review.json" "https://localhost:$chart_port/validate")
wait "$chart_pid"; st=$?
[ "$ready" = 503 ] && [ "$answered" = 200 ] && [ "$st" = 0 ]
expect "after SIGTERM: not ready, still serving, then exits 0 (ready $ready, review $answered, exit $st)" $? "$work/chart-serve.log"

# A real install and upgrade (no Pods run here, and the webhook of this release is set
# to Ignore): the generated CA survives the upgrade and is the webhook's caBundle.
"$HELM" install cg2 "$root/charts/clausegate" -n "$release_ns" --set webhook.failurePolicy=Ignore \
  --set webhook.removeOnUninstall=false >"$work/out" 2>&1
[ $? = 0 ] && grep -q 'Webhook configuration: cg2-clausegate-clausegate' "$work/out"; expect "helm install (NOTES rendered)" $? "$work/out"
ca_before=$(k get secret -n "$release_ns" cg2-clausegate-tls -o jsonpath='{.data.ca\.crt}')
"$HELM" upgrade cg2 "$root/charts/clausegate" -n "$release_ns" --set webhook.failurePolicy=Ignore \
  --set webhook.removeOnUninstall=false --set replicaCount=3 >"$work/out" 2>&1; expect "helm upgrade" $? "$work/out"
ca_after=$(k get secret -n "$release_ns" cg2-clausegate-tls -o jsonpath='{.data.ca\.crt}')
bundle=$(k get validatingwebhookconfiguration cg2-clausegate-clausegate -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
[ -n "$ca_before" ] && [ "$ca_before" = "$ca_after" ] && [ "$bundle" = "$ca_after" ]
expect "the self-signed CA is stable across helm upgrade and is the caBundle" $?
# A rotation: a new CA and certificate, the previous CA still in the bundle (Pods present the
# previous certificate until the kubelet's next sync), and stable again after.
tls_state() {
  k get secret -n "$release_ns" cg2-clausegate-tls -o json >"$work/tls-$1.json" &&
    k get validatingwebhookconfiguration cg2-clausegate-clausegate -o json >"$work/webhook-$1.json"
}
cg2_upgrade() {
  "$HELM" upgrade cg2 "$root/charts/clausegate" -n "$release_ns" --set webhook.failurePolicy=Ignore \
    --set webhook.removeOnUninstall=false "$@" >"$work/out" 2>&1
}
tls_state before && cg2_upgrade --set tls.selfSigned.rotation=2026-12 && tls_state rotated &&
  cg2_upgrade --set tls.selfSigned.rotation=2026-12 --set replicaCount=2 && tls_state after
expect "helm upgrade with tls.selfSigned.rotation, twice" $? "$work/out"
python3 - "$work" >"$work/out" 2>&1 <<'PY'
import base64, json, subprocess, sys
work = sys.argv[1]
def state(name):
    secret = json.load(open(f"{work}/tls-{name}.json"))
    webhook = json.load(open(f"{work}/webhook-{name}.json"))
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    return data, base64.b64decode(webhook["webhooks"][0]["clientConfig"]["caBundle"]).decode()
def verifies(ca, crt):
    open(f"{work}/v-ca.pem", "w").write(ca); open(f"{work}/v-crt.pem", "w").write(crt)
    return subprocess.run(["openssl", "verify", "-CAfile", f"{work}/v-ca.pem", f"{work}/v-crt.pem"],
                          capture_output=True).returncode == 0
before, bundle_before = state("before")
rotated, bundle_rotated = state("rotated")
after, bundle_after = state("after")
checks = {
    "a new CA": rotated["ca.crt"] != before["ca.crt"],
    "a new certificate and key": rotated["tls.crt"] != before["tls.crt"] and rotated["tls.key"] != before["tls.key"],
    "the new certificate is signed by the new CA": verifies(rotated["ca.crt"], rotated["tls.crt"]),
    "the previous CA is kept in the Secret": rotated.get("previous-ca.crt") == before["ca.crt"],
    "the bundle trusts the new and the previous certificate": bundle_rotated.count("BEGIN CERTIFICATE") == 2
        and verifies(bundle_rotated, rotated["tls.crt"]) and verifies(bundle_rotated, before["tls.crt"]),
    "the same rotation value changes nothing": after == rotated and bundle_after == bundle_rotated,
}
for name, good in checks.items():
    print(("ok   " if good else "FAIL ") + name)
sys.exit(0 if all(checks.values()) else 1)
PY
expect "tls.selfSigned.rotation: new CA and certificate, the previous CA trusted until the next rotation" $? "$work/out"
"$HELM" uninstall cg2 -n "$release_ns" >"$work/out" 2>&1
[ $? = 0 ] && ! k get validatingwebhookconfiguration cg2-clausegate-clausegate >/dev/null 2>&1
expect "helm uninstall leaves no webhook configuration" $? "$work/out"
"$bin" check -p "$root/policies" -l clausegate.io/pod-security-restricted=true -f "$work/rendered-default.yaml" >"$work/out" 2>&1
expect "the chart's own workloads meet the restricted Pod Security Standard" $? "$work/out"

# --- failurePolicy with the webhook process stopped -------------------------------------
part "failurePolicy with the webhook down"
t0=$(date +%s.%N); kill -TERM "$serve_pid"; wait "$serve_pid"; st=$?
python3 -c 'import sys; print(f"     serve exited {sys.argv[1]} {float(sys.argv[3]) - float(sys.argv[2]):.1f} s after SIGTERM")' "$st" "$t0" "$(date +%s.%N)"
expect "SIGTERM: serve drains and exits 0" $st "$work/clausegate.log"
sed 's/name: compliant$/name: while-down/' "$here/manifests/compliant-pod.yaml" >"$work/down.yaml"
k create -n e2e-dev -f "$work/down.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'failed calling webhook' "$work/out"; expect "failurePolicy Fail: requests fail while the webhook is down" $? "$work/out"
k patch validatingwebhookconfiguration "$webhook_name" --type=json \
  -p '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]' >/dev/null
wait_for 15 k create -n e2e-dev -f "$work/down.yaml"
expect "failurePolicy Ignore: requests are admitted while the webhook is down" $?

# --- uninstall removes the webhook first ------------------------------------------------
part "remove-webhook (uninstall hook)"
"$bin" remove-webhook "$webhook_name" --kubeconfig "$work/kubeconfig" >"$work/out" 2>&1
[ $? = 0 ] && ! k get validatingwebhookconfiguration "$webhook_name" >/dev/null 2>&1
expect "remove-webhook deletes the configuration" $? "$work/out"
"$bin" remove-webhook "$webhook_name" --kubeconfig "$work/kubeconfig" >"$work/out" 2>&1
expect "remove-webhook on a removed configuration succeeds" $? "$work/out"
grep -q "helm.sh/hook: pre-delete" "$work/rendered-default.yaml" && grep -q 'remove-webhook' "$work/rendered-default.yaml"
expect "the chart runs it as a pre-delete hook" $?

# --- the library as resources (no webhook is registered any more) ----------------------
part "chart: the library as CompliancePolicy resources"
# The CRDs come with the chart (crds/): removed first, so that the install must bring them.
k delete crd compliancepolicies.clausegate.io compliancepolicyexceptions.clausegate.io >"$work/out" 2>&1
resources_values=(--set policies.source=resources --set policies.action=Audit --set webhook.failurePolicy=Ignore
  --set webhook.removeOnUninstall=false)
expected=$("$HELM" template cg3 "$root/charts/clausegate" -n "$release_ns" "${resources_values[@]}" 2>/dev/null |
  grep -c '^kind: CompliancePolicy$')
"$HELM" install cg3 "$root/charts/clausegate" -n "$release_ns" "${resources_values[@]}" >"$work/out" 2>&1
expect "helm install with policies.source=resources" $? "$work/out"
got=$(k get cpol -l app.kubernetes.io/instance=cg3 -o name 2>"$work/out" | wc -l)
[ "$got" = "$expected" ] && [ "$got" -gt 20 ]
expect "the chart installed the CRDs and the $got shipped policies as resources (rendered: $expected)" $? "$work/out"
actions=$(k get cpol -l app.kubernetes.io/instance=cg3 \
  -o jsonpath='{range .items[*]}{.spec.action}{"\n"}{range .spec.validations[*]}{.action}{"\n"}{end}{end}' | sed '/^$/d' | sort -u)
[ "$actions" = Audit ]; expect "policies.action=Audit: every shipped policy and rule audits (${actions//$'\n'/,})" $?
"$HELM" uninstall cg3 -n "$release_ns" >"$work/out" 2>&1; st=$?
[ "$st" = 0 ] && ! k get validatingwebhookconfiguration cg3-clausegate-clausegate >/dev/null 2>&1 &&
  k get crd compliancepolicies.clausegate.io compliancepolicyexceptions.clausegate.io >>"$work/out" 2>&1 &&
  [ "$(k get cpol -l app.kubernetes.io/instance=cg3 -o name | wc -l)" = 0 ]
expect "helm uninstall: no webhook left, the CRDs stay (as Helm keeps crds/), the release's policies are gone" $? "$work/out"

summary e2e
