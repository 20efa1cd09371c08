#!/usr/bin/env python3
"""The background audit of `clausegate serve` against a fake API server of our own
(plain HTTP on loopback): two replicas with --audit-interval, exactly one of which
holds the Lease and writes PolicyReports (server-side apply, labelled and with a
content digest); an unchanged report is not written again; a fixed object leaves
its report on the next run; a report whose namespace has nothing left is deleted,
and reports clausegate did not write are left alone; the leader killed with
SIGKILL, the other replica takes over within the Lease duration; SIGTERM gives
the Lease up; without the PolicyReport CRDs the run fails and says why. The
metrics are read from /metrics. The real API server is tests/e2e's part.
"""
import copy
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import testkit  # noqa: E402

BIN = os.environ["CLAUSEGATE"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLOW = 4.0 if os.environ.get("CLAUSEGATE_SANITIZER") else 1.0
LEASE_SECONDS = 3
check = testkit.Checks("background audit")


def pod(name, ns, privileged=False):
    c = {"name": "app", "image": "registry.example.com/app@sha256:" + "a" * 64,
         "securityContext": {"privileged": privileged}}
    return {"metadata": {"name": name, "namespace": ns, "uid": name + "-uid"}, "spec": {"containers": [c]}}


lock = threading.Lock()
state = {
    "namespaces": {n: {"metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
                   for n in ("shop", "other")},
    "pods": [pod("web", "shop", privileged=True), pod("api", "shop"), pod("batch", "other")],
    "leases": {},          # (ns, name) -> Lease
    "reports": {},         # ("ns" or "", name) -> report
    "applies": {},         # key -> count
    "deletes": [],
    "rv": 100,
    "crds": True,
    "bad_apply": [],       # requests that were not a proper server-side apply
}
# Written by someone else: never touched.
state["reports"][("shop", "kyverno-report")] = {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                                                "metadata": {"name": "kyverno-report", "namespace": "shop"}}
# Written by clausegate for a namespace that has nothing judged now: deleted.
state["reports"][("gone", "clausegate-gone")] = {
    "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
    "metadata": {"name": "clausegate-gone", "namespace": "gone", "labels": {"app.kubernetes.io/managed-by": "clausegate"},
                 "annotations": {"clausegate.io/content-digest": "sha256:old"}}}


def next_rv():
    state["rv"] += 1
    return str(state["rv"])


def selected(obj, selector):
    if not selector:
        return True
    k, _, v = selector.partition("=")
    return obj.get("metadata", {}).get("labels", {}).get(k) == v


class Api(testkit.JsonHandler):
    protocol_version = "HTTP/1.1"

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"{}")

    def report_key(self, parts):
        # /apis/wgpolicyk8s.io/v1alpha2/namespaces/NS/policyreports/NAME or .../clusterpolicyreports/NAME
        if len(parts) == 7 and parts[3] == "namespaces" and parts[5] == "policyreports":
            return (parts[4], parts[6])
        if len(parts) == 5 and parts[3] == "clusterpolicyreports":
            return ("", parts[4])
        return None

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        parts = u.path.strip("/").split("/")
        with lock:
            if u.path == "/api/v1":
                return self.send(200, {"resources": [
                    {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["list"]},
                    {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ["list", "watch"]}]})
            if u.path == "/apis":
                groups = [{"name": "coordination.k8s.io", "preferredVersion": {"groupVersion": "coordination.k8s.io/v1",
                                                                              "version": "v1"}}]
                if state["crds"]:
                    groups.append({"name": "wgpolicyk8s.io", "preferredVersion": {
                        "groupVersion": "wgpolicyk8s.io/v1alpha2", "version": "v1alpha2"}})
                return self.send(200, {"groups": groups})
            if u.path == "/apis/coordination.k8s.io/v1":
                return self.send(200, {"resources": [{"name": "leases", "kind": "Lease", "namespaced": True,
                                                      "verbs": ["get", "list", "create", "update"]}]})
            if u.path == "/apis/wgpolicyk8s.io/v1alpha2" and state["crds"]:
                return self.send(200, {"resources": [
                    {"name": "policyreports", "kind": "PolicyReport", "namespaced": True, "verbs": ["list"]},
                    {"name": "clusterpolicyreports", "kind": "ClusterPolicyReport", "namespaced": False,
                     "verbs": ["list"]}]})
            if u.path == "/api/v1/namespaces":
                if q.get("watch"):
                    lock.release()
                    try:
                        time.sleep(2)
                    finally:
                        lock.acquire()
                    return self.send(200, {})
                return self.send(200, {"kind": "NamespaceList", "metadata": {"resourceVersion": "1"},
                                       "items": list(state["namespaces"].values())})
            if u.path == "/api/v1/pods":
                return self.send(200, {"kind": "PodList", "metadata": {}, "items": state["pods"]})
            if len(parts) == 7 and parts[1] == "coordination.k8s.io" and parts[5] == "leases":
                lease = state["leases"].get((parts[4], parts[6]))
                return self.send(200, lease) if lease else self.send(404, {"kind": "Status", "message": "no lease"})
            if u.path in ("/apis/wgpolicyk8s.io/v1alpha2/policyreports",
                          "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports"):
                if not state["crds"]:
                    return self.send(404, {"kind": "Status", "message": "the server could not find the requested resource"})
                cluster = u.path.endswith("clusterpolicyreports")
                items = []
                for (ns, _), r in sorted(state["reports"].items()):
                    if (ns == "") == cluster and selected(r, q.get("labelSelector")):
                        # What a metadata-only list gives: the metadata.
                        meta_only = "PartialObjectMetadataList" in self.headers.get("Accept", "")
                        items.append({"metadata": r["metadata"]} if meta_only else r)
                return self.send(200, {"metadata": {}, "items": items})
        self.send(404, {"kind": "Status", "message": "not found: " + u.path})

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        parts = u.path.strip("/").split("/")
        obj = self.body()
        with lock:
            if len(parts) == 6 and parts[1] == "coordination.k8s.io" and parts[5] == "leases":
                key = (parts[4], obj["metadata"]["name"])
                if key in state["leases"]:
                    return self.send(409, {"kind": "Status", "message": "exists"})
                obj["metadata"]["resourceVersion"] = next_rv()
                state["leases"][key] = obj
                return self.send(201, obj)
        self.send(404, {"kind": "Status", "message": "not found"})

    def do_PUT(self):
        u = urllib.parse.urlparse(self.path)
        parts = u.path.strip("/").split("/")
        obj = self.body()
        with lock:
            if len(parts) == 7 and parts[1] == "coordination.k8s.io" and parts[5] == "leases":
                key = (parts[4], parts[6])
                cur = state["leases"].get(key)
                if not cur:
                    return self.send(404, {"kind": "Status", "message": "no lease"})
                if obj.get("metadata", {}).get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                    return self.send(409, {"kind": "Status", "message": "conflict"})
                obj["metadata"]["resourceVersion"] = next_rv()
                state["leases"][key] = obj
                return self.send(200, obj)
        self.send(404, {"kind": "Status", "message": "not found"})

    def do_PATCH(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        key = self.report_key(u.path.strip("/").split("/"))
        obj = self.body()
        with lock:
            if key is None or not state["crds"]:
                return self.send(404, {"kind": "Status", "message": "not found"})
            if (self.headers.get("Content-Type") != "application/apply-patch+yaml" or
                    q.get("fieldManager") != "clausegate-audit" or q.get("force") != "true"):
                state["bad_apply"].append(self.path)
            if key[0] and key[0] not in state["namespaces"]:
                return self.send(404, {"kind": "Status", "message": "namespaces \"%s\" not found" % key[0]})
            state["reports"][key] = obj
            state["applies"][key] = state["applies"].get(key, 0) + 1
            return self.send(200, obj)

    def do_DELETE(self):
        u = urllib.parse.urlparse(self.path)
        key = self.report_key(u.path.strip("/").split("/"))
        with lock:
            if key is None or key not in state["reports"]:
                return self.send(404, {"kind": "Status", "message": "not found"})
            del state["reports"][key]
            state["deletes"].append(key)
            return self.send(200, {"kind": "Status", "status": "Success"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
work = tempfile.mkdtemp(prefix="clausegate-background-audit.")
certs = os.path.join(work, "certs")
subprocess.run(["bash", os.path.join(ROOT, "scripts/dev-certs.sh"), certs], check=True, capture_output=True)
policies = os.path.join(ROOT, "policies", "secure-configuration")


class Replica:
    def __init__(self, identity, *extra):
        self.identity = identity
        self.err_path = os.path.join(work, identity + ".err")
        self.err = open(self.err_path, "w+")
        args = [BIN, "serve", "--policies", policies, "--kube-api", "http://127.0.0.1:%d" % server.server_port,
                "--tls-cert", os.path.join(certs, "server.crt"), "--tls-key", os.path.join(certs, "server.key"),
                "--address", "127.0.0.1", "--port", "0", "--health-port", "0", "--log-level", "warn",
                "--audit-interval", "2s", "--audit-lease", "clausegate/clausegate-audit",
                "--audit-identity", identity, "--audit-lease-seconds", str(LEASE_SECONDS), *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.err)
        self.health = None
        deadline = time.monotonic() + 30 * SLOW
        while time.monotonic() < deadline and self.proc.poll() is None and self.health is None:
            m = re.search(r'"msg":"serving","port":\d+,"healthPort":(\d+)', self.log())
            if m:
                self.health = int(m.group(1))
            time.sleep(0.05)
        if self.health is None:
            print(self.log())
            raise SystemExit("replica %s did not start" % identity)

    def log(self):
        self.err.seek(0)
        return self.err.read()

    def metrics(self):
        return testkit.scrape(self.health, timeout=10)

    def metric(self, name):
        m = self.metrics()
        return m.get(name, 0.0) if m else None


def wait_for(cond, seconds):
    return testkit.wait_for(cond, seconds * SLOW)


SUCCESS = 'clausegate_audit_runs_total{result="success"}'
a = Replica("replica-a")
b = Replica("replica-b")
try:
    leader = wait_for(lambda: next((r for r in (a, b) if (r.metric(SUCCESS) or 0) >= 1), None), 20)
    check("one replica audits and succeeds", leader is not None, [r.log()[-2000:] for r in (a, b)] if not leader else "")
    if not leader:
        raise SystemExit(1)
    follower = b if leader is a else a
    time.sleep(2.5)  # another interval: the follower must still not audit
    fm, lm = follower.metrics(), leader.metrics()
    check("exactly one replica leads", lm.get("clausegate_audit_leader") == 1 and fm.get("clausegate_audit_leader") == 0,
          (lm.get("clausegate_audit_leader"), fm.get("clausegate_audit_leader")))
    check("the follower never audits or writes",
          sum(v for k, v in fm.items() if k.startswith("clausegate_audit_runs_total") or
              k.startswith("clausegate_audit_reports_total")) == 0, {k: v for k, v in fm.items() if "audit" in k})
    with lock:
        holder = state["leases"][("clausegate", "clausegate-audit")]["spec"]["holderIdentity"]
    check("the Lease names the leader", holder == leader.identity, holder)
    with lock:
        shop = copy.deepcopy(state["reports"].get(("shop", "clausegate-shop")))
        other = copy.deepcopy(state["reports"].get(("other", "clausegate-other")))
        bad = list(state["bad_apply"])
    check("a PolicyReport per namespace", shop is not None and other is not None, sorted(state["reports"]))
    check("written by server-side apply as clausegate-audit, forced", not bad, bad[:3])
    if shop:
        meta = shop["metadata"]
        check("labelled and with a content digest",
              meta.get("labels", {}).get("app.kubernetes.io/managed-by") == "clausegate" and
              meta.get("annotations", {}).get("clausegate.io/content-digest", "").startswith("sha256:"), meta)
        fails = [r for r in shop["results"] if r["result"] == "fail"]
        check("the privileged Pod fails with its rule, clause ids and severity",
              any(r["resources"][0]["name"] == "web" and r["properties"].get("controls") and r.get("severity")
                  and r.get("rule") for r in fails), fails[:2])
        check("the summary counts the failures", shop["summary"]["fail"] == len(fails) and len(fails) > 0,
              shop["summary"])
    runs = leader.metric(SUCCESS)
    wait_for(lambda: leader.metric(SUCCESS) >= runs + 2, 15)
    with lock:
        applies = dict(state["applies"])
    check("an unchanged report is not written again", applies.get(("shop", "clausegate-shop")) == 1 and
          applies.get(("other", "clausegate-other")) == 1, applies)
    lm = leader.metrics()
    check("reports left unchanged are counted", lm.get('clausegate_audit_reports_total{action="unchanged"}', 0) >= 4,
          lm.get('clausegate_audit_reports_total{action="unchanged"}'))
    with lock:
        deletes = list(state["deletes"])
        kept = ("shop", "kyverno-report") in state["reports"]
    check("a report clausegate wrote for a namespace with nothing judged is deleted", ("gone", "clausegate-gone") in deletes,
          deletes)
    check("a report clausegate did not write is left alone", kept and ("shop", "kyverno-report") not in deletes)
    violating = {k: v for k, v in lm.items() if k.startswith("clausegate_audit_violating_objects{")}
    check("violating objects by policy, rule and clause",
          any('policy="pss-privileged"' in k and 'clause="' in k and 'rule="' in k and v == 1 for k, v in violating.items()),
          violating)
    check("audit duration, objects and last success", lm.get("clausegate_audit_objects") == 3 and
          lm.get("clausegate_audit_duration_seconds", -1) >= 0 and
          lm.get("clausegate_audit_last_success_timestamp_seconds", 0) > time.time() - 60,
          {k: v for k, v in lm.items() if k in ("clausegate_audit_objects", "clausegate_audit_duration_seconds",
                                               "clausegate_audit_last_success_timestamp_seconds")})

    # Fixed: the privileged Pod is no longer privileged; the other namespace empties.
    with lock:
        state["pods"][0] = pod("web", "shop")
        state["pods"] = [p for p in state["pods"] if p["metadata"]["namespace"] != "other"]

    def fixed():
        with lock:
            r = state["reports"].get(("shop", "clausegate-shop"))
            return r is not None and ("other", "clausegate-other") not in state["reports"] and not any(
                x["policy"] == "pss-privileged" and x["result"] == "fail" for x in r["results"])
    check("a fixed object leaves the report on the next run", wait_for(fixed, 15))
    with lock:
        check("the emptied namespace's report is deleted", ("other", "clausegate-other") in state["deletes"],
              state["deletes"])
    def privileged_counted():
        return any(k.startswith('clausegate_audit_violating_objects{policy="pss-privileged"') for k in leader.metrics())
    wait_for(lambda: not privileged_counted(), 10)
    check("the violation metrics follow the last run", not privileged_counted())

    # The leader dies without a word: the other takes over within the Lease duration.
    leader.proc.send_signal(signal.SIGKILL)
    leader.proc.wait()
    killed = time.monotonic()
    took = wait_for(lambda: follower.metric("clausegate_audit_leader") == 1, LEASE_SECONDS * 3)
    seconds = time.monotonic() - killed
    check("after SIGKILL the other replica leads within the Lease duration (+ a retry period)",
          took and seconds <= (LEASE_SECONDS + LEASE_SECONDS / 7 + 1.5) * SLOW, "%.1f s" % seconds)
    before = follower.metric(SUCCESS)
    check("and audits", wait_for(lambda: follower.metric(SUCCESS) > before or follower.metric(SUCCESS) >= 1, 10),
          follower.metric(SUCCESS))
    with lock:
        holder = state["leases"][("clausegate", "clausegate-audit")]["spec"]["holderIdentity"]
        transitions = state["leases"][("clausegate", "clausegate-audit")]["spec"].get("leaseTransitions")
    check("the Lease changed hands", holder == follower.identity and transitions == 1, (holder, transitions))

    # Without the CRDs, a run fails and says why; admission is untouched.
    with lock:
        state["crds"] = False
    failures = follower.metric('clausegate_audit_runs_total{result="failure"}')
    check("without the PolicyReport CRDs the run fails",
          wait_for(lambda: follower.metric('clausegate_audit_runs_total{result="failure"}') > failures, 10))
    check("and the log says the CRDs are not installed", "PolicyReport CRDs are not installed" in follower.log(),
          follower.log()[-500:])
    # SIGTERM: the Lease is given up.
    follower.proc.send_signal(signal.SIGTERM)
    code = follower.proc.wait(timeout=30 * SLOW)
    with lock:
        spec = state["leases"][("clausegate", "clausegate-audit")]["spec"]
    check("SIGTERM exits 0 and gives the Lease up", code == 0 and not spec.get("holderIdentity"), (code, spec))

    # A run that fails (the CRDs not there yet, as right after a chart install) is tried
    # again long before an interval of an hour: 10 s later.
    c = Replica("replica-c", "--audit-interval", "1h")
    failed = wait_for(lambda: (c.metric('clausegate_audit_runs_total{result="failure"}') or 0) >= 1, 10)
    with lock:
        state["crds"] = True
    recovered_at = time.monotonic()
    ok = wait_for(lambda: (c.metric(SUCCESS) or 0) >= 1, 20)
    check("a failed run is tried again 10 s later, not an interval later",
          failed and ok, "%.1f s" % (time.monotonic() - recovered_at))
    c.proc.send_signal(signal.SIGTERM)
    c.proc.wait(timeout=30 * SLOW)
finally:
    for r in [a, b] + ([c] if "c" in globals() else []):
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()
    server.shutdown()

# Usage errors.
def usage(*args):
    p = subprocess.run([BIN, "serve", "--policies", policies, "--tls-cert", os.path.join(certs, "server.crt"),
                        "--tls-key", os.path.join(certs, "server.key"), *args], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stderr


code, err = usage("--no-cluster", "--audit-interval", "10m")
check("--audit-interval without cluster access is a usage error", code == 2 and "needs cluster access" in err, err)
code, err = usage("--no-cluster", "--audit-interval", "ten minutes")
check("a bad --audit-interval is a usage error", code == 2 and "--audit-interval" in err, err)
code, err = usage("--no-cluster", "--audit-interval", "100ms")
check("an --audit-interval under a second is refused", code == 2 and "at least 1s" in err, err)
code, err = usage("--kube-api", "http://127.0.0.1:1", "--audit-interval", "1m", "--audit-lease", "nameonly")
check("a bad --audit-lease is a usage error", code == 2 and "NAMESPACE/NAME" in err, err)

check.finish()
