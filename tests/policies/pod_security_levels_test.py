#!/usr/bin/env python3
"""The Pod Security Standards levels, as the upstream standard defines them.

Every fixture of the shipped Pod Security Standards policies names, in the annotation
test.clausegate.io/denied-by, the checks that must deny it. Selecting a level with
-l clausegate.io/pod-security-<level>=true must then deny exactly the fixtures that the
upstream level rejects, by exactly those of its checks, and admit every other one. The
restricted level replaces four baseline checks (hostPath volumes, baseline capabilities,
baseline seccomp, baseline /proc mount) by stricter ones, so those four are baseline only.
"""
import glob
import json
import os
import subprocess
import sys

import yaml

binary = os.environ["CLAUSEGATE"]
root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
policies = os.path.join(root, "policies")
fixtures = sorted(glob.glob(os.path.join(policies, "secure-configuration", "testdata", "pss-*.yaml")))

# (kind, name) -> the policies that must deny it, from the fixtures themselves.
expect = {}
for f in fixtures:
    with open(f) as fh:
        for doc in yaml.safe_load_all(fh):
            if doc:
                denied = doc["metadata"]["annotations"]["test.clausegate.io/denied-by"]
                expect[(doc["kind"], doc["metadata"]["name"])] = set(filter(None, denied.split(",")))

# The checks of each level, as upstream lists them (v1.37).
LEVELS = {
    "baseline": {"pss-privileged", "pss-host-namespaces", "pss-host-ports", "pss-host-path-volumes",
                 "pss-capabilities-baseline", "pss-selinux", "pss-proc-mount", "pss-seccomp-baseline", "pss-sysctls",
                 "pss-apparmor", "pss-host-process", "pss-host-probes-lifecycle"},
}
LEVELS["restricted"] = (LEVELS["baseline"] - {"pss-host-path-volumes", "pss-capabilities-baseline",
                                               "pss-seccomp-baseline", "pss-proc-mount"}) | {
    "pss-volume-types", "pss-privilege-escalation", "pss-run-as-non-root", "pss-run-as-user",
    "pss-seccomp-restricted", "pss-capabilities-restricted", "pss-proc-mount-restricted"}

failures = checked = 0
for level, members in LEVELS.items():
    selector = f"clausegate.io/pod-security-{level}=true"
    # The label selects exactly the level's checks.
    out = subprocess.run([binary, "controls", "-p", policies, "-l", selector, "-o", "json"],
                         capture_output=True, text=True, check=True).stdout
    selected = {rule.split("/")[0] for c in json.loads(out)["controls"] for rule in c["rules"]}
    if selected != members:
        failures += 1
        print(f"FAIL {level}: the selector picks {sorted(selected ^ members)} wrongly")
    args = [binary, "check", "-p", policies, "-l", selector, "-o", "json", "--now", "2026-01-01T00:00:00Z"]
    for f in fixtures:
        args += ["-f", f]
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        print(f"FAIL {level}: clausegate check exited {run.returncode}: {run.stderr}")
        sys.exit(1)
    for r in json.loads(run.stdout)["results"]:
        o = r["object"]
        checked += 1
        denied_by = sorted({v["policy"] for v in r["verdicts"] if v["verdict"] == "DENY"})
        want = sorted(expect[(o["kind"], o["name"])] & members)
        if denied_by != want or r["allowed"] != (not want):
            failures += 1
            print(f"FAIL {level}: {o['kind']}/{o['name']}: denied by {denied_by or 'nothing'}, "
                  f"the standard denies it by {want or 'nothing'}")
print(f"pod security levels: {checked} verdicts checked, {failures} wrong")
sys.exit(1 if failures else 0)
