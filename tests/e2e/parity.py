#!/usr/bin/env python3
"""CLI-webhook parity: the same manifests through `clausegate check` and through the
API server (kubectl create --dry-run=server) must get the same verdicts and the same
denying rules. Objects the API server rejects before admission (invalid specs) and
objects in namespaces the webhook never sees are not compared.

    parity.py CLAUSEGATE WORKDIR REPO_ROOT     (KUBECONFIG set; the webhook registered)
"""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

binary, work, root = sys.argv[1:4]
policies = os.path.join(work, "policies")
lib = os.path.join(root, "policies")
files = sorted(glob.glob(f"{lib}/secure-configuration/testdata/*.yaml")) + [
    f"{lib}/segregation/testdata/pods.yaml",
    f"{lib}/segregation/testdata/rbac.yaml",
    f"{lib}/segregation/testdata/services.yaml",
    f"{lib}/change-management/testdata/new.yaml",
]
files = [f for f in files if "review" not in os.path.basename(f) and "pod-updates" not in os.path.basename(f)]
EXCLUDED_NAMESPACES = {"kube-system", "clausegate"}
NAMESPACES = {
    "shop": {"clausegate.io/tenant": "acme", "clausegate.io/environment": "production", "clausegate.io/owner": "shop-team"},
    "monitoring": {},
}
USER, GROUPS = "e2e-admin", ["system:masters", "system:authenticated"]


def kubectl(*args):
    return subprocess.run(["kubectl", "--request-timeout=30s", *args], capture_output=True, text=True)


for ns, labels in NAMESPACES.items():
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
    subprocess.run(["kubectl", "apply", "-f", "-"], input=json.dumps(doc), capture_output=True, text=True)

compared = skipped = 0
mismatches = []
for f in files:
    # The API server: created (allowed), denied by the webhook (with its rules), or
    # rejected before admission (skipped).
    r = kubectl("create", "--dry-run=server", "-o", "name", "-f", f)
    api = {}
    for line in r.stdout.splitlines():
        kind_name = line.strip().split("/", 1)
        if len(kind_name) == 2:
            api[(kind_name[0].split(".")[0].lower(), kind_name[1])] = ("allowed", set())
    for block in re.split(r"(?m)^Error from server", r.stderr):
        m = re.search(r"\[clausegate\] (\w+) (?:[\w.-]+/)?([\w.:-]+) denied by", block)
        if not m:
            continue
        rules = set(re.findall(r"(?m)^- ([\w.-]+/[\w.-]+)(?: \(|:)", block))
        api[(m.group(1).lower(), m.group(2))] = ("denied", rules)

    # The CLI, with the same namespaces, user and policies.
    args = [binary, "check", "-p", policies, "-f", f, "-o", "json", "--user", USER, "--groups", ",".join(GROUPS)]
    for ns, labels in list(NAMESPACES.items()) + [("default", {})]:
        pairs = dict(labels, **{"kubernetes.io/metadata.name": ns})
        args += ["--namespace-labels", ns + "=" + ",".join(f"{k}={v}" for k, v in pairs.items())]
    c = subprocess.run(args, capture_output=True, text=True)
    if c.returncode not in (0, 1):
        mismatches.append(f"{f}: clausegate check exited {c.returncode}: {c.stderr.strip()}")
        continue
    for res in json.loads(c.stdout)["results"]:
        o = res["object"]
        if o["namespace"] in EXCLUDED_NAMESPACES:
            continue
        key = (o["kind"].lower(), o["name"])
        if key not in api:
            skipped += 1  # rejected by the API server before admission
            continue
        cli_rules = {f"{v['policy']}/{v['rule']}" for v in res["verdicts"] if v["verdict"] == "DENY"}
        cli = ("allowed", set()) if res["allowed"] else ("denied", cli_rules)
        compared += 1
        if cli != api[key]:
            mismatches.append(f"{o['kind']}/{o['name']} ({os.path.relpath(f, root)}): "
                              f"check says {cli[0]} {sorted(cli[1])}, the API server {api[key][0]} {sorted(api[key][1])}")

for m in mismatches:
    print("MISMATCH " + m)
print(f"parity: {compared} objects compared, {skipped} rejected before admission, {len(mismatches)} mismatches")
sys.exit(1 if mismatches or compared == 0 else 0)
