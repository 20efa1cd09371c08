#!/usr/bin/env bash
# Exercises `clausegate test`: passing and failing suites, suite errors.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
data=$(cd "$(dirname "$0")/data" && pwd)
fails=0; passes=0
out=$(mktemp); err=$(mktemp); tmp=$(mktemp -d)
run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(cat "$out")"; echo "  stderr: $(cat "$err")"; fails=$((fails+1)); fi; }
P=(-p "$data/check/policies.yaml")

rc=$(run test "${P[@]}" "$data/suites/passing")
[ "$rc" = 0 ] && grep -q '^7 passed, 0 failed$' "$out" &&
  grep -Eq '^6 +image-change +prod-ticket +image-change-needs-new-ticket +Deployment/shop/web +fail +fail +ok' "$out"; expect passing $?
# Rule coverage: a rule that no suite resource violates (or satisfies) is named.
rc=$(run test "${P[@]}" --require-coverage "$data/suites/passing")
grep -Eq '^[0-9]+ of [0-9]+ rules met a compliant and a violating resource$' "$out" &&
  { [ "$rc" = 0 ] || grep -q '^UNCOVERED ' "$out"; }; expect coverage $?
rc=$(run test "${P[@]}" "$data/suites/failing")
[ "$rc" = 1 ] && grep -q 'MISMATCH wrong: no-privileged/\* on DaemonSet/monitoring/agent: expected pass, got fail (containers agent must not set securityContext.privileged=true)' "$out"; expect failing $?
# Suites beside the policies are found without naming them.
cp "$data/check/policies.yaml" "$tmp/"; mkdir -p "$tmp/check"; cp "$data/check/"*.yaml "$tmp/check/"
sed 's#../../check/#check/#g' "$data/suites/passing/no-privileged-test.yaml" >"$tmp/suite-test.yaml"
rc=$(run test -p "$tmp/policies.yaml" -p "$tmp/suite-test.yaml"); [ "$rc" = 0 ]; expect beside $?
# Suite errors exit 2 with a position.
cat >"$tmp/bad-test.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: PolicyTest
metadata: {name: bad}
spec:
  resources: [check/privileged.yaml]
  results:
    - {policy: nope, resources: [agent], result: fail}
    - {policy: no-privileged, resources: [missing], result: maybe}
YAML
rc=$(run test -p "$tmp/policies.yaml" "$tmp/bad-test.yaml")
[ "$rc" = 2 ] && grep -q 'bad-test.yaml:8:7: results: result must be pass, fail, warn, excepted or skip' "$err"; expect bad-suite $?
sed -i 's/result: maybe/result: pass/' "$tmp/bad-test.yaml"
rc=$(run test -p "$tmp/policies.yaml" "$tmp/bad-test.yaml")
[ "$rc" = 2 ] && grep -q 'no policy "nope"' "$err" && grep -q 'no resource "missing"' "$err"; expect unknown-refs $?
rc=$(run test "$tmp"); [ "$rc" = 2 ]; expect no-policies $?

# Exceptions for one suite, 'excepted', expected audit annotations; testdata/ beside the
# policies holds fixtures and is not read as policies.
mkdir -p "$tmp/lib/testdata"
cat >"$tmp/lib/policy.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: ticket}
spec:
  controls: ["ISO27002:12.1.2"]
  match: {resources: [{apiGroups: [""], resources: [configmaps]}]}
  validations:
    - {name: present, expression: "has(object.metadata.annotations) && 'ticket' in object.metadata.annotations"}
  auditAnnotations:
    - {key: ticket, valueExpression: "string(object.metadata.?annotations.?ticket.orValue(''))"}
YAML
cat >"$tmp/lib/testdata/cms.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: with, namespace: a, annotations: {ticket: T-1}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: without, namespace: a}
YAML
cat >"$tmp/lib/testdata/exceptions.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: legacy}
spec:
  policies: [{name: ticket}]
  match: {names: [without]}
  justification: legacy config
  ticket: T-9
  expires: "2030-01-01T00:00:00Z"
YAML
cat >"$tmp/lib/policy-test.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: PolicyTest
metadata: {name: plain}
spec:
  resources: [testdata/cms.yaml]
  results:
    - {policy: ticket, resources: [with], result: pass, auditAnnotations: {ticket: T-1}}
    - {policy: ticket, resources: [without], result: fail, auditAnnotations: {ticket: ""}}
---
apiVersion: clausegate.io/v1alpha1
kind: PolicyTest
metadata: {name: waived}
spec:
  resources: [testdata/cms.yaml]
  exceptions: [testdata/exceptions.yaml]
  results:
    - {policy: ticket, resources: [without], result: excepted}
YAML
rc=$(run test -p "$tmp/lib" --require-coverage)
[ "$rc" = 0 ] && grep -q '^5 passed, 0 failed$' "$out" && grep -Eq 'audit:ticket +ConfigMap|audit:ticket +with +T-1 +T-1' "$out" &&
  grep -q '^1 of 1 rules met' "$out"; expect exceptions-audit-testdata $?
sed -i 's/result: excepted/result: fail/; s/{ticket: T-1}}/{ticket: T-2}}/' "$tmp/lib/policy-test.yaml"
rc=$(run test -p "$tmp/lib")
[ "$rc" = 1 ] && grep -q 'MISMATCH waived: ticket/\* on without: expected fail, got excepted (exception legacy)' "$out" &&
  grep -q 'MISMATCH plain: ticket/audit:ticket on with: expected T-2, got T-1' "$out"; expect mismatched-exception-audit $?
# A suite's exceptions files hold exceptions only.
sed -i 's#exceptions: \[testdata/exceptions.yaml\]#exceptions: [policy.yaml]#' "$tmp/lib/policy-test.yaml"
rc=$(run test -p "$tmp/lib")
[ "$rc" = 2 ] && grep -q "policy.yaml:.*a suite's exceptions files hold CompliancePolicyExceptions, not policies" "$err"
expect exceptions-files-only $?

rm -rf "$out" "$err" "$tmp"
echo "test command: $passes passed, $fails failed"
[ "$fails" = 0 ]
