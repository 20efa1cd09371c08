#!/usr/bin/env bash
# Golden files for every `clausegate check -o` format, plus structural checks:
# JUnit parses as XML with a test case per object x policy, SARIF is 2.1.0 with a
# rule per policy rule and a located result per violation, PolicyReports are
# wgpolicyk8s.io/v1alpha2 YAML. Regenerate with UPDATE_GOLDEN=1.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
cd "$(dirname "$0")/data/check"
fails=0; passes=0
for format in text json junit sarif policyreport; do
  case $format in
    text) ext=txt ;; json) ext=json ;; junit) ext=junit.xml ;; sarif) ext=sarif.json ;; policyreport) ext=policyreport.yaml ;;
  esac
  got=$(mktemp)
  "$bin" check -p policies.yaml -f helm-output.yaml -f privileged.yaml -f review.json -o "$format" \
    --now 2026-01-01T00:00:00Z >"$got" 2>/dev/null
  rc=$?
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$got" "golden/check.$ext"; fi
  if [ "$rc" = 1 ] && diff -u "golden/check.$ext" "$got"; then passes=$((passes+1)); else echo "FAIL golden $format (exit $rc)"; fails=$((fails+1)); fi
  rm -f "$got"
done

python3 - <<'PY' && passes=$((passes+1)) || { echo "FAIL structure"; fails=$((fails+1)); }
import json, xml.etree.ElementTree as ET, yaml
res = json.load(open("golden/check.json"))
objects = res["results"]
# JUnit: one testcase per object x policy that ran.
root = ET.parse("golden/check.junit.xml").getroot()
assert root.tag == "testsuites"
cases = root.findall("./testsuite/testcase")
expected = sum(len({v["policy"] for v in o["verdicts"]}) for o in objects)
assert len(cases) == expected, (len(cases), expected)
assert int(root.get("failures")) == len(root.findall("./testsuite/testcase/failure")) == 2
# SARIF 2.1.0.
sarif = json.load(open("golden/check.sarif.json"))
assert sarif["version"] == "2.1.0"
run = sarif["runs"][0]
rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
assert len(rule_ids) == len(set(rule_ids))
violations = [v for o in objects for v in o["verdicts"] if v["verdict"] != "PASS"]
assert len(run["results"]) == len(violations)
for r in run["results"]:
    assert rule_ids[r["ruleIndex"]] == r["ruleId"]
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
# PolicyReports.
reports = list(yaml.safe_load_all(open("golden/check.policyreport.yaml")))
assert reports and all(r["apiVersion"] == "wgpolicyk8s.io/v1alpha2" for r in reports)
assert {r["kind"] for r in reports} <= {"PolicyReport", "ClusterPolicyReport"}
for r in reports:
    assert set(r["summary"]) == {"pass", "fail", "warn", "error", "skip"}
    assert sum(r["summary"].values()) == len(r["results"])
    for x in r["results"]:
        assert x["result"] in ("pass", "fail", "warn", "error", "skip") and x["policy"] and x["resources"]
        if r["kind"] == "PolicyReport":
            assert x["resources"][0]["namespace"] == r["metadata"]["namespace"]
PY
echo "check formats: $passes passed, $fails failed"
[ "$fails" = 0 ]
