#!/usr/bin/env python3
"""Policies and exceptions as resources, against a real API server and the webhook
run.sh registered (the chart's configuration, with its entry for the clausegate.io
resources):

    policy_resources.py CLAUSEGATE WORKDIR REPO_ROOT HEALTH_PORT

A CompliancePolicy applied with kubectl is enforced within seconds, an update is,
a deletion stops it; one that would not load is refused by `kubectl apply` with the
position lint gives; one that reached the cluster without the webhook (the release's
own are not sent to it) is left out alone with Ready=False and the position in its
status; an exception an expiry a minute ahead waives (warning, audit annotation),
then stops waiving at its expiry without a restart, and its status says so; the
printer columns; every shipped policy survives the API server's schema (nothing
pruned) and the webhook's check. KUBECONFIG must be set; the CRDs installed.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import testkit  # noqa: E402

binary, work, root, health = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
NS = "e2e-res"
POLICY = "e2e-team-label"
check = testkit.Checks("policy resources")


def kubectl(*args, stdin=None):
    return subprocess.run(["kubectl", "--request-timeout=30s", *args], input=stdin, capture_output=True, text=True)


def apply(obj, *extra):
    return kubectl("apply", *extra, "-f", "-", stdin=json.dumps(obj))


def get(kind, name, ns=None):
    p = kubectl("get", kind, name, "-o", "json", *(["-n", ns] if ns else []))
    return json.loads(p.stdout) if p.returncode == 0 else {}


def configmap(name, labels=None):
    """A server-side dry-run create of a ConfigMap in NS: (admitted, output)."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS, "labels": labels or {}},
          "data": {"k": "v"}}
    p = kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(cm))
    return p.returncode == 0, p.stdout + p.stderr


def policy(expression, message, generation_note=""):
    return {"apiVersion": "clausegate.io/v1alpha1", "kind": "CompliancePolicy",
            "metadata": {"name": POLICY, "annotations": {"clausegate.io/title": "ConfigMaps name their team" + generation_note}},
            "spec": {"controls": ["ISO27002:6.1.1"], "action": "Deny", "severity": "high",
                     "match": {"resources": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]}],
                               "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NS}}},
                     "validations": [{"name": "team", "expression": expression, "message": message}]}}


def ready(obj):
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return c
    return {}


def table(*args):
    """kubectl get's table: the header's columns and the first row, split on runs of spaces."""
    p = kubectl("get", *args)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    if len(lines) < 2:
        return [], [], p.stdout + p.stderr
    return re.split(r"\s{2,}", lines[0].strip()), re.split(r"\s{2,}", lines[1].strip()), p.stdout


kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS, "labels": {
    "clausegate.io/tenant": "acme", "clausegate.io/environment": "development", "clausegate.io/owner": "shop-team"}}}))
ok, out = configmap("before")
check("a ConfigMap without labels is admitted before any policy resource", ok, out)

# --- a policy applied, enforced, its status and columns ---------------------------------
v1 = policy("has(object.metadata.labels) && 'team' in object.metadata.labels", "ConfigMaps need a team label")
t0 = time.monotonic()
p = apply(v1)
check("kubectl apply of a CompliancePolicy", p.returncode == 0, p.stderr)
denied = testkit.wait_for(lambda: (lambda r: not r[0] and POLICY + "/team" in r[1] and r)(configmap("no-team")), 20)
check("the policy is enforced within seconds (%.1f s)" % (time.monotonic() - t0), bool(denied), denied)
check("the denial names the rule, the clause and the message",
      bool(denied) and "ISO/IEC 27002 6.1.1" in denied[1] and "ConfigMaps need a team label" in denied[1], denied)
check("a ConfigMap with a team label is admitted", configmap("with-team", {"team": "shop"})[0])
obj = testkit.wait_for(lambda: (lambda o: ready(o).get("status") == "True" and o.get("status", {}).get(
    "observedGeneration") == o["metadata"]["generation"] and o)(get("cpol", POLICY)), 20)
check("status: Ready=True, observedGeneration = generation", bool(obj), get("cpol", POLICY))
head, row, raw = table("cpol", POLICY)
check("kubectl get cpol: NAME ACTION SEVERITY CONTROLS READY AGE",
      head == ["NAME", "ACTION", "SEVERITY", "CONTROLS", "READY", "AGE"] and row[:3] == [POLICY, "Deny", "high"]
      and "ISO27002:6.1.1" in row[3] and row[4] == "True", raw)

# --- an update is enforced --------------------------------------------------------------
v2 = policy("has(object.metadata.labels) && 'team' in object.metadata.labels && 'owner' in object.metadata.labels",
            "ConfigMaps need a team and an owner label", " and owner")
t0 = time.monotonic()
p = apply(v2)
denied = testkit.wait_for(lambda: (lambda r: not r[0] and "team and an owner" in r[1] and r)(
    configmap("team-only", {"team": "shop"})), 20)
check("the updated policy is enforced (%.1f s)" % (time.monotonic() - t0), p.returncode == 0 and bool(denied),
      p.stderr + str(denied))
obj = testkit.wait_for(lambda: (lambda o: o and o["metadata"].get("generation") == 2 and o.get("status", {}).get(
    "observedGeneration") == 2 and o)(get("cpol", POLICY)), 20)
check("status follows: observedGeneration 2", bool(obj), get("cpol", POLICY))

# --- one that would not load is refused, with lint's position ---------------------------
broken = policy("object.metadata.labels.team == 1 +", "broken")
path = os.path.join(work, "broken-policy.yaml")
json.dump(broken, open(path, "w"))
p = kubectl("apply", "-f", path)
lint = subprocess.run([binary, "lint", "-p", path], capture_output=True, text=True)
m = re.search(r"spec\.validations\[0\]\.expression: (.*)", lint.stdout + lint.stderr)
lint_message = m.group(1) if m else "?"
check("kubectl apply of a policy that does not compile is refused with field:line:col and lint's message",
      p.returncode != 0 and re.search(r"spec\.validations\[0\]\.expression:1:\d+: " + re.escape(lint_message), p.stderr)
      is not None, p.stderr + "\nlint: " + lint.stdout + lint.stderr)
check("the refused version never replaced the one in force",
      get("cpol", POLICY)["spec"]["validations"][0]["expression"] == v2["spec"]["validations"][0]["expression"]
      and not configmap("still", {"team": "shop"})[0])
taken = policy("true", "x")
taken["metadata"]["name"] = "require-change-ticket"
p = apply(taken)
check("a policy named as one from the files is refused", p.returncode != 0 and "is loaded from" in p.stderr, p.stderr)

# --- one that reached the cluster without the webhook: left out alone, Ready=False -------
sneaked = policy("object.metadata.labels.team == 1 +", "broken")
sneaked["metadata"]["name"] = "e2e-sneaked"
# The release's own resources are not sent to the webhook (they are checked when the chart is built).
sneaked["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "cg"}
p = apply(sneaked)
check("a resource of the release itself is not sent to the webhook", p.returncode == 0, p.stderr)
obj = testkit.wait_for(lambda: (lambda o: ready(o).get("status") == "False" and o)(get("cpol", "e2e-sneaked")), 20)
cond = ready(obj)
check("its status: Ready=False, reason Invalid, the field's position",
      cond.get("reason") == "Invalid" and re.match(r"spec\.validations\[0\]\.expression:1:\d+: ", cond.get("message", ""))
      is not None, cond)
check("the rest keeps serving", not configmap("still-2", {"team": "shop"})[0] and configmap(
    "both", {"team": "shop", "owner": "ann"})[0])
metrics = testkit.scrape(health)
check("/metrics: one CompliancePolicy refused, one loaded",
      metrics.get('clausegate_policy_resources{kind="CompliancePolicy",state="refused"}') == 1
      and metrics.get('clausegate_policy_resources{kind="CompliancePolicy",state="loaded"}') == 1,
      {k: v for k, v in metrics.items() if "policy_resource" in k})
head, row, raw = table("cpol", "e2e-sneaked")
check("kubectl get cpol shows READY False", len(row) > 4 and row[4] == "False", raw)
kubectl("delete", "cpol", "e2e-sneaked")

# --- exceptions: refused when incomplete; one that expires a minute ahead ---------------
def exception(name, **spec):
    return {"apiVersion": "clausegate.io/v1alpha1", "kind": "CompliancePolicyException",
            "metadata": {"name": name, "namespace": NS}, "spec": {"policies": [{"name": POLICY}], **spec}}


p = apply(exception("no-ticket", justification="because", expires="2099-01-01T00:00:00Z"))
check("an exception without a ticket is refused", p.returncode != 0 and "has no spec.ticket" in p.stderr, p.stderr)
p = apply(exception("past", justification="because", ticket="INC-1", expires="2020-01-01T00:00:00Z"))
check("an exception that has expired is refused", p.returncode != 0 and "is not in the future" in p.stderr, p.stderr)

expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)).replace(microsecond=0)
expires_text = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
p = apply(exception("break-glass", justification="incident: labels restored after the outage", ticket="INC-42",
                    expires=expires_text))
check("an exception with a ticket, a justification and an expiry a minute ahead is admitted", p.returncode == 0,
      p.stderr)
waived = testkit.wait_for(lambda: (lambda r: r[0] and r)(configmap("waived")), 20)
check("it waives: the ConfigMap is admitted, with a warning naming exception and ticket",
      bool(waived) and "waived by exception %s/break-glass (ticket INC-42)" % NS in waived[1], waived)
obj = testkit.wait_for(lambda: (lambda o: o.get("status", {}).get("active") is True and o)(
    get("cpolex", "break-glass", NS)), 20)
check("status: active true, Ready=True", bool(obj) and ready(obj).get("status") == "True", get("cpolex", "break-glass", NS))
head, row, raw = table("cpolex", "break-glass", "-n", NS)
check("kubectl get cpolex: NAME POLICY TICKET EXPIRES ACTIVE AGE",
      head == ["NAME", "POLICY", "TICKET", "EXPIRES", "ACTIVE", "AGE"] and row[:5] == [
          "break-glass", POLICY, "INC-42", expires_text, "true"], raw)
# `clausegate audit` judges with the cluster's resources and lists the exception in force.
kept = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept", "namespace": NS}, "data": {"k": "v"}}
p = kubectl("create", "-f", "-", stdin=json.dumps(kept))
check("a ConfigMap without a team label is created under the exception", p.returncode == 0, p.stderr)


def audit_text(name):
    a = subprocess.run([binary, "audit", "-n", NS], capture_output=True, text=True)
    open(os.path.join(work, name), "w").write(a.stdout + "\n--- stderr, exit %d\n" % a.returncode + a.stderr)
    tail = a.stdout[a.stdout.find("exceptions: "):] if "exceptions: " in a.stdout else ""
    return a.returncode, tail, "exit %d; %s; stderr: %s" % (a.returncode, tail.replace("\n", " | "), a.stderr[-600:])


rc, tail, raw = audit_text("audit-in-force.txt")
check("audit (no -p: the cluster's policies) lists the exception in force and what it waived",
      rc == 0 and tail.startswith("exceptions: ") and "  %s/break-glass (INC-42): in force until %s; waives %s; used 1 time"
      % (NS, expires_text, POLICY) in tail.splitlines(), raw)
# The exception waives in its namespace only: a policy on every namespace, checked elsewhere, is unit-tested.
left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
time.sleep(max(0, left) + 0.5)
t_expired = time.monotonic()
again = testkit.wait_for(lambda: (lambda r: not r[0] and r)(configmap("after-expiry")), 10)
check("at its expiry it stops waiving, without a restart (%.1f s after)" % (time.monotonic() - t_expired), bool(again),
      again)
obj = testkit.wait_for(lambda: (lambda o: o.get("status", {}).get("active") is False and o)(
    get("cpolex", "break-glass", NS)), 15)
check("status: active false, reason Expired", bool(obj) and ready(obj).get("reason") == "Expired",
      get("cpolex", "break-glass", NS))
rc, tail, raw = audit_text("audit-expired.txt")
check("after its expiry audit lists it as expired, and the ConfigMap it waived as denied",
      rc == 1 and "  %s/break-glass (INC-42): EXPIRED %s; waives %s; used 0 times" % (NS, expires_text, POLICY)
      in tail.splitlines() and "DENY     %s/team" % POLICY in open(os.path.join(work, "audit-expired.txt")).read(), raw)
check("and the expired exception still in the cluster is itself a finding (clausegate-policy-resources/loads)",
      "is not in the future: an exception that has expired waives nothing" in open(
          os.path.join(work, "audit-expired.txt")).read(), raw)
kubectl("delete", "cpolex", "break-glass", "-n", NS)
kubectl("delete", "configmap", "kept", "-n", NS)

# --- deleted: no longer enforced --------------------------------------------------------
t0 = time.monotonic()
p = kubectl("delete", "cpol", POLICY)
gone = testkit.wait_for(lambda: configmap("after-delete")[0], 20)
check("deleted, it is no longer enforced (%.1f s)" % (time.monotonic() - t0), p.returncode == 0 and gone, p.stderr)

# --- the shipped library through the API server -----------------------------------------
shipped = []
for pack in sorted(os.listdir(os.path.join(work, "policies"))):
    for f in sorted(os.listdir(os.path.join(work, "policies", pack))):
        shipped.append(os.path.join(work, "policies", pack, f))
decoded = subprocess.run([binary, "decode", *sum((["-f", f] for f in shipped), [])], capture_output=True, text=True)
docs = [json.loads(line) for line in decoded.stdout.splitlines() if line.strip()]
pruned, refused, total = [], [], 0
for d in docs:
    o = d.get("object") or {}
    if o.get("kind") != "CompliancePolicy":
        continue
    total += 1
    o["metadata"]["name"] = "rt-" + o["metadata"]["name"]
    p = kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(o))
    if p.returncode != 0:
        refused.append(o["metadata"]["name"] + ": " + p.stderr.strip()[:300])
        continue
    if json.loads(p.stdout).get("spec") != o["spec"]:
        pruned.append(o["metadata"]["name"])
check("every shipped policy (%d) is admitted as a resource by the webhook's own check" % total,
      total > 20 and not refused, refused)
check("the API server keeps every field of every shipped policy (nothing pruned)", total > 20 and not pruned, pruned)

check.finish()
