#!/usr/bin/env python3
"""The background audit of `clausegate serve` against a real API server:

    background_audit.py CLAUSEGATE WORKDIR REPO_ROOT LEASE_NAMESPACE

Two replicas run with --audit-interval and a short Lease. Exactly one holds the
Lease and writes; its PolicyReports (one per namespace, the wgpolicyk8s.io CRDs
installed) say what `clausegate audit -o policyreport` says of the same cluster,
result by result; a report whose content did not change is not written again (its
resourceVersion stays); an object the webhook never judged (kube-system is left out
of admission) appears in its namespace's report and leaves it once fixed; the
leader killed with SIGKILL, the other replica leads within the Lease duration and
audits. KUBECONFIG must be set; the PolicyReport CRDs installed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import testkit  # noqa: E402

binary, work, root, lease_ns = sys.argv[1:5]
policies = os.path.join(work, "policies")
LEASE_SECONDS = 5
INTERVAL = 3
check = testkit.Checks("background audit")


def kubectl(*args, stdin=None):
    return subprocess.run(["kubectl", "--request-timeout=60s", *args], input=stdin, capture_output=True, text=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Replica:
    def __init__(self, identity):
        self.identity, self.health = identity, free_port()
        self.log_path = os.path.join(work, "background-%s.log" % identity)
        self.proc = subprocess.Popen(
            [binary, "serve", "--policies", policies, "--tls-cert", os.path.join(work, "pki/server.crt"),
             "--tls-key", os.path.join(work, "pki/server.key"), "--address", "127.0.0.1", "--port", str(free_port()),
             "--health-port", str(self.health), "--kubeconfig", os.environ["KUBECONFIG"], "--log-level", "warn",
             "--audit-interval", "%ds" % INTERVAL, "--audit-lease", lease_ns + "/e2e-audit", "--audit-identity", identity,
             "--audit-lease-seconds", str(LEASE_SECONDS)],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))

    def metrics(self):
        return testkit.scrape(self.health)

    def runs(self):
        return self.metrics().get('clausegate_audit_runs_total{result="success"}', 0)

    def leading(self):
        return self.metrics().get("clausegate_audit_leader") == 1


def wait_for(cond, seconds):
    return testkit.wait_for(cond, seconds, every=0.2)


def reports():
    """Every PolicyReport and ClusterPolicyReport clausegate wrote, by namespace ("" for the cluster)."""
    out = {}
    for kind in ("policyreports", "clusterpolicyreports"):
        p = kubectl("get", kind, "-A", "-l", "app.kubernetes.io/managed-by=clausegate", "-o", "json")
        for r in json.loads(p.stdout or '{"items": []}')["items"]:
            out[r["metadata"].get("namespace", "")] = r
    return out


def normal(report):
    """What a report says, without the times of the run that wrote it."""
    results = sorted(json.dumps({k: v for k, v in r.items() if k != "timestamp"}, sort_keys=True)
                     for r in report.get("results", []))
    return {"summary": report.get("summary"), "results": results,
            "omitted": report["metadata"].get("annotations", {}).get("clausegate.io/results-omitted")}


# A violation the webhook never saw: kube-system is left out of admission, not of the audit.
privileged = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bg-privileged", "namespace": "kube-system"},
              "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0",
                                       "securityContext": {"privileged": True}}]}}
p = kubectl("apply", "-f", "-", stdin=json.dumps(privileged))
check("a privileged Pod in kube-system, where admission does not look", p.returncode == 0, p.stderr)

a, b = Replica("e2e-a"), Replica("e2e-b")
try:
    leader = wait_for(lambda: next((r for r in (a, b) if r.runs() >= 1), None), 60)
    check("one replica audits", leader is not None, [open(r.log_path).read()[-1500:] for r in (a, b)])
    if not leader:
        sys.exit(1)
    follower = b if leader is a else a
    time.sleep(INTERVAL + 1)
    fm = follower.metrics()
    follower_writes = sum(v for k, v in fm.items() if k.startswith(("clausegate_audit_runs_total",
                                                                     "clausegate_audit_reports_total")))
    check("exactly one writes: %s leads, %s has audited and written nothing" % (leader.identity, follower.identity),
          leader.leading() and fm.get("clausegate_audit_leader") == 0 and follower_writes == 0,
          {k: v for k, v in fm.items() if "audit" in k})
    lease = json.loads(kubectl("get", "lease", "-n", lease_ns, "e2e-audit", "-o", "json").stdout or "{}")
    check("the Lease names the leader", lease.get("spec", {}).get("holderIdentity") == leader.identity,
          lease.get("spec"))

    # The stored reports say what `clausegate audit -o policyreport` says, namespace by namespace.
    runs = leader.runs()
    wait_for(lambda: leader.runs() > runs, 30)
    stored = reports()
    cli = subprocess.run([binary, "audit", "-p", policies, "-o", "policyreport"], capture_output=True, text=True)
    import yaml
    printed = {r["metadata"].get("namespace", ""): r for r in yaml.safe_load_all(cli.stdout) if r}
    differ = [ns for ns in sorted(set(stored) | set(printed))
              if ns not in stored or ns not in printed or normal(stored[ns]) != normal(printed[ns])]
    results = sum(len(r.get("results", [])) for r in stored.values())
    check("%d PolicyReports (%d results) as `clausegate audit -o policyreport` gives them" % (len(stored), results),
          cli.returncode in (0, 1) and stored and not differ, (differ[:5], cli.stderr[-500:]))
    ks = stored.get("kube-system", {})
    check("the Pod admission never judged is in kube-system's report",
          any(r["result"] == "fail" and r["resources"][0]["name"] == "bg-privileged" for r in ks.get("results", [])),
          ks.get("summary"))
    versions = {ns: r["metadata"]["resourceVersion"] for ns, r in stored.items()}
    runs = leader.runs()
    wait_for(lambda: leader.runs() >= runs + 2, 30)
    after = {ns: r["metadata"]["resourceVersion"] for ns, r in reports().items()}
    check("two runs later no unchanged report was written again (resourceVersions kept)", after == versions,
          [ns for ns in versions if after.get(ns) != versions[ns]][:5])

    # Fixed: the object leaves the report on the next run.
    kubectl("delete", "pod", "-n", "kube-system", "bg-privileged", "--wait=false")
    kubectl("delete", "pod", "-n", "kube-system", "bg-privileged", "--grace-period=0", "--force")

    def gone():
        r = reports().get("kube-system")
        return r is None or not any(x["resources"][0]["name"] == "bg-privileged" for x in r.get("results", []))
    check("the fixed object is gone from the report on the next run", wait_for(gone, 30))

    # The leader dies without a word: the other takes over within the Lease duration.
    leader.proc.send_signal(signal.SIGKILL)
    leader.proc.wait()
    killed = time.monotonic()
    took = wait_for(follower.leading, LEASE_SECONDS * 4)
    seconds = time.monotonic() - killed
    check("after SIGKILL of the leader the other leads in %.1f s (Lease %d s)" % (seconds, LEASE_SECONDS),
          took and seconds <= LEASE_SECONDS + LEASE_SECONDS / 7 + 2)
    check("and audits", wait_for(lambda: follower.runs() >= 1, 30), open(follower.log_path).read()[-1000:])
    lease = json.loads(kubectl("get", "lease", "-n", lease_ns, "e2e-audit", "-o", "json").stdout or "{}")
    check("the Lease changed hands", lease.get("spec", {}).get("holderIdentity") == follower.identity, lease.get("spec"))
    follower.proc.send_signal(signal.SIGTERM)
    check("SIGTERM: exits 0", follower.proc.wait(timeout=60) == 0)
    lease = json.loads(kubectl("get", "lease", "-n", lease_ns, "e2e-audit", "-o", "json").stdout or "{}")
    check("and gives the Lease up", not lease.get("spec", {}).get("holderIdentity"), lease.get("spec"))
finally:
    for r in (a, b):
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()

check.finish()
