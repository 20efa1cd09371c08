#!/usr/bin/env bash
# Exercises `clausegate controls`: the matrix in every format, --uncovered.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
data=$(cd "$(dirname "$0")/data/check" && pwd)
fails=0; passes=0
out=$(mktemp); err=$(mktemp)
run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(head -c 1500 "$out")"; echo "  stderr: $(cat "$err")"; fails=$((fails+1)); fi; }
P=(-p "$data/policies.yaml")

rc=$(run controls "${P[@]}")
[ "$rc" = 0 ] && grep -Eq '^ISO/IEC 27017 CLD.9.5.2 +Virtual machine hardening +enforceable +no-privileged/no-privileged$' "$out" &&
  grep -Eq '^ISO/IEC 27002 12.1.2 +Change management +partial +prod-ticket/ticket, prod-ticket/image-change-needs-new-ticket$' "$out" &&
  grep -q '^2 of 8 enforceable clauses have at least one rule$' "$out"; expect text $?
rc=$(run controls "${P[@]}" -o json)
[ "$rc" = 0 ] && python3 - "$out" <<'PY'; expect json $?
import json, sys
d = json.load(open(sys.argv[1]))["controls"]
assert len(d) == 121, len(d)
row = [c for c in d if c["id"] == "ISO27002:9.2.3"][0]
assert row["rules"] == ["no-privileged/no-privileged"] and row["enforcement"] == "enforceable", row
assert all(c["enforcement"] in ("enforceable", "partial", "organisational") for c in d)
PY
rc=$(run controls "${P[@]}" -o csv)
[ "$rc" = 0 ] && [ "$(wc -l <"$out")" = 122 ] && head -1 "$out" | grep -qx 'clause,title,domain,enforcement,rules'; expect csv $?
rc=$(run controls "${P[@]}" -o markdown --uncovered)
[ "$rc" = 1 ] && [ "$(grep -c "^| ISO" "$out")" = 6 ] && ! grep -q 'CLD.9.5.2' "$out"; expect uncovered $?
rc=$(run controls "${P[@]}" -o xml); [ "$rc" = 2 ]; expect bad-format $?

rm -f "$out" "$err"
echo "controls command: $passes passed, $fails failed"
[ "$fails" = 0 ]
