#!/usr/bin/env python3
"""`clausegate audit` against a fake API server of our own (plain HTTP on loopback):
discovery (an aggregated group that is down is a warning), pages followed by their
continue tokens, the object selector passed on, -n, the report naming objects by API
path, exit codes, and the usage errors; the cluster's CompliancePolicy and
CompliancePolicyException resources judged with (a broken one left out, one named as a
file's left out, exceptions confined to their namespace) and every exception listed,
in force, expired or without effect. The real API server is tests/e2e's part.
"""
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import testkit  # noqa: E402

binary = os.environ["CLAUSEGATE"]
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
policies = os.path.join(root, "policies", "secure-configuration")
asked = []


def pod(i, ns, privileged=False):
    c = {"name": "app", "image": "registry.example.com/app@sha256:" + "a" * 64,
         "securityContext": {"privileged": privileged}}
    return {"metadata": {"name": "p%d" % i, "namespace": ns, "labels": {"team": "a"}}, "spec": {"containers": [c]}}


PODS = [pod(i, "shop" if i % 2 else "other", privileged=(i == 3)) for i in range(7)]
# The cluster's policy resources, by plural; absent: the CRDs are not installed (404).
RESOURCES = {}
RESOURCES_STATUS = [200]
NAMESPACES = [{"metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}} for n in ("shop", "other")]


class Api(testkit.JsonHandler):

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/api/v1":
            return self.send(200, {"resources": [
                {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["list"]},
                {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get"]},
                {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ["list"]}]})
        if u.path == "/apis":
            return self.send(200, {"groups": [{"name": "metrics.k8s.io", "preferredVersion": {
                "groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}}]})
        if u.path == "/apis/metrics.k8s.io/v1beta1":
            return self.send(503, {"kind": "Status", "message": "the metrics server is away"})
        if u.path == "/api/v1/namespaces":
            return self.send(200, {"kind": "NamespaceList", "metadata": {}, "items": NAMESPACES})
        if u.path in ("/api/v1/pods", "/api/v1/namespaces/shop/pods"):
            asked.append(u.path + "?" + u.query)
            items = [p for p in PODS if u.path == "/api/v1/pods" or p["metadata"]["namespace"] == "shop"]
            start, limit = int(q.get("continue", "0")), int(q.get("limit", "500"))
            page = items[start:start + limit]
            more = start + limit < len(items)
            return self.send(200, {"kind": "PodList", "metadata": {"continue": str(start + limit) if more else ""},
                                   "items": page})
        plural = u.path.rsplit("/", 1)[-1]
        if u.path.startswith("/apis/clausegate.io/v1alpha1/") and plural in RESOURCES:
            if RESOURCES_STATUS[0] != 200:
                return self.send(RESOURCES_STATUS[0], {"kind": "Status", "message": "forbidden: list " + plural})
            return self.send(200, {"kind": "List", "metadata": {}, "items": RESOURCES[plural]})
        self.send(404, {"kind": "Status", "message": "not found"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
work = tempfile.mkdtemp(prefix="clausegate-audit.")
kubeconfig = os.path.join(work, "kubeconfig")
open(kubeconfig, "w").write(json.dumps({
    "apiVersion": "v1", "kind": "Config", "current-context": "fake",
    "clusters": [{"name": "fake", "cluster": {"server": "http://127.0.0.1:%d" % server.server_port}}],
    "users": [{"name": "u", "user": {"token": "t"}}],
    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}]}))
check = testkit.Checks("audit command")


def audit(*args, env=None):
    return subprocess.run([binary, "audit", *args], capture_output=True, text=True, env=env)


r = audit("-p", policies, "--kubeconfig", kubeconfig, "--page-size", "3", "-o", "json")
report = json.loads(r.stdout) if r.stdout else {}
names = [(o["object"]["namespace"], o["object"]["name"]) for o in report.get("results", [])]
check("every Pod judged across three pages (limit 3, continue)",
      sorted(names) == sorted((p["metadata"]["namespace"], p["metadata"]["name"]) for p in PODS), names)
check("the pages asked for", [a.split("?")[1] for a in asked] == ["limit=3", "limit=3&continue=3", "limit=3&continue=6"],
      asked)
privileged = sorted(o["object"]["name"] for o in report["results"]
                    if any(v["rule"] == "no-privileged-containers" and v["outcome"] == "fail" for v in o["verdicts"]))
check("the privileged Pod, and only it, denied as privileged: exit 1", r.returncode == 1 and privileged == ["p3"],
      (r.returncode, privileged))
files = {o["object"]["name"]: o["object"]["file"] for o in report["results"]}
check("objects are named by their API path", files.get("p3") == "/api/v1/namespaces/shop/pods/p3", files)
check("a discovery group that is down is a warning, on stderr and in the report",
      "metrics.k8s.io/v1beta1" in r.stderr and "503" in r.stderr and report["summary"]["inputWarnings"] == 1, r.stderr)

asked.clear()
r = audit("-p", policies, "--kubeconfig", kubeconfig, "-n", "shop", "--object-selector", "team in (a,b)")
check("-n lists one namespace, the selector goes to the API server",
      asked == ["/api/v1/namespaces/shop/pods?limit=500&labelSelector=team%20in%20%28a%2Cb%29"], asked)
check("text: the denied Pod with its path and the clause", r.returncode == 1 and
      "Pod shop/p3 (/api/v1/namespaces/shop/pods/p3)" in r.stdout and "ISO/IEC 27017 CLD.9.5.2" in r.stdout,
      r.stdout[-1500:])

r = audit("-p", policies, "--kubeconfig", kubeconfig, "-o", "markdown", "--now", "2026-01-01T00:00:00Z")
check("-o markdown names the cluster it judged", r.returncode == 1 and
      "- Judged: cluster http://127.0.0.1:%d, 2026-01-01T00:00:00Z" % server.server_port in r.stdout, r.stdout[:500])

env = dict(os.environ, KUBECONFIG=kubeconfig)
r = audit("-p", policies, env=env)
check("$KUBECONFIG is used when --kubeconfig is not given", r.returncode == 1, r.stderr)

unreachable = os.path.join(work, "unreachable")
open(unreachable, "w").write(open(kubeconfig).read().replace(":%d" % server.server_port, ":1"))
r = audit("-p", policies, "--kubeconfig", unreachable)
check("an API server that cannot be reached: exit 2, said so",
      r.returncode == 2 and "cannot reach the API server" in r.stderr, r.stderr)
env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
env["HOME"] = work
r = audit("-p", policies, env=env)
check("no credentials anywhere: exit 2, what was looked for", r.returncode == 2 and "no --kubeconfig" in r.stderr, r.stderr)
for args, what in ((["--kubeconfig", kubeconfig], "no policies to judge with"),
                   (["--kubeconfig", kubeconfig, "--no-policy-resources"], "-p POLICIES is needed"),
                   (["-p", policies, "--kubeconfig", kubeconfig, "-o", "yaml"], "output format"),
                   (["-p", policies, "--kubeconfig", kubeconfig, "--page-size", "0"], "--page-size"),
                   (["-p", policies, "--kubeconfig", kubeconfig, "--now", "yesterday"], "RFC 3339")):
    r = audit(*args)
    check("usage error: %s" % what, r.returncode == 2 and what in r.stderr, r.stderr)



# --- the cluster's CompliancePolicy and CompliancePolicyException resources ----------------
def cluster_policy(name, expression, **meta):
    return {"apiVersion": "clausegate.io/v1alpha1", "kind": "CompliancePolicy",
            "metadata": {"name": name, "uid": "u-" + name, "resourceVersion": "7", "generation": 1, **meta},
            "spec": {"controls": ["ISO27002:6.1.1"], "action": "Deny", "severity": "high",
                     "match": {"resources": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]},
                     "validations": [{"name": "team-b", "expression": expression, "message": "Pods belong to team b"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Loaded", "message": "",
                                       "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}


def cluster_exception(ns, name, **spec):
    return {"apiVersion": "clausegate.io/v1alpha1", "kind": "CompliancePolicyException",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"policies": [{"name": "team-b", "rules": ["team-b"]}], **spec}}


RESOURCES["compliancepolicies"] = [
    cluster_policy("team-b", "object.metadata.labels.team == 'b'"),
    cluster_policy("broken", "object.metadata.labels.team == 1 +"),
    cluster_policy("pss-privileged", "false")]
RESOURCES["compliancepolicyexceptions"] = [
    cluster_exception("shop", "break-glass", ticket="INC-42", justification="migration to team b",
                      expires="2099-01-01T00:00:00Z"),
    cluster_exception("other", "lapsed", ticket="INC-7", justification="was needed once",
                      expires="2026-01-01T00:00:00Z"),
    cluster_exception("other", "unfinished", justification="no ticket yet", expires="2099-01-01T00:00:00Z")]
NOW = ["--now", "2026-06-01T00:00:00Z"]

r = audit("--kubeconfig", kubeconfig, "-o", "json", *NOW)
report = json.loads(r.stdout) if r.stdout else {"results": []}


def outcomes(rep, rule):
    return {o["object"]["namespace"] + "/" + o["object"]["name"]: v["outcome"]
            for o in rep["results"] for v in o["verdicts"] if v["policy"] + "/" + v["rule"] == rule}


team = outcomes(report, "team-b/team-b")
check("without -p the cluster's policies judge: team-b on every Pod (exit 1)",
      r.returncode == 1 and len(team) == len(PODS), (r.returncode, team, r.stderr))
check("the exception kept in shop waives there only; the expired and the incomplete ones waive nothing",
      all(v == ("excepted" if k.startswith("shop/") else "fail") for k, v in team.items()), team)
check("a resource that does not load is left out alone, with its field:line:col, as serve leaves it out",
      re.search(r"left out, as serve leaves it out: CompliancePolicy/broken: spec\.validations\[0\]\.expression:1:\d+: ",
                r.stderr) is not None and not outcomes(report, "broken/team-b"), r.stderr)
r = audit("-p", policies, "--kubeconfig", kubeconfig, *NOW)
check("with -p too: both judge, and a resource named as a file's policy is left out, said so",
      "CompliancePolicy/pss-privileged is left out: a policy of that name is loaded from a file" in r.stderr
      and "team-b/team-b" in r.stdout and "pss-privileged/" in r.stdout, r.stderr + r.stdout[-800:])
tail = r.stdout[r.stdout.find("exceptions: "):]
lines = tail.splitlines()
check("text ends with the exceptions: 1 in force, 1 expired, 1 without effect",
      bool(lines) and lines[0] == "exceptions: 1 in force, 1 expired, 1 without effect", tail)
check("the one in force: namespace/name, ticket, until, what it waives, how often it was used",
      len(lines) > 1 and lines[1] == "  shop/break-glass (INC-42): in force until 2099-01-01T00:00:00Z; "
      "waives team-b/team-b; used 3 times", tail)
check("the expired one, then the incomplete one and what it lacks",
      len(lines) > 3 and lines[2].startswith("  other/lapsed (INC-7): EXPIRED 2026-01-01T00:00:00Z;")
      and lines[3].startswith("  other/unfinished: incomplete (") and "ticket" in lines[3], tail)
r = audit("--kubeconfig", kubeconfig, "--controller-namespace", "shop", "-o", "json", *NOW)
team = outcomes(json.loads(r.stdout) if r.stdout else {"results": []}, "team-b/team-b")
check("--controller-namespace shop: loaded as serve loads them, the exception kept there waives everywhere",
      len(team) == len(PODS) and set(team.values()) == {"excepted"}, team)
r = audit("-p", policies, "--kubeconfig", kubeconfig, "--no-policy-resources", *NOW)
check("--no-policy-resources: the files alone", "team-b" not in r.stdout and "exceptions: 0 in force" in r.stdout,
      r.stdout[-600:])
r = audit("-p", policies, "--kubeconfig", kubeconfig, "-o", "markdown", *NOW)
check("-o markdown lists the cluster's expired exception under Expired exceptions",
      "**other/lapsed** (INC-7): EXPIRED" in r.stdout.split("## Expired exceptions", 1)[-1], r.stdout[-1200:])
RESOURCES_STATUS[0] = 403
r = audit("-p", policies, "--kubeconfig", kubeconfig, *NOW)
check("policy resources that cannot be listed: exit 2, said so, with the way out",
      r.returncode == 2 and "the cluster's policy resources" in r.stderr and "--no-policy-resources" in r.stderr, r.stderr)

server.shutdown()
check.finish()
