#!/usr/bin/env bash
# The shipped policy library: it lints, every suite beside a policy passes, every policy
# has a suite, no enforceable clause is left without a rule, and docs/controls.md is the
# matrix the policies produce now.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
root=$(cd "$(dirname "$0")/../.." && pwd)
fails=0; passes=0
out=$(mktemp); err=$(mktemp)
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; cat "$out" "$err" | tail -40; fails=$((fails+1)); fi; }

"$bin" lint -p "$root/policies" >"$out" 2>"$err"; expect lint $?

"$bin" test -p "$root/policies" --require-coverage >"$out" 2>"$err"; expect suites-and-rule-coverage $?

# Every policy has a suite that names it.
missing=""
for f in $(grep -l '^kind: CompliancePolicy$' -r "$root/policies" --include='*.yaml' --exclude-dir=testdata); do
  name=$(sed -n 's/^  name: //p' "$f" | head -1)
  grep -rqs --include='*-test.yaml' -e "policy: $name\$" "$root/policies" || missing="$missing $name"
done
[ -z "$missing" ] || echo "policies without a suite:$missing" >"$err"
[ -z "$missing" ]; expect every-policy-has-a-suite $?

"$bin" controls --uncovered -p "$root/policies" >"$out" 2>"$err"
[ $? = 0 ] && [ ! -s "$out" ]; expect no-uncovered-enforceable-clause $?

# docs/controls.md is generated; regenerate it with scripts/gen-controls-doc.sh.
bash "$root/scripts/gen-controls-doc.sh" "$bin" >"$out" 2>"$err"
diff -u "$root/docs/controls.md" "$out" >"$err"; expect controls-doc-is-current $?

rm -f "$out" "$err"
echo "shipped policies: $passes passed, $fails failed"
[ "$fails" = 0 ]
