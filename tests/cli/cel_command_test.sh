#!/usr/bin/env bash
# Exercises `clausegate cel`: output forms and exit codes.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
fails=0; passes=0

check() {  # name, expected exit, expected stdout (exact), expected stderr substring, args...
  local name=$1 want_rc=$2 want_out=$3 want_err=$4; shift 4
  local out err rc
  out=$("$bin" "$@" 2>/tmp/cg_cel_err.$$); rc=$?
  err=$(cat /tmp/cg_cel_err.$$)
  if [ "$rc" != "$want_rc" ] || { [ -n "$want_out" ] && [ "$out" != "$want_out" ]; } ||
     { [ -n "$want_err" ] && [[ "$err" != *"$want_err"* ]]; }; then
    echo "FAIL $name: rc=$rc out=$out err=$err"; fails=$((fails+1))
  else
    passes=$((passes+1))
  fi
}

check plain-int      0 '3' '' cel '1 + 2'
check typed-uint     0 '{"uint":"7"}' '' cel '7u' --typed
check plain-list     0 '[1,"a",true]' '' cel "[dyn(1), dyn('a'), dyn(true)]"
# The type checker of the Kubernetes environment, and clausegate's opt-in extras.
check mixed-list     2 '' "1:5: expected type 'int' but found 'string'" cel "[1, 'a']"
check no-overload    2 '' "found no matching overload for '_+_' applied to '(string, int)'" cel "'a' + 1"
check no-math        2 '' "undeclared reference to 'math'" cel "math.greatest(1, 2)"
check profile-math   0 '2' '' cel --profile clausegate "math.greatest(1, 2)"
check bad-profile    2 '' 'unknown --profile' cel --profile nope "1"
check typed-var      2 '' "found no matching overload for '_==_' applied to '(string, int)'" cel --type request=kubernetes.AdmissionRequest "request.operation == 1"
check decls          0 '' '' cel --decls
check plain-map      0 '{"k":"v"}' '' cel "{'k': 'v'}"
check bindings       0 '4' '' cel 'x + 1' --bindings '{"x": {"int": "3"}}'
check bindings-typed 0 '{"double":2.5}' '' cel 'x * 2.0' --typed --bindings '{"x": {"double": 1.25}}'
echo '{"y": {"string": "hi"}}' > /tmp/cg_cel_b.$$.json
check bindings-file  0 '"hi!"' '' cel "y + '!'" --bindings @/tmp/cg_cel_b.$$.json
check eval-error     1 '{"error":"division by zero"}' '' cel '1 / 0'
check syntax-error   2 '' '<expr>:1:5:' cel '1 + '
check unknown-var    2 '' "undeclared reference to 'nope'" cel 'nope + 1'
check unknown-flag   2 '' 'unknown flag' cel '1' --nope
check no-expr        2 '' 'usage' cel
check bad-bindings   2 '' 'not valid JSON' cel 'x' --bindings '{'
check timestamp      0 '"2009-02-13T23:31:30Z"' '' cel "timestamp(1234567890)"
# Expressions that start with "-": as they are, or after "--" (which ends the flags).
check dash-dash      0 '-1' '' cel -- '-1'
check leading-minus  0 '-1' '' cel '-1'
check minus-var      0 '-3' '' cel '-x' --bindings '{"x": {"int": "3"}}'
check dash-typed     0 '{"int":"-2"}' '' cel --typed -- '-2'
check dash-flag-text 2 '' "undeclared reference to 'typed'" cel -- --typed
check flag-equals    0 '4' '' cel 'x + 1' '--bindings={"x": {"int": "3"}}'
check two-exprs      2 '' 'unexpected argument "2"' cel 1 2
check cost-limit     1 '{"error":"operation cancelled: actual cost limit exceeded"}' '' cel "lists.range(1000).all(i, lists.range(1000).all(j, lists.range(10).all(k, true)))"

rm -f /tmp/cg_cel_err.$$ /tmp/cg_cel_b.$$.json
echo "cel command: $passes passed, $fails failed"
[ "$fails" = 0 ]
