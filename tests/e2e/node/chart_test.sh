#!/usr/bin/env bash
# The chart on a running node: the image built from the repository's Dockerfile,
# installed with helm under the chart's security context, reached by the API server
# through its Service, on a single-node cluster made by cluster.sh. Prints how long
# each part took.
#
#   tests/e2e/node/chart_test.sh        (make e2e runs it after tests/e2e/run.sh)
set -uo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/tests/e2e
node=$here/node
work=$(mktemp -d /tmp/clausegate-node.XXXXXX)
cluster=$work/cluster
. "$here/lib.sh"

cert_manager=""
cleanup() {
  [ -n "$cert_manager" ] && kill "$cert_manager" 2>/dev/null
  bash "$node/cluster.sh" down "$cluster" >"$work/down.log" 2>&1
  if [ "$fails" = 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "e2e node: logs kept in $work"; fi
}
trap cleanup EXIT

release_ns=clausegate-system
release=cg
in_ns() { nsenter --net="/var/run/netns/$NETNS" -- "$@"; }
k() { in_ns "$KUBECTL" --kubeconfig "$KUBECONFIG" --request-timeout=30s "$@"; }
h() { in_ns "$HELM" --kubeconfig "$KUBECONFIG" "$@"; }

# --- what a machine without the means is told ------------------------------------------------
part "preflight: without root"
setpriv --reuid=65534 --regid=65534 --clear-groups bash "$node/cluster.sh" up "$work/unprivileged" >"$work/out" 2>&1; st=$?
[ "$st" = 2 ] && grep -q 'missing:' "$work/out" && grep -q 'root (the node creates network namespaces' "$work/out"
expect "cluster.sh up as an unprivileged user names what is missing and fails" $? "$work/out"

# --- the node -------------------------------------------------------------------------------
part "node: control plane, containerd, kubelet"
bash "$node/cluster.sh" up "$cluster" >"$work/up.log" 2>&1; st=$?
expect "a single-node cluster, its node Ready" $st "$work/up.log"; abort_unless $st
. "$cluster/cluster.env"
tail -1 "$work/up.log"

part "image: podman build of the Dockerfile"
bash "$node/image.sh" "$work/clausegate.tar" >"$work/image.log" 2>&1; st=$?
expect "the Dockerfile builds on the local bases" $st "$work/image.log"; abort_unless $st
bash "$node/cluster.sh" import "$cluster" "$work/clausegate.tar" >"$work/out" 2>&1; st=$?
expect "the image is imported into the node's containerd" $st "$work/out"; abort_unless $st

# --- install ----------------------------------------------------------------------------------
part "helm install --wait (default values)"
k apply -f "$here/manifests/namespaces.yaml" >"$work/out" 2>&1; expect "namespaces created" $? "$work/out"
k label node "$NODE_NAME" clausegate.io/tenant=acme --overwrite >/dev/null
chart_values=(--set image.repository=localhost/clausegate --set image.tag=e2e --set image.pullPolicy=Never
  --set-json 'policies.params.trusted-registries={"registries":["localhost/clausegate-e2e/"]}')
h install "$release" "$root/charts/clausegate" -n "$release_ns" --create-namespace "${chart_values[@]}" \
  --wait --timeout 180s >"$work/out" 2>&1; st=$?
[ "$st" = 0 ] || k get pods -n "$release_ns" -o wide >>"$work/out" 2>&1
expect "helm install --wait" $st "$work/out"; abort_unless $st
deploy=$(k get deploy -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[0].metadata.name}')
ready=$(k get deploy -n "$release_ns" "$deploy" -o jsonpath='{.status.readyReplicas}')
[ "$ready" = 2 ]; expect "both replicas Ready ($ready)" $?
k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o json >"$work/pods.json"
python3 - "$work/pods.json" >"$work/out" 2>&1 <<'PY'
import json, sys
pods = json.load(open(sys.argv[1]))["items"]
ok = len(pods) == 2
for p in pods:
    spec, c = p["spec"], p["spec"]["containers"][0]
    sc, psc = c.get("securityContext", {}), spec.get("securityContext", {})
    checks = {
        "running": p["status"]["phase"] == "Running",
        "non-root": psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 65532,
        "read-only root": sc.get("readOnlyRootFilesystem") is True,
        "no privilege escalation": sc.get("allowPrivilegeEscalation") is False,
        "all capabilities dropped": sc.get("capabilities", {}).get("drop") == ["ALL"],
        "image never pulled": c["image"] == "localhost/clausegate:e2e" and c["imagePullPolicy"] == "Never",
    }
    for name, good in checks.items():
        print(("ok   " if good else "FAIL ") + p["metadata"]["name"] + ": " + name)
        ok = ok and good
sys.exit(0 if ok else 1)
PY
expect "the Pods run under the chart's restricted security context" $? "$work/out"
# The processes themselves, found by the run's cgroup root: the numeric user, no shell to exec.
uids="" shells=""
for pid in $(pgrep -f 'clausegate serve'); do
  grep -q "$CGROUP_ROOT" "/proc/$pid/cgroup" 2>/dev/null || continue
  uids+="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status") "
  for sh in bin/sh bin/bash usr/bin/sh busybox; do [ -e "/proc/$pid/root/$sh" ] && shells+="$sh "; done
done
[ "$uids" = "65532 65532 " ] && [ -z "$shells" ]
expect "both webhook processes run as uid 65532 ($uids) with no shell in the image (${shells:-none})" $?
webhook=$(k get validatingwebhookconfiguration -l app.kubernetes.io/instance=$release -o jsonpath='{.items[0].metadata.name}')
svc=$(k get validatingwebhookconfiguration "$webhook" -o jsonpath='{.webhooks[0].clientConfig.service.name}')
url=$(k get validatingwebhookconfiguration "$webhook" -o jsonpath='{.webhooks[0].clientConfig.url}')
[ -n "$svc" ] && [ -z "$url" ]; expect "the webhook is called through the Service ($svc)" $?

# --- the background audit in the Pods ----------------------------------------------------------
part "background audit: one Pod holds the Lease and writes PolicyReports"
sa=$(k get deploy -n "$release_ns" "$deploy" -o jsonpath='{.spec.template.spec.serviceAccountName}')
as_sa=(--as "system:serviceaccount:$release_ns:$sa")
crd_release() { k get crd "$1" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/instance}' 2>/dev/null; }
[ "$(crd_release policyreports.wgpolicyk8s.io)" = "$release" ] && [ "$(crd_release clusterpolicyreports.wgpolicyk8s.io)" = "$release" ]
expect "the chart installed the PolicyReport CRDs (none were there)" $?
holder() { k get lease -n "$release_ns" "$deploy-audit" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
lease_held() { [ -n "$(holder)" ]; }
wait_for 60 lease_held
leader=$(holder); pods=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[*].metadata.name}')
[[ " $pods " == *" $leader "* ]]; expect "a webhook Pod holds the audit Lease ($leader)" $?
reports() { k get policyreports,clusterpolicyreports -A -l app.kubernetes.io/managed-by=clausegate -o name 2>/dev/null | grep -c .; }
written() { [ "$(reports)" -gt 0 ]; }
wait_for 90 written; expect "the holder wrote PolicyReports ($(reports) reports)" $?
k get policyreport -n "$release_ns" "clausegate-$release_ns" -o json >"$work/report.json" 2>"$work/out"
python3 - "$work/report.json" "$deploy" >>"$work/out" 2>&1 <<'PY'
import json, sys
r, deploy = json.load(open(sys.argv[1])), sys.argv[2]
kinds = {x["resources"][0]["kind"] for x in r["results"] if x["resources"][0]["name"].startswith(deploy)}
print(r["summary"], len(r["results"]), sorted(kinds))
sys.exit(0 if {"Deployment", "ReplicaSet", "Pod"} <= kinds and
         all(x["properties"].get("controls") for x in r["results"] if x["policy"] != "clausegate-input") else 1)
PY
expect "the webhook's own Deployment, ReplicaSet and Pods are in its namespace's report, with clause ids" $? "$work/out"
leading="" audited=""
for p in $pods; do
  ip=$(k get pod -n "$release_ns" "$p" -o jsonpath='{.status.podIP}')
  m=$(in_ns curl -s "http://$ip:8080/metrics")
  leading+="$(awk '$1 == "clausegate_audit_leader" {print $2}' <<<"$m") "
  audited+="$(awk '$1 == "clausegate_audit_runs_total{result=\"success\"}" {print ($2 > 0)}' <<<"$m") "
done
[ "$(tr ' ' '\n' <<<"$leading" | grep -c '^1$')" = 1 ] && [ "$(tr ' ' '\n' <<<"$audited" | grep -c '^1$')" = 1 ]
expect "exactly one Pod leads and audits (leader: $leading; audited: $audited)" $?
# RBAC: what the audit needs and nothing more.
can() { k auth can-i "${as_sa[@]}" "$@" 2>/dev/null; }
[ "$(can list pods)" = yes ] && [ "$(can list deployments.apps)" = yes ] && [ "$(can patch policyreports.wgpolicyk8s.io -n e2e-dev)" = yes ] &&
  [ "$(can update "leases/$deploy-audit" -n "$release_ns")" = yes ]
expect "the service account lists what the policies match, writes reports, renews its Lease" $?
[ "$(can get pods)" = no ] && [ "$(can list secrets)" = no ] && [ "$(can delete pods)" = no ] &&
  [ "$(can update leases/other -n "$release_ns")" = no ] && [ "$(can update policyreports.wgpolicyk8s.io -n e2e-dev)" = no ]
expect "and nothing more (no get, no Secrets, no deletes, no other Lease)" $?
[ "$(can watch compliancepolicies.clausegate.io)" = yes ] && [ "$(can list compliancepolicyexceptions.clausegate.io -A)" = yes ] &&
  [ "$(can patch compliancepolicies.clausegate.io --subresource=status)" = yes ] &&
  [ "$(can patch compliancepolicyexceptions.clausegate.io --subresource=status -n e2e-dev)" = yes ] &&
  [ "$(can update compliancepolicies.clausegate.io)" = no ] && [ "$(can delete compliancepolicyexceptions.clausegate.io -n e2e-dev)" = no ] &&
  [ "$(can create compliancepolicyexceptions.clausegate.io -n "$release_ns")" = no ]
expect "policy resources: it watches both kinds and writes their status, never their spec" $?
[ "$(k get crd compliancepolicies.clausegate.io -o jsonpath='{.spec.names.shortNames[0]}')" = cpol ] &&
  [ "$(k get crd compliancepolicyexceptions.clausegate.io -o jsonpath='{.spec.scope}')" = Namespaced ]
expect "the chart installed the CRDs (cpol cluster-scoped, cpolex namespaced)" $?

# --- admission through the Service -----------------------------------------------------------
part "admission: kubectl through the API server and the Service"
k create -n e2e-dev -f "$here/manifests/privileged-pod.yaml" >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'pss-privileged/no-privileged-containers' "$work/out" && grep -q 'ISO/IEC 27017 CLD.9.5.2' "$work/out"
expect "a privileged Pod is denied with the clause ids" $? "$work/out"
k create -n e2e-dev -f "$here/manifests/compliant-deployment.yaml" >"$work/out" 2>&1
expect "a compliant Deployment is admitted" $? "$work/out"
k rollout status -n e2e-dev deploy/compliant-web --timeout 120s >>"$work/out" 2>&1
expect "its Pods start (rollout complete)" $? "$work/out"
sed 's#registry.k8s.io/pause:3.9#localhost/clausegate-e2e/pause:1#' "$here/manifests/warn-pod.yaml" >"$work/warn.yaml"
k create -n e2e-dev -f "$work/warn.yaml" >"$work/out" 2>&1
[ $? = 0 ] && grep -q '^Warning: automount-service-account-token/token-automount-explicit' "$work/out"
expect "a Warn policy shows as a kubectl Warning" $? "$work/out"
# The namespace cache in a real Pod: labelling a namespace changes the verdict.
sed 's#registry.k8s.io/pause:3.9#localhost/clausegate-e2e/pause:1#' "$here/manifests/undigested-pod.yaml" >"$work/undigested.yaml"
k apply --dry-run=server -n e2e-flip -f "$work/undigested.yaml" >"$work/out" 2>&1
expect "an undigested image is admitted in a development namespace" $? "$work/out"
k label namespace e2e-flip clausegate.io/environment=production --overwrite >/dev/null
flip_denied() {
  k apply --dry-run=server -n e2e-flip -f "$work/undigested.yaml" >"$work/flip.out" 2>&1
  grep -q require-image-digest-in-production/image-digest "$work/flip.out"
}
wait_for 20 flip_denied
expect "after labelling the namespace production, the same Pod is denied" $? "$work/flip.out"

# --- a policy change through helm upgrade ------------------------------------------------------
part "helm upgrade: a policy change, no restart"
pods_before=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate \
  -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].restartCount} {end}')
# The trusted registries no longer include the node's own: the same Deployment is denied
# once the kubelet has swapped the ConfigMap's files and the webhook has reloaded them.
chart_values+=(--set-json 'policies.params.trusted-registries={"registries":["registry.example.com/"]}')
h upgrade "$release" "$root/charts/clausegate" -n "$release_ns" "${chart_values[@]}" --wait --timeout 120s \
  >"$work/out" 2>&1; expect "helm upgrade with other params" $? "$work/out"
sed 's/name: compliant-web$/name: after-upgrade/' "$here/manifests/compliant-deployment.yaml" >"$work/after-upgrade.yaml"
registry_denied() {
  k create --dry-run=server -n e2e-dev -f "$work/after-upgrade.yaml" >"$work/upgrade.out" 2>&1
  grep -q 'trusted-registries/' "$work/upgrade.out"
}
t0=$(date +%s)
wait_for 120 registry_denied; st=$?
expect "the new params are in force after $(( $(date +%s) - t0 )) s" $st "$work/upgrade.out"
pods_after=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate \
  -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].restartCount} {end}')
[ "$pods_before" = "$pods_after" ]; expect "the same Pods, not restarted ($pods_after)" $?

# --- rollouts while a client writes -------------------------------------------------------------
# under_load NAME MAX_WINDOW COMMAND...: COMMAND runs while admission_loop.py creates and
# deletes ConfigMaps (each one reviewed by the webhook). MAX_WINDOW 0: not one request may
# fail; otherwise failures must fall within MAX_WINDOW seconds and admission go on after.
under_load() {
  local name=$1 window=$2; shift 2
  rm -f "$work/stop" "$work/loop.json"
  in_ns python3 "$node/admission_loop.py" "$KUBECONFIG" e2e-dev "$work/stop" "$work/loop.json" &
  local loop=$!
  sleep 2
  "$@" >"$work/load.out" 2>&1; local st=$?
  # Until the replaced Pods have exited (their shutdown delay and drain), and a little more.
  wait_for 90 only_desired_pods
  sleep 2
  touch "$work/stop"; wait "$loop"
  # The client's account first (the details shown on a failure are cut at 30 lines),
  # then what the command printed.
  python3 - "$work/loop.json" "$window" >"$work/loop.out" 2>&1 <<'PY'
import json, sys
r, window = json.load(open(sys.argv[1])), float(sys.argv[2])
w = r["failure_window"]
print("%d requests in %.1f s, %d failed%s" % (r["requests"], r["seconds"], r["failed"],
      " within %.1f s, %d succeeded after" % (w[1] - w[0], r["succeeded_after_last_failure"]) if w else ""))
for f in r["failures"]:
    print("  ", f)
if window == 0:
    ok = r["failed"] == 0
else:
    ok = not w or (w[1] - w[0] <= window and r["succeeded_after_last_failure"] >= 100)
sys.exit(0 if ok and r["requests"] >= 20 else 1)
PY
  local ok=$?
  # What the API server saw of the failed calls, then what the command printed.
  [ "$ok" = 0 ] || grep -i 'failed calling webhook' "$cluster/logs/kube-apiserver.log" 2>/dev/null |
    tail -3 | cut -c1-400 >>"$work/loop.out"
  cat "$work/load.out" >>"$work/loop.out"; mv "$work/loop.out" "$work/load.out"
  [ "$st" = 0 ] && [ "$ok" = 0 ]; local good=$?
  expect "$name: $(grep -m1 'requests in' "$work/load.out")" "$good" "$work/load.out"
}
only_desired_pods() {
  local want have
  want=$(k get deploy -n "$release_ns" "$deploy" -o jsonpath='{.spec.replicas}')
  have=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o name 2>/dev/null | wc -l)
  [ "$have" = "$want" ]
}
restart() {
  k rollout restart -n "$release_ns" deploy/"$deploy" && k rollout status -n "$release_ns" deploy/"$deploy" --timeout 120s
}
part "kubectl rollout restart under load"
under_load "rollout restart, 2 replicas, zero failed requests" 0 restart
k scale -n "$release_ns" deploy/"$deploy" --replicas=1 >/dev/null &&
  k rollout status -n "$release_ns" deploy/"$deploy" --timeout 60s >/dev/null 2>&1
under_load "rollout restart, 1 replica (surge), zero failed requests" 0 restart
k scale -n "$release_ns" deploy/"$deploy" --replicas=2 >/dev/null &&
  k rollout status -n "$release_ns" deploy/"$deploy" --timeout 60s >/dev/null 2>&1

# A node drain. The budget keeps one replica available: with two, one is evicted and the
# other keeps serving; with one, nothing is evicted. On a single node the evicted replica
# cannot be placed elsewhere, so the drain cannot finish: it must stop at the budget, not
# at admission. The node is made schedulable again afterwards.
drain() {
  local want=$1 evicted
  k drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout 25s >"$work/drain.out" 2>&1
  local st=$?
  evicted=$(grep -c "^pod/$deploy-.* evicted" "$work/drain.out")
  cat "$work/drain.out"
  k uncordon "$NODE_NAME" >/dev/null && k rollout status -n "$release_ns" deploy/"$deploy" --timeout 120s || return 1
  echo "drain exit $st, webhook replicas evicted: $evicted"
  [ "$st" != 0 ] && [ "$evicted" = "$want" ] && grep -q "disruption budget" "$work/drain.out"
}
part "node drain under load (PodDisruptionBudget)"
under_load "node drain, 2 replicas: one evicted, zero failed requests" 0 drain 1
h upgrade "$release" "$root/charts/clausegate" -n "$release_ns" "${chart_values[@]}" --set replicaCount=1 \
  --wait --timeout 120s >"$work/out" 2>&1; expect "helm upgrade to one replica (with its budget)" $? "$work/out"
wait_for 90 only_desired_pods  # the replica scaled away has exited (a terminating Pod is evicted freely)
under_load "node drain, 1 replica: the budget holds it, zero failed requests" 0 drain 0
h upgrade "$release" "$root/charts/clausegate" -n "$release_ns" "${chart_values[@]}" \
  --wait --timeout 120s >"$work/out" 2>&1; expect "helm upgrade back to two replicas" $? "$work/out"

# TLS rotation in the chart's self-signed mode: the API server trusts the new CA at once,
# the Pods present the new certificate only after the kubelet's next sync of their Secret.
host=$svc.$release_ns.svc
served() {  # IP [PORT]: the SHA-256 fingerprint of the certificate a Pod presents
  in_ns openssl s_client -connect "$1:${2:-8443}" -servername "$host" </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
rotate() {
  local ips new stale=0 t0
  h upgrade "$release" "$root/charts/clausegate" -n "$release_ns" "${chart_values[@]}" \
    --set tls.selfSigned.rotation=e2e-1 --wait --timeout 120s || return 1
  t0=$(date +%s)
  new=$(k get secret -n "$release_ns" "$release-clausegate-tls" -o jsonpath='{.data.tls\.crt}' | base64 -d |
    openssl x509 -noout -fingerprint -sha256)
  ips=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[*].status.podIP}')
  for ip in $ips; do [ "$(served "$ip")" = "$new" ] || stale=$((stale + 1)); done
  echo "after the upgrade: $stale of $(wc -w <<<"$ips") Pods presented the previous certificate"
  all_new() { local ip; for ip in $ips; do [ "$(served "$ip")" = "$new" ] || return 1; done; }
  wait_for 150 all_new || return 1
  echo "every Pod presents the new certificate $(( $(date +%s) - t0 )) s after the upgrade"
}
part "TLS rotation (self-signed) under load"
under_load "TLS rotation, zero failed requests" 0 rotate
grep -q "every Pod presents the new certificate" "$work/load.out"
expect "$(grep -m1 'Pods presented the previous' "$work/load.out"); $(grep -m1 'every Pod presents' "$work/load.out")" $? "$work/load.out"

# On one node the API server dials endpoint addresses itself: a Pod told to stop must keep
# answering, at its own address, for its shutdown delay, while it reports not ready.
part "a terminating Pod answers during its shutdown delay"
pod=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[0].metadata.name}')
ip=$(k get pod -n "$release_ns" "$pod" -o jsonpath='{.status.podIP}')
k get secret -n "$release_ns" "$release-clausegate-tls" -o jsonpath='{.data.ca\.crt}' | base64 -d >"$work/ca.crt"
k delete pod -n "$release_ns" "$pod" --wait=false >/dev/null
# Once the kubelet has signalled it (its readiness turns 503), within the delay.
stopping() { [ "$(in_ns curl -s -o /dev/null -w '%{http_code}' "http://$ip:8080/readyz")" = 503 ]; }
wait_for 10 stopping
ready=$(in_ns curl -s -o /dev/null -w '%{http_code}' "http://$ip:8080/readyz")
answered=$(in_ns curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" --resolve "$host:8443:$ip" \
  -H 'Content-Type: application/json' --data @"$root/examples/admission-review.json" "https://$host:8443/validate")
[ "$ready" = 503 ] && [ "$answered" = 200 ]
expect "deleted Pod $pod: not ready ($ready), still answering reviews at $ip ($answered)" $?
wait_for 90 only_desired_pods

# A webhook Pod killed outright (no shutdown delay, no drain): until the kubelet reports it
# not ready and its endpoint is dropped, the API server still dials it and, refused, fails
# the request (it retries a reset connection, not a refused one); the other replica
# carries admission from then on.
kill_one() {
  local pod uid pid
  pod=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[0].metadata.name}')
  uid=$(k get pod -n "$release_ns" "$pod" -o jsonpath='{.metadata.uid}')
  # The container's process, found by the Pod's cgroup (its uid, dashes as the kubelet writes them).
  for pid in $(pgrep -f 'clausegate serve'); do
    grep -q "pod${uid}\|pod${uid//-/_}" "/proc/$pid/cgroup" 2>/dev/null && kill -KILL "$pid" && echo "killed $pod (pid $pid)"
  done
  sleep 10
}
part "a webhook Pod killed with SIGKILL under load"
under_load "SIGKILL of one of 2 replicas: failures within 3 s, then the other replica" 3 kill_one

# --- every replica gone -------------------------------------------------------------------------
part "every replica gone: failurePolicy"
k scale -n "$release_ns" deploy/"$deploy" --replicas=0 >/dev/null
no_webhook_pods() { [ -z "$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o name 2>/dev/null)" ]; }
wait_for 60 no_webhook_pods; expect "the webhook's Pods are gone" $?
sed 's/name: compliant-web$/name: while-down/' "$here/manifests/compliant-deployment.yaml" >"$work/down.yaml"
k create -n e2e-dev -f "$work/down.yaml" --dry-run=server >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'failed calling webhook' "$work/out"; expect "failurePolicy Fail: requests fail with no replica" $? "$work/out"
k patch validatingwebhookconfiguration "$webhook" --type=json \
  -p '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]' >/dev/null
ignored() { k create -n e2e-dev -f "$work/down.yaml" --dry-run=server >"$work/out" 2>&1; }
wait_for 20 ignored; expect "failurePolicy Ignore: requests are admitted with no replica" $? "$work/out"

# --- uninstall ----------------------------------------------------------------------------------
part "helm uninstall (pre-delete Job in a Pod)"
h uninstall "$release" -n "$release_ns" --wait --timeout 120s >"$work/out" 2>&1; st=$?
expect "helm uninstall runs its pre-delete hook" $st "$work/out"
! k get validatingwebhookconfiguration "$webhook" >/dev/null 2>&1; expect "no webhook configuration is left" $?
k create -n e2e-dev -f "$here/manifests/privileged-pod.yaml" --dry-run=server >"$work/out" 2>&1
expect "with the release gone, admission no longer calls it" $? "$work/out"
k get crd policyreports.wgpolicyk8s.io >/dev/null 2>&1; expect "the PolicyReport CRDs are kept (other tools' reports may live in them)" $?
k delete crd policyreports.wgpolicyk8s.io clusterpolicyreports.wgpolicyk8s.io >/dev/null 2>&1

# --- every option of the chart, with cert-manager issuing its certificate -------------------------
# values-all-options.yaml as it is, but for what one node here cannot give: the image is the
# local one (no registry, no digest), and replicas that must each have a node of their own
# cannot all run, so the anti-affinity is soft.
part "helm install --wait (all-options values, cert-manager)"
crds=$(bash "$here/crds.sh" 2>"$work/out") && k apply --server-side -f "$crds" >>"$work/out" 2>&1
expect "the cert-manager and ServiceMonitor CRDs as published" $? "$work/out"
cm_bin=$(bash "$here/certmanager/build.sh" --print-path 2>"$work/cert-manager-build.log")
expect "cert-manager's controllers built (Go module proxy, cached)" $? "$work/cert-manager-build.log"
# nsenter itself, not the in_ns function: a function run with & is a subshell, and
# killing that would leave cert-manager running after the test.
nsenter --net="/var/run/netns/$NETNS" -- "$cm_bin" --kubeconfig "$KUBECONFIG" >"$work/cert-manager.log" 2>&1 &
cert_manager=$!
release_ns=clausegate-all release=all deploy=admission
all_values=(-f "$here/values-all-options.yaml" --set image.repository=localhost/clausegate --set image.tag=e2e
  --set image.digest= --set image.pullPolicy=Never --set podAntiAffinity=soft)
h install "$release" "$root/charts/clausegate" -n "$release_ns" --create-namespace "${all_values[@]}" \
  --wait --timeout 240s >"$work/out" 2>&1; st=$?
[ "$st" = 0 ] || { k get pods,certificates,certificaterequests -n "$release_ns" -o wide; tail -20 "$work/cert-manager.log"; } >>"$work/out" 2>&1
expect "helm install --wait of every option" $st "$work/out"
ready=$(k get deploy -n "$release_ns" "$deploy" -o jsonpath='{.status.readyReplicas}')
[ "$ready" = 3 ]; expect "three replicas Ready ($ready)" $?
[ -z "$(crd_release policyreports.wgpolicyk8s.io)" ]
expect "policyReportCRDs false: the published PolicyReport CRDs are left as they are" $?
held_by_pod() { [ -n "$(holder)" ] && k get pod -n "$release_ns" "$(holder)" >/dev/null 2>&1; }
wait_for 60 held_by_pod; expect "a Pod holds this release's audit Lease ($(holder))" $?
wait_for 90 written; expect "PolicyReports are written into the published CRDs ($(reports) reports)" $?
k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o json >"$work/pods.json"
python3 - "$work/pods.json" >"$work/out" 2>&1 <<'PY'
import json, sys
pods = json.load(open(sys.argv[1]))["items"]
ok = len(pods) == 3
for p in pods:
    spec, meta, c = p["spec"], p["metadata"], p["spec"]["containers"][0]
    checks = {
        "service account admission-sa": spec["serviceAccountName"] == "admission-sa",
        "priority class system-cluster-critical": spec.get("priorityClassName") == "system-cluster-critical",
        "resources": c["resources"] == {"requests": {"cpu": "200m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "pod labels and annotations": meta["labels"].get("clausegate.io/tenant") == "platform"
            and meta.get("annotations", {}).get("example.com/scrape") == "true",
        "server arguments": "--threads=8" in c["args"] and "--port=9443" in c["args"],
        "read-only root, non-root": c["securityContext"].get("readOnlyRootFilesystem") is True
            and spec["securityContext"].get("runAsNonRoot") is True,
    }
    for name, good in checks.items():
        print(("ok   " if good else "FAIL ") + meta["name"] + ": " + name)
        ok = ok and good
sys.exit(0 if ok else 1)
PY
expect "the Pods carry the options (service account, priority, resources, labels, arguments)" $? "$work/out"
k get servicemonitor,networkpolicy,poddisruptionbudget -n "$release_ns" -o name >"$work/out" 2>&1
[ "$(grep -c . "$work/out")" = 3 ]; expect "ServiceMonitor, NetworkPolicy and PodDisruptionBudget installed" $? "$work/out"
k wait -n "$release_ns" --for=condition=Ready certificate/admission-ca certificate/admission-serving --timeout 60s >"$work/out" 2>&1
expect "cert-manager issued the chart's CA and serving certificates" $? "$work/out"
webhook=$(k get validatingwebhookconfiguration -l app.kubernetes.io/instance=$release -o jsonpath='{.items[0].metadata.name}')
injected() {
  [ "$(k get validatingwebhookconfiguration "$webhook" -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" = \
    "$(k get secret -n "$release_ns" admission-tls -o jsonpath='{.data.ca\.crt}')" ]
}
wait_for 60 injected; expect "the CA injected into the webhook configuration is the serving Secret's" $?
host=admission.$release_ns.svc
k get secret -n "$release_ns" admission-tls -o jsonpath='{.data.ca\.crt}' | base64 -d >"$work/cm-ca.crt"
ip=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[0].status.podIP}')
answered=$(in_ns curl -s -o /dev/null -w '%{http_code}' --cacert "$work/cm-ca.crt" --resolve "$host:9443:$ip" \
  -H 'Content-Type: application/json' --data @"$root/examples/admission-review.json" "https://$host:9443/validate")
[ "$answered" = 200 ]; expect "a Pod serves cert-manager's certificate, trusted by its CA, for $host ($answered)" $?

part "admission with every option"
k create -n e2e-dev -f "$here/manifests/privileged-pod.yaml" --dry-run=server >"$work/out" 2>&1
[ $? != 0 ] && grep -q 'no-privileged-containers' "$work/out" && grep -q 'ISO/IEC 27017' "$work/out"
expect "a privileged Pod is denied (baseline level) with the clause ids" $? "$work/out"
python3 - "$here/manifests/privileged-pod.yaml" >"$work/skipped.yaml" <<'PY'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
pod["metadata"]["name"] = "skipped"
pod["metadata"].setdefault("labels", {})["clausegate.io/skip"] = "true"
print(yaml.safe_dump(pod))
PY
k create -n e2e-dev -f "$work/skipped.yaml" --dry-run=server >"$work/out" 2>&1
expect "the objectSelector leaves out an object labelled clausegate.io/skip" $? "$work/out"
printf '%s\n' 'apiVersion: v1' 'kind: PersistentVolumeClaim' 'metadata: {name: no-team}' \
  'spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}' >"$work/pvc.yaml"
k create -n e2e-dev -f "$work/pvc.yaml" --dry-run=server >"$work/out" 2>&1
[ $? = 0 ] && grep -q '^Warning: require-team-label/team' "$work/out"
expect "policies.extra: the Warn policy on PersistentVolumeClaims warns" $? "$work/out"

# Renewal by cert-manager under load. failurePolicy is Ignore here, so a failed call would be
# admitted unseen: the API server's count of calls that failed open must not move.
fail_open() {
  k get --raw /metrics 2>/dev/null | awk '/^apiserver_admission_webhook_fail_open_count\{/ && /validate.clausegate.io/ {n += $2} END {print n + 0}'
}
renew() {
  local gen now before ips
  before=$(served "$ip" 9443)
  gen=$(k get certificate -n "$release_ns" admission-serving -o jsonpath='{.metadata.generation}')
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # As `cmctl renew` does: the Issuing condition on the status starts a reissue.
  k patch certificate -n "$release_ns" admission-serving --subresource status --type json -p "[{\"op\": \"add\",
    \"path\": \"/status/conditions/-\", \"value\": {\"type\": \"Issuing\", \"status\": \"True\", \"reason\": \"ManuallyTriggered\",
    \"message\": \"renewal from the e2e test\", \"lastTransitionTime\": \"$now\", \"observedGeneration\": $gen}}]" || return 1
  ips=$(k get pods -n "$release_ns" -l app.kubernetes.io/name=clausegate -o jsonpath='{.items[*].status.podIP}')
  renewed_everywhere() { local i; for i in $ips; do [ "$(served "$i" 9443)" != "$before" ] || return 1; done; }
  wait_for 150 renewed_everywhere || return 1
  echo "every Pod presents the renewed certificate"
}
open_before=$(fail_open)
under_load "cert-manager renewal under load" 0 renew
open_after=$(fail_open)
[ "$open_before" = "$open_after" ] && grep -q "every Pod presents the renewed certificate" "$work/load.out" && injected
expect "renewed on every Pod, same CA in the bundle, no call failed open ($open_before -> $open_after)" $? "$work/load.out"

h uninstall "$release" -n "$release_ns" --wait --timeout 120s >"$work/out" 2>&1; st=$?
[ "$st" = 0 ] && ! k get validatingwebhookconfiguration "$webhook" >/dev/null 2>&1
expect "helm uninstall of every option leaves no webhook configuration" $? "$work/out"
kill "$cert_manager" 2>/dev/null; wait "$cert_manager" 2>/dev/null; cert_manager=""

summary "e2e node"
