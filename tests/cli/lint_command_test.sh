#!/usr/bin/env bash
# Exercises `clausegate lint`: messages with positions, exit codes, selectors.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
data=$(cd "$(dirname "$0")/data/lint" && pwd)
fails=0; passes=0
out=$(mktemp); err=$(mktemp)

run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() {  # name, condition-result
  if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(cat "$out")"; echo "  stderr: $(cat "$err")"; fails=$((fails+1)); fi
}

rc=$(run lint -p "$data/good.yaml"); [ "$rc" = 0 ] && grep -qx '1 policy OK' "$out"; expect good $?
rc=$(run lint -p "$data/bad.yaml"); [ "$rc" = 2 ] &&
  grep -q "bad.yaml:6:14: spec.controls\[0\]: unknown clause \"ISO27017:CLD.99.1\"" "$err" &&
  grep -q "bad.yaml:12:50: spec.validations\[0\].expression: undeclared reference to 'nope'" "$err" &&
  grep -q "2 problems; the policy set is rejected" "$err"; expect bad $?
# One bad file rejects the whole set.
rc=$(run lint -p "$data"); [ "$rc" = 2 ]; expect set-rejected $?
rc=$(run lint -p "$data/good.yaml" -p "$data/exceptions.yaml" --now 2026-01-01T00:00:00Z); [ "$rc" = 0 ] &&
  grep -q 'exception "expired" has no effect: it expired at 2020-01-01T00:00:00Z' "$out" &&
  grep -q 'exception "no-ticket" has no effect: it has no spec.ticket' "$out"; expect exceptions $?
rc=$(run lint -p "$data/good.yaml" -l 'clausegate.io/pod-security-restricted=true'); [ "$rc" = 0 ] &&
  grep -q '^0 policies OK (of 1 loaded' "$out"; expect selector-none $?
rc=$(run lint -p "$data/good.yaml" -l 'clausegate.io/pod-security-baseline in (true)'); [ "$rc" = 0 ] &&
  grep -q '^1 policy OK' "$out"; expect selector-set $?
rc=$(run lint -p "$data/good.yaml" -l 'a in (b'); [ "$rc" = 2 ]; expect bad-selector $?
rc=$(run lint -p /nonexistent); [ "$rc" = 2 ] && grep -q 'no such file' "$err"; expect missing $?
rc=$(run lint); [ "$rc" = 2 ]; expect no-args $?
rc=$(run lint -p "$data/good.yaml" --bogus); [ "$rc" = 2 ]; expect unknown-flag $?
# Kubernetes' estimated cost of every expression (--costs), and a load limit on it.
rc=$(run lint -p "$data/good.yaml" --costs); [ "$rc" = 0 ] &&
  grep -q 'good.yaml:25:19: cost: policy "disallow-privileged-containers" spec.matchConditions\[0\].expression: estimated cost 3,145,732 (above the per-call limit' "$out" &&
  grep -q 'spec.validations\[0\].expression: estimated cost 25,165,827 ' "$out" &&
  [ "$(grep -c ': cost: policy ' "$out")" = 4 ]; expect costs $?
rc=$(run lint -p "$data/good.yaml" --max-estimated-cost 30000000); [ "$rc" = 2 ] &&
  grep -q 'good.yaml:28:20: spec.variables\[0\].expression: estimated cost 3689348814741910555 exceeds the limit of 30000000 by a factor of' "$err" &&
  ! grep -q 'spec.validations\[0\].expression: estimated' "$err" &&
  grep -q '2 problems; the policy set is rejected' "$err"; expect cost-limit $?
rc=$(run lint -p "$data/good.yaml" --max-estimated-cost 18446744073709551615); [ "$rc" = 0 ]; expect cost-limit-max $?
rc=$(run lint -p "$data/good.yaml" --max-estimated-cost 1e6); [ "$rc" = 2 ] &&
  grep -q -- '--max-estimated-cost "1e6" is not a whole number' "$err"; expect cost-limit-bad $?
# check, test and serve load policies with the same limit.
rc=$(run check -p "$data/good.yaml" -f "$data/good.yaml" --max-estimated-cost 10); [ "$rc" = 2 ] &&
  grep -q 'estimated cost 3145732 exceeds the limit of 10' "$err"; expect cost-limit-check $?
rc=$(run test -p "$data/good.yaml" --max-estimated-cost 10); [ "$rc" = 2 ] &&
  grep -q 'estimated cost 3145732 exceeds the limit of 10' "$err"; expect cost-limit-test $?
rc=$(run serve -p "$data/good.yaml" --tls-cert /nonexistent --tls-key /nonexistent --max-estimated-cost -1); [ "$rc" = 2 ] &&
  grep -q -- 'clausegate serve: --max-estimated-cost "-1" is not a whole number' "$err"; expect cost-limit-serve $?
# A key given twice in a policy is an error at the repetition (the cluster would keep
# the last value; a reader sees the first).
dup=$(mktemp --suffix=.yaml)
sed 's/^  controls: \(.*\)$/  controls: \1\n  severity: low\n  severity: high/' "$data/good.yaml" >"$dup"
line=$(grep -n 'severity: high' "$dup" | head -1 | cut -d: -f1)
rc=$(run lint -p "$dup"); [ "$rc" = 2 ] &&
  grep -q "$(basename "$dup"):$line:3: mapping key \"severity\" is given again (earlier at line $((line - 1)))" "$err"; expect repeated-key $?
rm -f "$dup"
# The shipped policy tree lints clean.
rc=$(run lint -p "$data/../../../../policies"); [ "$rc" = 0 ] && ! grep -q 'ValidatingAdmissionPolicy' "$out"; expect shipped $?
# clausegate's CEL extras are an opt-in; lint says what Kubernetes would refuse.
rc=$(run lint -p "$data/extras.yaml"); [ "$rc" = 0 ] &&
  grep -q 'extras.yaml:1:1: warning: policy "uses-math" would not run as a ValidatingAdmissionPolicy (Kubernetes 1.37): 2 expressions' "$out" &&
  grep -q "extras.yaml:9:30: warning: spec.variables\[0\].expression: undeclared reference to 'math'" "$out" &&
  grep -q 'note: policy "portable" uses spec.celEnvironment: clausegate, but every expression would also run' "$out" &&
  grep -q '^2 policies OK' "$out"; expect not-vap $?
sed 's/^  celEnvironment: clausegate$//' "$data/extras.yaml" >"$out.yaml"
rc=$(run lint -p "$out.yaml"); [ "$rc" = 2 ] && grep -q "undeclared reference to 'math'" "$err"; expect vap-default $?
rm -f "$out.yaml"

rm -f "$out" "$err"
echo "lint command: $passes passed, $fails failed"
[ "$fails" = 0 ]
