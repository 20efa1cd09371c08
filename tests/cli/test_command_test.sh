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

rm -rf "$out" "$err" "$tmp"
echo "test command: $passes passed, $fails failed"
[ "$fails" = 0 ]
