#!/usr/bin/env bash
# `clausegate check` on inputs as real repositories have them: a file that cannot be
# read among good ones (every output format names it, the rest is judged, exit 2), a
# mapping key given twice (the last value wins, a warning; --strict makes it an error),
# a 20 MiB multi-document stream (read document by document: peak memory measured
# with the process's own counter), one document over the bound, and "--".
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
data=$(cd "$(dirname "$0")/data/check" && pwd)
fails=0; passes=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/out; err=$tmp/err
run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(head -c 2000 "$out")"; echo "  stderr: $(head -c 2000 "$err")"; fails=$((fails+1)); fi; }
P=(-p "$data/policies.yaml")

# --- a directory with one file that cannot be read and two that can --------------
mkdir -p "$tmp/repo/app"
cat >"$tmp/repo/app/a-privileged.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: shop, labels: {owner: a}}
spec:
  containers: [{name: app, image: app:1, securityContext: {privileged: true}}]
YAML
cat >"$tmp/repo/app/b-broken.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: never-judged
spec: {}
YAML
cat >"$tmp/repo/app/c-fine.json" <<'JSON'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fine", "namespace": "shop", "labels": {"owner": "b"}},
 "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
JSON
rc=$(run check "${P[@]}" -f "$tmp/repo")
[ "$rc" = 2 ] && grep -q '^Pod shop/priv (.*a-privileged.yaml:1)' "$out" &&
  grep -Eq 'b-broken.yaml:[0-9]+:[0-9]+: error: ' "$out" &&
  grep -q '^2 objects checked: 1 denied, 0 warnings, 0 audit, 0 exceptions used; 1 input could not be read$' "$out" &&
  grep -q 'everything else was judged' "$err"; expect unreadable-text $?
pos=$(grep -Eo 'b-broken.yaml:[0-9]+:[0-9]+' "$out" | head -1 | cut -d: -f2-)

for format in json junit sarif policyreport; do
  rc=$(run check "${P[@]}" -f "$tmp/repo" -o "$format")
  [ "$rc" = 2 ] && grep -Eq "b-broken.yaml:$pos: error: " "$err" &&
    python3 - "$format" "$out" "$pos" <<'PY'; expect "unreadable-$format" $?
import json, sys, xml.etree.ElementTree as ET, yaml
fmt, path, pos = sys.argv[1], sys.argv[2], sys.argv[3]
line, col = (int(x) for x in pos.split(":"))
text = open(path).read()
if fmt == "json":
    d = json.loads(text)
    assert [r["object"]["name"] for r in d["results"]] == ["priv", "fine"], d["results"]
    assert d["summary"]["inputErrors"] == 1 and d["summary"]["inputWarnings"] == 0, d["summary"]
    [p] = d["problems"]
    assert p["file"].endswith("b-broken.yaml") and (p["line"], p["column"]) == (line, col) and p["severity"] == "error", p
    assert p["message"], p
elif fmt == "junit":
    root = ET.fromstring(text)
    assert root.get("errors") == "1", root.attrib
    suite = [s for s in root.findall("testsuite") if s.get("name") == "inputs"][0]
    [case] = suite.findall("testcase")
    assert case.get("file").endswith("b-broken.yaml") and case.get("line") == str(line), case.attrib
    e = case.find("error")
    assert e is not None and e.get("type") == "InputError" and f"b-broken.yaml:{line}:{col}: error: " in e.text
    judged = {s.get("name") for s in root.findall("testsuite")} - {"inputs"}
    assert judged == {"Pod shop/priv", "Pod shop/fine"}, judged
elif fmt == "sarif":
    run = json.loads(text)["runs"][0]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    [n] = inv["toolExecutionNotifications"]
    loc = n["locations"][0]["physicalLocation"]
    assert n["level"] == "error" and loc["artifactLocation"]["uri"].endswith("b-broken.yaml")
    assert (loc["region"]["startLine"], loc["region"]["startColumn"]) == (line, col), loc
    assert len(run["results"]) == 1 and run["results"][0]["ruleId"] == "no-privileged/no-privileged"
else:
    reports = list(yaml.safe_load_all(text))
    cluster = [r for r in reports if r["kind"] == "ClusterPolicyReport"][0]
    [e] = [x for x in cluster["results"] if x["result"] == "error"]
    assert e["properties"]["file"].endswith("b-broken.yaml") and e["properties"]["line"] == str(line), e
    assert e["properties"]["column"] == str(col) and e["message"].startswith(e["properties"]["file"] + f":{line}:{col}: ")
    assert cluster["summary"]["error"] == 1
    shop = [r for r in reports if r["kind"] == "PolicyReport"][0]
    assert {x["resources"][0]["name"] for x in shop["results"]} == {"priv", "fine"}
PY
done

# A path that does not exist is an input error too; what exists is still judged.
rc=$(run check "${P[@]}" -f "$tmp/repo/app/a-privileged.yaml" -f "$tmp/nope.yaml")
[ "$rc" = 2 ] && grep -q 'nope.yaml: error: no such file or directory' "$out" && grep -q 'DENY ' "$out"; expect missing-path $?

# --- a mapping key given twice: the last value wins, with a warning -------------
cat >"$tmp/dup.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: twice, namespace: shop, labels: {owner: a}}
spec:
  containers:
    - name: app
      image: app:1
      securityContext: {privileged: true}
      securityContext: {privileged: false}
YAML
rc=$(run check "${P[@]}" -f "$tmp/dup.yaml")
[ "$rc" = 0 ] && grep -q 'dup.yaml:9:7: warning: mapping key "securityContext" is given again (earlier at line 8); the last value is used, as in the cluster' "$out" &&
  grep -q '^1 object checked: 0 denied, 0 warnings, 0 audit, 0 exceptions used; 1 input warning$' "$out"; expect duplicate-key $?
rc=$(run check "${P[@]}" -f "$tmp/dup.yaml" -o json)
[ "$rc" = 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["results"][0]["allowed"] is True
[p] = d["problems"]
assert (p["line"], p["column"], p["severity"]) == (9, 7, "warning"), p
assert d["summary"]["inputWarnings"] == 1 and d["summary"]["inputErrors"] == 0' "$out"; expect duplicate-key-json $?
rc=$(run check "${P[@]}" -f "$tmp/dup.yaml" --strict)
[ "$rc" = 2 ] && grep -q 'dup.yaml:9:7: error: mapping key "securityContext"' "$out"; expect duplicate-key-strict $?

# --- 20 MiB of documents, from a file and from stdin -----------------------------
# The Namespace comes last: its labels still select the production policy for the
# Deployments before it (a first pass collects Namespaces). Under a sanitizer, where
# the memory figure means nothing, 4 MiB show the same streaming at a fifth of the time.
stream_mib=20
[ -n "${CLAUSEGATE_SANITIZER:-}" ] && stream_mib=4
python3 - "$tmp/big.yaml" "$stream_mib" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    i, size = 0, 0
    while size < int(sys.argv[2]) * 1024 * 1024:
        d = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: shop\n"
             f"  annotations: {{change-ticket: CHG-{i}}}\n  labels: {{app: web, tenant: shop}}\n"
             "spec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n"
             "    metadata: {labels: {app: web, owner: shop}}\n    spec:\n      containers:\n"
             f"        - name: app\n          image: registry.example.com/shop/web:1.{i}\n"
             "          resources: {requests: {cpu: 100m, memory: 64Mi}}\n"
             "          env: [{name: MODE, value: production}, {name: LEVEL, value: info}]\n---\n")
        if i == 5000:
            d = d.replace("CHG-5000", "none")  # the one production change without a ticket
        f.write(d)
        size += len(d)
        i += 1
    f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {env: prod}}\n")
    print(i, file=open(sys.argv[1] + ".count", "w"))
PY
count=$(cat "$tmp/big.yaml.count")
for via in file stdin; do
  python3 - "$bin" "$data/policies.yaml" "$tmp/big.yaml" "$via" "$count" <<'PY'; expect "stream-${stream_mib}MiB-$via" $?
import os, resource, subprocess, sys
bin, policies, big, via, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
args = [bin, "check", "-p", policies, "-f", big if via == "file" else "-"]
with open(big, "rb") as stdin:
    r = subprocess.run(args, stdin=stdin if via == "stdin" else subprocess.DEVNULL, capture_output=True, text=True)
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
last = r.stdout.strip().splitlines()[-1]
print(f"  {via}: {count + 1} objects in {len(open(big, 'rb').read()) / 2**20:.1f} MiB, peak RSS {peak_mib:.1f} MiB")
assert r.returncode == 1, (r.returncode, r.stderr[:500])
assert last == f"{count + 1} objects checked: 1 denied, 0 warnings, 0 audit, 0 exceptions used", last
assert "Deployment shop/web-5000" in r.stdout and "prod-ticket/ticket" in r.stdout
# One document at a time: far below the size of the input (a sanitizer's shadow
# memory and quarantine make the figure meaningless).
if not os.environ.get("CLAUSEGATE_SANITIZER"):
    assert peak_mib < 48, peak_mib
PY
done

# SARIF and JUnit of the same stream with every production change denied: the results
# are many, memory still follows one document (rules and totals in memory, the rest in a
# temporary file until the end).
sed 's/change-ticket: CHG-[0-9]*/change-ticket: none/' "$tmp/big.yaml" >"$tmp/big-deny.yaml"
for format in sarif junit; do
  python3 - "$bin" "$data/policies.yaml" "$tmp/big-deny.yaml" "$format" "$count" <<'PY'; expect "stream-${stream_mib}MiB-$format" $?
import json, os, resource, subprocess, sys, xml.etree.ElementTree as ET
bin, policies, big, fmt, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
out = big + "." + fmt
with open(out, "w") as f:
    r = subprocess.run([bin, "check", "-p", policies, "-f", big, "-o", fmt], stdout=f, stderr=subprocess.PIPE, text=True)
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
assert r.returncode == 1, (r.returncode, r.stderr[:500])
if fmt == "sarif":
    run = json.load(open(out))["runs"][0]
    denied = sum(1 for x in run["results"] if x["ruleId"].startswith("prod-ticket/") and x["level"] == "error")
else:
    root = ET.parse(out).getroot()
    denied = int(root.get("failures"))
    assert len(root.findall("testsuite")) == count + 1
print(f"  {fmt}: {denied} denials of {count + 1} objects, {os.path.getsize(out) / 2**20:.1f} MiB written, peak RSS {peak_mib:.1f} MiB")
assert denied == count, (denied, count)
if not os.environ.get("CLAUSEGATE_SANITIZER"):
    assert peak_mib < 48, peak_mib
PY
done

# --- one document over the bound: named, the others judged ----------------------
{ cat "$data/privileged.yaml"; echo "---"; echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: huge}";
  echo "data:"; for i in $(seq 1 400); do echo "  k$i: \"$(printf '%0100d' 0)\""; done; echo "---";
  echo "apiVersion: v1"; echo "kind: Pod"; echo "metadata: {name: after, namespace: shop, labels: {owner: x}}";
  echo "spec: {containers: [{name: app, image: app:1, securityContext: {privileged: true}}]}"; } >"$tmp/over.yaml"
rc=$(run check "${P[@]}" -f "$tmp/over.yaml" --max-document-bytes 8192)
[ "$rc" = 2 ] && grep -q 'over.yaml:11:1: error: document of [0-9]* bytes as JSON is over the 8192-byte bound for one document' "$out" &&
  grep -q '^Pod shop/after' "$out" && grep -q '^DaemonSet monitoring/agent' "$out"; expect document-over-bound $?
# Its YAML text is bounded too (4x plus 1 MiB), before it is parsed.
python3 -c 'import sys; sys.stdout.write("kind: ConfigMap\nmetadata: {name: x}\ndata: {a: \"" + "x" * (6 << 20) + "\"}\n---\nkind: Pod\nmetadata: {name: y}\n")' >"$tmp/text-over.yaml"
rc=$(run check "${P[@]}" -f "$tmp/text-over.yaml" --max-document-bytes 1024)
[ "$rc" = 2 ] && grep -q 'text-over.yaml:1:1: error: document of [0-9]* bytes is over the 1052672-byte bound for one YAML document' "$out" &&
  grep -q '^1 object checked' "$out"; expect yaml-text-over-bound $?
rc=$(run check "${P[@]}" -f "$tmp/over.yaml" --max-document-bytes 12)
[ "$rc" = 2 ] && grep -q 'max-document-bytes "12" is not a number from 1024' "$err"; expect bad-bound $?

# --- "--" ends the flags in check as everywhere ----------------------------------
rc=$(run check "${P[@]}" -f "$data/privileged.yaml" --)
[ "$rc" = 1 ]; expect dash-dash $?
rc=$(run check "${P[@]}" -f "$data/privileged.yaml" -- extra)
[ "$rc" = 2 ] && grep -q 'unexpected argument "extra"' "$err"; expect dash-dash-extra $?
rc=$(run check "${P[@]}" "--filename=$data/privileged.yaml")
[ "$rc" = 1 ]; expect flag-equals $?

echo "check inputs: $passes passed, $fails failed"
[ "$fails" = 0 ]
