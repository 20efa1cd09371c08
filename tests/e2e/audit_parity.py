#!/usr/bin/env python3
"""`clausegate audit` against a real API server: what already runs is judged as
`clausegate check` judges the same objects fetched back from the cluster.

    audit_parity.py create  CLAUSEGATE WORKDIR REPO_ROOT   (before the webhook is registered)
    audit_parity.py compare CLAUSEGATE WORKDIR REPO_ROOT   (any time after)

`create` makes a few hundred mixed objects (the policy library's fixtures, copied into
several namespaces) while no webhook judges them; `compare` runs `audit -o json`,
fetches every listed kind back with kubectl, runs `check -o json` on that, and compares
the verdicts object by object (every rule's outcome). It then fixes one violating
object and checks that the next audit no longer lists it. KUBECONFIG must be set.
"""
import glob
import json
import os
import subprocess
import sys

import yaml

mode, binary, work, root = sys.argv[1:5]
policies = os.path.join(work, "policies")
lib = os.path.join(root, "policies")
NAMESPACES = {
    "audit-prod": {"clausegate.io/tenant": "acme", "clausegate.io/environment": "production", "clausegate.io/owner": "shop-team"},
    "audit-dev": {"clausegate.io/tenant": "acme", "clausegate.io/environment": "development", "clausegate.io/owner": "shop-team"},
    "audit-bare": {},
}
COPIES = 1  # each fixture in each namespace this many times


def kubectl(*args, stdin=None):
    return subprocess.run(["kubectl", "--request-timeout=60s", *args], input=stdin, capture_output=True, text=True)


def fixtures():
    files = sorted(glob.glob(f"{lib}/*/testdata/*.yaml"))
    for f in files:
        if "review" in os.path.basename(f):
            continue
        for doc in yaml.safe_load_all(open(f)):
            if isinstance(doc, dict) and doc.get("kind") and doc.get("metadata", {}).get("name"):
                if doc["kind"] in ("Namespace", "List", "AdmissionReview"):
                    continue
                yield doc


def create():
    for ns, labels in NAMESPACES.items():
        doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        kubectl("apply", "-f", "-", stdin=json.dumps(doc))
    docs = []
    for doc in fixtures():
        cluster_scoped = doc["kind"] in ("ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass")
        for ns in (["-"] if cluster_scoped else NAMESPACES):
            for i in range(COPIES if not cluster_scoped else 1):
                d = json.loads(json.dumps(doc))
                d["metadata"]["name"] = "%s-a%d" % (d["metadata"]["name"], i)
                if cluster_scoped:
                    d["metadata"].pop("namespace", None)
                else:
                    d["metadata"]["namespace"] = ns
                docs.append(d)
    # One request for all; objects the API server refuses (invalid on purpose) are left out.
    r = kubectl("create", "-o", "name", "-f", "-", stdin=yaml.safe_dump_all(docs))
    created = [l for l in r.stdout.splitlines() if l.strip()]
    json.dump(created, open(os.path.join(work, "audit-created.json"), "w"))
    print("%d objects created before the webhook was registered (%d offered)" % (len(created), len(docs)))
    return 0 if len(created) >= 200 else 1


def verdicts(report):
    """(kind, namespace, name) -> sorted [(policy, rule, outcome)] of the rules that did not pass."""
    out = {}
    for r in report["results"]:
        o = r["object"]
        key = (o["kind"], o.get("namespace", ""), o["name"])
        out[key] = sorted((v["policy"], v["rule"], v["outcome"]) for v in r["verdicts"] if v["outcome"] != "pass")
    return out


def has_null(v):
    if isinstance(v, dict):
        return any(x is None or has_null(x) for x in v.values())
    if isinstance(v, list):
        return any(x is None or has_null(x) for x in v)
    return False


def audit(extra=()):
    r = subprocess.run([binary, "audit", "-p", policies, "-o", "json", "--page-size", "50", *extra],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        print("audit failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        sys.exit(1)
    return json.loads(r.stdout), r.returncode


def compare():
    report, audit_exit = audit()
    got = verdicts(report)
    created = json.load(open(os.path.join(work, "audit-created.json")))
    # The same objects fetched back, and every namespace (its labels and object), through check.
    kinds = sorted({c.split("/", 1)[0] for c in created})
    r = kubectl("get", ",".join(kinds + ["namespaces"]), "-A", "-o", "json")
    if r.returncode != 0:
        print("kubectl get failed: " + r.stderr)
        return 1
    fetched = os.path.join(work, "audit-fetched.json")
    open(fetched, "w").write(r.stdout)
    by_key = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in json.loads(r.stdout)["items"]}
    # kubectl prints one List of everything: far above the bound on one object.
    c = subprocess.run([binary, "check", "-p", policies, "-o", "json", "--max-document-bytes", str(1 << 28), "-f", fetched],
                       capture_output=True, text=True)
    want = verdicts(json.loads(c.stdout))
    mismatches, nulls, compared = [], [], 0
    for key, rules in want.items():
        if key not in got:
            mismatches.append("%s %s/%s: judged by check, not by audit" % key)
            continue
        compared += 1
        if got[key] != rules:
            line = "%s %s/%s: audit %s, check %s" % (key + (got[key], rules))
            # check reads a manifest's null fields as unset; the API server sends a field
            # without omitempty (ClusterRole rules) as null, and audit judges what it sends.
            (nulls if has_null(by_key.get(key)) else mismatches).append(line)
    violating = sum(1 for k, v in got.items() if any(o[2] == "fail" for o in v))
    print("audit: %d objects judged, %d violating (exit %d); check on the same objects fetched back: %d compared, "
          "%d differ, %d more only where the API server sends a null field" %
          (len(got), violating, audit_exit, compared, len(mismatches), len(nulls)))
    for m in (mismatches + nulls)[:20]:
        print("  " + m)
    if mismatches or compared < 200 or len(nulls) > 10 or audit_exit != c.returncode:
        return 1

    # A violating object fixed in place is gone from the next audit's violations.
    # One whose only violations a valid change ticket fixes.
    target = next((k for k, v in sorted(got.items())
                   if k[0] == "ConfigMap" and k[1] == "audit-prod" and any(o[2] == "fail" for o in v)
                   and all(o[0] == "require-change-ticket" for o in v if o[2] == "fail")), None)
    if target is None:
        print("no ConfigMap in audit-prod that only a change ticket would fix")
        return 1
    before = [o for o in got[target] if o[2] == "fail"]
    # -n: the same audit, one namespace.
    scoped, _ = audit(["-n", "audit-prod"])
    outside = [k for k in verdicts(scoped) if k[1] != "audit-prod"]
    if outside:
        print("audit -n audit-prod judged objects elsewhere: %s" % outside[:3])
        return 1
    # The fix is a change like any other: the webhook judges it (a valid ticket passes).
    r = kubectl("annotate", "--overwrite", "configmap", "-n", target[1], target[2], "clausegate.io/change-ticket=CHG-1234")
    if r.returncode != 0:
        print("the fix was refused: " + r.stderr)
        return 1
    again, _ = audit(["-n", "audit-prod"])
    after = [o for o in verdicts(again).get(target, []) if o[2] == "fail"]
    print("fixed %s %s/%s: violations %s -> %s" % (target + ([o[0] + "/" + o[1] for o in before], after)))
    return 0 if before and not after else 1


sys.exit(create() if mode == "create" else compare())
