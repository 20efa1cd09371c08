#!/usr/bin/env bash
# Exercises `clausegate check`: inputs, verdicts, formats and exit codes.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
data=$(cd "$(dirname "$0")/data/check" && pwd)
lint=$(cd "$(dirname "$0")/data/lint" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
fails=0; passes=0
out=$(mktemp); err=$(mktemp)
run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(head -c 2000 "$out")"; echo "  stderr: $(cat "$err")"; fails=$((fails+1)); fi; }
P=(-p "$data/policies.yaml")

# helm template output on stdin: Namespace labels apply, List items are checked, warnings do not fail.
rc=$("$bin" check "${P[@]}" -f - <"$data/helm-output.yaml" >"$out" 2>"$err"; echo $?)
[ "$rc" = 0 ] && grep -q 'Pod shop/debug' "$out" && grep -q 'WARN     owner-label/owner \[ISO/IEC 27002 8.1.2\]' "$out" &&
  grep -q '^3 objects checked: 0 denied, 1 warning' "$out"; expect helm-stdin $?
rc=$("$bin" check "${P[@]}" -f - --fail-on warn <"$data/helm-output.yaml" >"$out" 2>"$err"; echo $?)
[ "$rc" = 1 ]; expect fail-on-warn $?

# A denial names the real object, the template path and every clause; exit 1.
rc=$(run check "${P[@]}" -f "$data/privileged.yaml")
[ "$rc" = 1 ] && grep -q 'DaemonSet monitoring/agent' "$out" &&
  grep -q 'DENY     no-privileged/no-privileged \[ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3\]' "$out" &&
  grep -q 'DaemonSet agent: spec.template: containers agent must not set securityContext.privileged=true' "$out"; expect deny $?

# Namespace labels from the command line select the production policy.
rc=$(run check "${P[@]}" -f "$data/deployment-v2.yaml" --namespace-labels shop=env=prod)
[ "$rc" = 0 ]; expect ns-labels-create $?
# UPDATE against the old object: an image change with the same ticket is denied.
rc=$(run check "${P[@]}" -f "$data/deployment-v2.yaml" --operation UPDATE --old "$data/helm-output.yaml" --namespace-labels shop=env=prod)
[ "$rc" = 1 ] && grep -q 'prod-ticket/image-change-needs-new-ticket \[ISO/IEC 27002 12.1.2, 14.2.2\]' "$out"; expect update-old $?

# A captured AdmissionReview is judged as the webhook would judge it.
rc=$(run check "${P[@]}" -f "$data/review.json" -o json)
[ "$rc" = 1 ] && python3 - "$out" <<'PY'; expect review-json $?
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"] == {"objects": 1, "denied": 1, "warnings": 0, "audits": 0, "exceptions": 0, "inputErrors": 0, "inputWarnings": 0}, d["summary"]
r = d["results"][0]
assert r["object"]["kind"] == "Pod" and r["object"]["namespace"] == "default", r["object"]
assert r["allowed"] is False
v = [x for x in r["verdicts"] if x["verdict"] == "DENY"][0]
assert v["policy"] == "no-privileged" and v["rule"] == "no-privileged"
assert [c["id"] for c in v["controls"]] == ["ISO27017:CLD.9.5.2", "ISO27002:9.2.3"]
assert r["message"].startswith("[clausegate] Pod default/web denied by 1 rule:")
PY

# Selectors pick policies.
rc=$(run check "${P[@]}" -l 'pack=segregation' -f "$data/privileged.yaml")
[ "$rc" = 0 ]; expect selector $?

# Exit 2: bad policy, bad manifest, unknown flag, unknown format, missing inputs.
rc=$(run check -p "$lint/bad.yaml" -f "$data/privileged.yaml"); [ "$rc" = 2 ] && grep -q 'bad.yaml:6:14' "$err"; expect bad-policy $?
rc=$(run check "${P[@]}" -f "$data/broken.yaml"); [ "$rc" = 2 ] && grep -q "broken.yaml:2:1: error: " "$out"; expect bad-manifest $?
rc=$(run check "${P[@]}" -f "$data/privileged.yaml" --frobnicate); [ "$rc" = 2 ]; expect unknown-flag $?
rc=$(run check "${P[@]}" -f "$data/privileged.yaml" -o yaml); [ "$rc" = 2 ]; expect unknown-format $?
rc=$(run check "${P[@]}"); [ "$rc" = 2 ]; expect no-inputs $?
rc=$(run check "${P[@]}" -f /nonexistent.yaml); [ "$rc" = 2 ]; expect missing-input $?

# Null fields are unset, as the API server decodes them; a testdata directory among the
# manifests is read like any other.
tmp=$(mktemp -d); mkdir -p "$tmp/m/testdata"
cat >"$tmp/m/testdata/null.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: nulls, namespace: default}
spec:
  securityContext:
  initContainers: ~
  containers:
    - name: app
      image: registry.k8s.io/pause:3.9
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
        runAsNonRoot: null
YAML
rc=$(run check -p "$root/policies" -l clausegate.io/pod-security-baseline=true -f "$tmp/m")
[ "$rc" = 0 ] && grep -q '^1 object checked: 0 denied' "$out"; expect null-fields-baseline $?
# runAsNonRoot: null is unset: restricted asks for it, and nothing fails to evaluate.
rc=$(run check -p "$root/policies" -l clausegate.io/pod-security-restricted=true -f "$tmp/m")
[ "$rc" = 1 ] && grep -q 'pss-run-as-non-root/set-true' "$out" && grep -q 'pss-seccomp-restricted' "$out" &&
  ! grep -q 'could not be evaluated' "$out"; expect null-fields-restricted $?
rm -rf "$tmp"

rm -f "$out" "$err"
echo "check command: $passes passed, $fails failed"
[ "$fails" = 0 ]
