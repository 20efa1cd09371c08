#!/usr/bin/env bash
# The webhook over real TLS on ephemeral loopback ports, driven by curl:
# verdicts, every bad request, mTLS, concurrent clients, SIGTERM drain.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
fails=0; passes=0
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; fails=$((fails+1)); fi; }
bash "$root/scripts/dev-certs.sh" "$work/certs"
C="$work/certs"
policies="$root/tests/cli/data/check/policies.yaml"

start() {  # extra serve flags...; sets pid, port, health
  : >"$work/err"  # emptied here: the background shell truncates it only when it gets to run
  "$bin" serve --policies "$policies" --no-cluster --tls-cert "$C/server.crt" --tls-key "$C/server.key" \
    --address 127.0.0.1 --port 0 --health-port 0 --threads 4 --max-body-bytes 65536 "$@" \
    >"$work/log" 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '"msg":"serving".*"policies":' "$work/err" 2>/dev/null && break
    sleep 0.05
  done
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/err" | head -1)
  health=$(sed -n 's/.*"healthPort":\([0-9]*\).*/\1/p' "$work/err" | head -1)
}
stop() { kill -TERM "$pid" 2>/dev/null; wait "$pid"; }
post() {  # body-file [curl args...] -> prints "HTTPCODE BODY"
  local f=$1; shift
  curl -s -o "$work/out" -w '%{http_code}' --cacert "$C/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$f" "$@" "https://localhost:$port/validate"
}
review() {  # op object old dry -> file
  printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-%s","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","name":"web","operation":"%s","userInfo":{"username":"alice"},"object":%s,"oldObject":%s,"dryRun":%s}}' \
    "$RANDOM" "$1" "$2" "$3" "$4" >"$work/review.json"
  echo "$work/review.json"
}
priv='{"metadata":{"name":"web","labels":{"owner":"a"}},"spec":{"containers":[{"name":"app","securityContext":{"privileged":true}}]}}'
plain='{"metadata":{"name":"web","labels":{"owner":"a"}},"spec":{"containers":[{"name":"app"}]}}'
nolabel='{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app"}]}}'

start
[ -n "$port" ] && [ -n "$health" ]; expect started $?
code=$(post "$(review CREATE "$plain" null false)"); [ "$code" = 200 ] && grep -q '"allowed":true' "$work/out"; expect allowed $?
code=$(post "$(review CREATE "$priv" null false)")
[ "$code" = 200 ] && python3 - "$work/out" <<'PY'; expect denied $?
import json, sys
r = json.load(open(sys.argv[1]))
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview"
resp = r["response"]
assert resp["allowed"] is False and resp["status"]["code"] == 403 and resp["status"]["reason"] == "Forbidden"
m = resp["status"]["message"]
assert "no-privileged/no-privileged (ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3)" in m, m
assert resp["uid"].startswith("u-") and "patch" not in resp
PY
code=$(post "$(review CREATE "$nolabel" null false)")
[ "$code" = 200 ] && grep -q '"warnings":\["owner-label/owner: pods need an owner label"\]' "$work/out"; expect warn $?
code=$(post "$(review UPDATE "$plain" "$priv" false)"); [ "$code" = 200 ] && grep -q '"allowed":true' "$work/out"; expect update $?
code=$(post "$(review DELETE null "$priv" false)"); [ "$code" = 200 ] && grep -q '"allowed":true' "$work/out"; expect delete $?
code=$(post "$(review CREATE "$priv" null true)"); [ "$code" = 200 ] && grep -q '"allowed":false' "$work/out"; expect dry-run $?

# The same review replayed by `check` gets the same verdict and message.
cp "$work/review.json" "$work/replay.json"
post "$work/replay.json" >/dev/null
"$bin" check -p "$policies" -f "$work/replay.json" -o json >"$work/check.json" 2>/dev/null
python3 - "$work/out" "$work/check.json" <<'PY'; expect same-verdict-both-ways $?
import json, sys
hook = json.load(open(sys.argv[1]))["response"]
cli = json.load(open(sys.argv[2]))["results"][0]
assert hook["allowed"] == cli["allowed"] is False
assert hook["status"]["message"] == cli["message"], (hook["status"]["message"], cli["message"])
PY

# Bad requests: a status and a one-line reason, and the server keeps serving.
echo 'not json' >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 400 ]; expect not-json $?
echo '{"apiVersion":"v1","kind":"Pod"}' >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 400 ] && grep -q 'not an admission.k8s.io/v1 AdmissionReview' "$work/out"; expect not-review $?
echo '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}' >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 400 ]; expect no-request $?
echo '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}' >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 400 ] && grep -q 'no uid' "$work/out"; expect no-uid $?
python3 -c "print('[' * 1000 + ']' * 1000)" >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 400 ] && grep -q 'nesting too deep' "$work/out"; expect deep $?
python3 -c "print('{\"a\":\"' + 'x' * 100000 + '\"}')" >"$work/bad"; code=$(post "$work/bad"); [ "$code" = 413 ]; expect too-large $?
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" "https://localhost:$port/validate"); [ "$code" = 405 ]; expect wrong-method $?
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -X POST -d '{}' "https://localhost:$port/other"); [ "$code" = 404 ]; expect wrong-path $?
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -X OPTIONS "https://localhost:$port/validate"); [ "$code" = 405 ]; expect options $?
code=$(curl -s -o "$work/out" -w '%{http_code}' --cacert "$C/ca.crt" -H 'Content-Type: application/json; charset=utf-8' \
  --data-binary @"$(review CREATE "$plain" null false)" "https://localhost:$port/validate"); [ "$code" = 200 ]; expect content-type-parameters $?
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -H 'Content-Type: application/jsonx' \
  --data-binary @"$work/review.json" "https://localhost:$port/validate"); [ "$code" = 400 ]; expect content-type-exact $?
code=$(curl -s -o "$work/out" -w '%{http_code}' --cacert "$C/ca.crt" -H 'Content-Type: text/plain' \
  --data-binary @"$(review CREATE "$plain" null false)" "https://localhost:$port/validate")
[ "$code" = 400 ] && grep -q 'Content-Type must be application/json' "$work/out"; expect content-type $?
# Plain HTTP on the TLS port is refused; TLS 1.1 is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$port/validate"); [ "$code" != 200 ]; expect no-plain-http $?
curl -s -o /dev/null --cacert "$C/ca.crt" --tls-max 1.1 "https://localhost:$port/validate" -d '{}'; [ $? != 0 ]; expect no-tls11 $?

# Concurrent clients all get answers.
for i in $(seq 1 40); do review CREATE "$priv" null false >/dev/null; cp "$work/review.json" "$work/r$i.json"; done
seq 1 40 | xargs -P 8 -I{} curl -s -o "$work/o{}" --cacert "$C/ca.crt" -H 'Content-Type: application/json' \
  --data-binary @"$work/r{}.json" "https://localhost:$port/validate"
[ "$(grep -l '"allowed":false' "$work"/o* | wc -l)" = 40 ]; expect concurrent $?

# Health, readiness, metrics; decision logs carry no object contents.
[ "$(curl -s "http://127.0.0.1:$health/healthz")" = ok ]; expect healthz $?
curl -s "http://127.0.0.1:$health/readyz" | grep -q 'ready: policy set generation 1'; expect readyz $?
curl -s "http://127.0.0.1:$health/metrics" >"$work/metrics"
grep -q 'clausegate_reviews_total{verdict="deny",kind="Pod",operation="CREATE"}' "$work/metrics" &&
  grep -q 'clausegate_bad_requests_total{reason="not_json"} 1' "$work/metrics" &&
  grep -q 'clausegate_bad_requests_total{reason="too_deep"} 1' "$work/metrics" &&
  grep -q 'clausegate_review_duration_seconds_bucket{le="0.0001"}' "$work/metrics" &&
  grep -q '^clausegate_policy_generation 1$' "$work/metrics"; expect metrics $?
grep -q '"msg":"decision"' "$work/log" && ! grep -q 'securityContext' "$work/log"; expect logs $?
# A decision line: msg first, the verdict with its rules, each clause once.
python3 - "$work/log" <<'PY'; expect decision-line $?
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"msg":"decision"' in l]
denied = [l for l in lines if l["verdict"] == "deny"]
ok = denied and all(l["rules"] for l in denied) and all(
    list(l)[0] == "msg" and l["uid"] and len(set(l["controls"])) == len(l["controls"])
    and {"kind", "namespace", "name", "operation", "user", "dryRun", "generation", "micros"} <= set(l) for l in lines)
sys.exit(0 if ok else 1)
PY

# SIGTERM drains and exits 0.
kill -TERM "$pid"; wait "$pid"; [ $? = 0 ] && grep -q '"msg":"stopped"' "$work/err"; expect sigterm $?

# SIGTERM with a shutdown delay: not ready, and still answering on a connection kept
# alive from before, but every answer closes its connection (a client that pools by
# the Service's name reconnects, to a replica that stays), then exits 0.
start --shutdown-delay-seconds 3
python3 - "$port" "$health" "$pid" "$C/ca.crt" "$(review CREATE "$plain" null false)" <<'PY'; expect shutdown-delay-closes $?
import http.client, os, signal, ssl, sys, time, urllib.request
port, health, pid, ca, review = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], open(sys.argv[5]).read()
conn = http.client.HTTPSConnection("localhost", port, context=ssl.create_default_context(cafile=ca), timeout=5)
def post():
    conn.request("POST", "/validate", body=review, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.getheader("Connection"), r.read()
status, connection, _ = post()
assert status == 200 and connection != "close", (status, connection)
os.kill(pid, signal.SIGTERM)
def ready():
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d/readyz" % health, timeout=2).status
    except urllib.error.HTTPError as e:
        return e.code
for _ in range(100):
    if ready() == 503:
        break
    time.sleep(0.02)
assert ready() == 503
status, connection, body = post()  # the same connection, opened before the signal
assert status == 200 and b'"allowed":true' in body and connection == "close", (status, connection)
PY
wait "$pid"; [ $? = 0 ] && grep -q '"msg":"shutting down".*"delaySeconds":3' "$work/err" && grep -q '"msg":"stopped"' "$work/err"
expect shutdown-delay-exits $?

# mTLS: a client certificate from the CA is required.
start --client-ca "$C/ca.crt"
code=$(post "$(review CREATE "$plain" null false)" --cert "$C/client.crt" --key "$C/client.key"); [ "$code" = 200 ]; expect mtls-accepted $?
code=$(post "$(review CREATE "$plain" null false)"); [ "$code" != 200 ]; expect mtls-refused $?
# The server names the CAs it accepts (clients pick their certificate by them).
echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost 2>/dev/null |
  grep -A1 'Acceptable client certificate CA names' | grep -q 'CN = clausegate development CA'; expect mtls-ca-names $?
stop

# Hot reload, laid out like a mounted ConfigMap (files behind a ..data symlink):
# good -> bad (rejected, the last good set serves) -> good again.
mkdir -p "$work/cm/..v1"
cp "$policies" "$work/cm/..v1/policies.yaml"
ln -s ..v1 "$work/cm/..data"
ln -s ..data/policies.yaml "$work/cm/policies.yaml"
policies="$work/cm"
start
code=$(post "$(review CREATE "$priv" null false)"); grep -q '"allowed":false' "$work/out"; expect reload-initial $?
swap() {  # new revision directory with the given policy file, swapped in atomically
  mkdir -p "$work/cm/..$1"; cp "$2" "$work/cm/..$1/policies.yaml"
  ln -s "..$1" "$work/cm/..data_tmp"; mv -T "$work/cm/..data_tmp" "$work/cm/..data"
}
swap v2 "$root/tests/cli/data/lint/bad.yaml"
for _ in $(seq 1 600); do curl -s "http://127.0.0.1:$health/readyz" | grep -q 'last reload failed' && break; sleep 0.1; done
curl -s "http://127.0.0.1:$health/readyz" >"$work/ready"
grep -q 'ready: policy set generation 1' "$work/ready" && grep -q 'last reload failed: .*policies.yaml:6:14' "$work/ready"; expect reload-bad-rejected $?
code=$(post "$(review CREATE "$priv" null false)"); grep -q '"allowed":false' "$work/out"; expect reload-last-good-serves $?
curl -s "http://127.0.0.1:$health/metrics" | grep -q '^clausegate_policy_reload_failures_total 1$'; expect reload-failure-metric $?
printf '%s\n' 'apiVersion: clausegate.io/v1alpha1' 'kind: CompliancePolicy' 'metadata: {name: allow-all}' 'spec:' \
  '  match: {resources: [{resources: [pods]}]}' '  validations: [{name: ok, expression: "true"}]' >"$work/allow.yaml"
swap v3 "$work/allow.yaml"
for _ in $(seq 1 600); do curl -s "http://127.0.0.1:$health/readyz" | grep -q 'generation 2' && break; sleep 0.1; done
curl -s "http://127.0.0.1:$health/readyz" | grep -q 'ready: policy set generation 2'; expect reload-good $?
code=$(post "$(review CREATE "$priv" null false)"); grep -q '"allowed":true' "$work/out"; expect reload-new-set-serves $?
stop
policies="$root/tests/cli/data/check/policies.yaml"

# Certificate rotation while a client keeps sending: new handshakes get the new
# certificate, no request fails.
mkdir -p "$work/tls"; cp "$C/server.crt" "$C/server.key" "$work/tls/"
: >"$work/err"
"$bin" serve --policies "$policies" --no-cluster --tls-cert "$work/tls/server.crt" --tls-key "$work/tls/server.key" \
  --address 127.0.0.1 --port 0 --health-port 0 >"$work/log" 2>"$work/err" &
pid=$!
for _ in $(seq 1 600); do grep -q '"msg":"serving".*"policies":' "$work/err" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/err" | head -1)
health=$(sed -n 's/.*"healthPort":\([0-9]*\).*/\1/p' "$work/err" | head -1)
serial() { echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost 2>/dev/null | openssl x509 -noout -serial; }
before=$(serial)
review CREATE "$plain" null false >/dev/null
( ok=0; for _ in $(seq 1 60); do
    c=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -H 'Content-Type: application/json' \
        --data-binary @"$work/review.json" "https://localhost:$port/validate"); [ "$c" = 200 ] && ok=$((ok+1)); sleep 0.05
  done; echo "$ok" >"$work/sent" ) &
client=$!
sleep 0.5
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout "$work/new.key" -out "$work/new.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/new.ext"
openssl x509 -req -in "$work/new.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/new.ext" -out "$work/new.crt" 2>/dev/null
mv "$work/new.key" "$work/tls/server.key"; mv "$work/new.crt" "$work/tls/server.crt"
for _ in $(seq 1 200); do [ "$(serial)" != "$before" ] && break; sleep 0.1; done
wait "$client"
[ "$(serial)" != "$before" ] && [ "$(cat "$work/sent")" = 60 ]; expect tls-rotation $?
curl -s "http://127.0.0.1:$health/metrics" | grep -q 'clausegate_tls_reloads_total{result="ok"} 1'; expect tls-reload-metric $?
stop

# Namespace labels from the API server (a fake one on loopback) drive namespaceSelector.
cat >"$work/fakeapi.py" <<'PY'
import http.server, json, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if not self.path.startswith("/api/v1/namespaces"):
            self.send_response(404); self.end_headers(); return
        if "watch=1" in self.path:
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
            time.sleep(1); return
        body = json.dumps({"kind": "NamespaceList", "metadata": {"resourceVersion": "7"}, "items": [
            {"metadata": {"name": "shop", "labels": {"env": "prod"}}},
            {"metadata": {"name": "dev", "labels": {"env": "dev"}}}]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/fakeapi.py" >"$work/apiport" &
api=$!
for _ in $(seq 1 400); do [ -s "$work/apiport" ] && break; sleep 0.05; done
printf '%s\n' 'apiVersion: clausegate.io/v1alpha1' 'kind: CompliancePolicy' 'metadata: {name: no-dev-pods}' 'spec:' \
  '  controls: ["ISO27002:12.1.4"]' '  match: {resources: [{resources: [pods]}]}' \
  '  validations: [{name: not-dev, message: "no pods in dev namespaces", expression: "namespaceObject == null || namespaceObject.metadata.?labels.?env.orValue(\"\") != \"dev\""}]' \
  >"$work/nsobject.yaml"
: >"$work/err"
"$bin" serve --policies "$policies" --policies "$work/nsobject.yaml" --kube-api "http://127.0.0.1:$(cat "$work/apiport")" --tls-cert "$C/server.crt" \
  --tls-key "$C/server.key" --address 127.0.0.1 --port 0 --health-port 0 >"$work/log" 2>"$work/err" &
pid=$!
for _ in $(seq 1 600); do grep -q '"msg":"serving".*"policies":' "$work/err" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/err" | head -1)
health=$(sed -n 's/.*"healthPort":\([0-9]*\).*/\1/p' "$work/err" | head -1)
for _ in $(seq 1 600); do curl -s "http://127.0.0.1:$health/readyz" | grep -q '^ready' && break; sleep 0.1; done
curl -s "http://127.0.0.1:$health/readyz" | grep -q '^ready: policy set generation 1$'; expect cluster-ready $?
# Writes to other files beside a watched policy file do not reload the set.
grep -q '"msg":"policy set loaded"' "$work/err"; [ $? = 1 ]; expect no-spurious-reloads $?
deploy() {  # namespace -> review file of a Deployment without a change ticket
  printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d-1","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"%s","name":"web","operation":"CREATE","userInfo":{"username":"bob"},"object":{"metadata":{"name":"web"},"spec":{"template":{"metadata":{"labels":{"owner":"x"}},"spec":{"containers":[{"name":"a"}]}}}},"oldObject":null,"dryRun":false}}' "$1" >"$work/deploy.json"
  echo "$work/deploy.json"
}
post "$(deploy shop)" >/dev/null; grep -q 'prod-ticket/ticket' "$work/out" && grep -q '"allowed":false' "$work/out"; expect cluster-prod-namespace $?
post "$(deploy dev)" >/dev/null; grep -q '"allowed":true' "$work/out"; expect cluster-other-namespace $?
# namespaceObject is the Namespace from the cluster.
sed 's/"namespace":"shop"/"namespace":"dev"/' "$(review CREATE "$plain" null false)" >"$work/devpod.json"
post "$work/devpod.json" >/dev/null; grep -q 'no-dev-pods/not-dev' "$work/out" && grep -q '"allowed":false' "$work/out"; expect cluster-namespace-object $?
post "$(review CREATE "$plain" null false)" >/dev/null; grep -q '"allowed":true' "$work/out"; expect cluster-namespace-object-other $?
stop
kill "$api" 2>/dev/null; wait "$api" 2>/dev/null

# --log-level warn keeps decisions out of the log; a bad level is refused.
start --log-level warn
post "$(review CREATE "$priv" null false)" >/dev/null
[ ! -s "$work/log" ] || ! grep -q '"msg":"decision"' "$work/log"; expect log-level $?
stop
"$bin" serve --policies "$policies" --no-cluster --tls-cert "$C/server.crt" --tls-key "$C/server.key" --log-level loud \
  >/dev/null 2>&1; [ $? = 2 ]; expect bad-log-level $?

# A bad policy set is refused at start-up.
"$bin" serve --policies "$root/tests/cli/data/lint/bad.yaml" --no-cluster --tls-cert "$C/server.crt" --tls-key "$C/server.key" \
  --port 0 --health-port -1 >/dev/null 2>"$work/err"; [ $? = 2 ] && grep -q 'bad.yaml:6:14' "$work/err"; expect bad-policies $?

rm -rf "$work"
echo "webhook: $passes passed, $fails failed"
[ "$fails" = 0 ]
