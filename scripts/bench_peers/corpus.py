#!/usr/bin/env python3
"""Corpus of the peer benchmark: N manifests, one file each (the one layout that all four
tools read and report per file), plus a sidecar JSON naming the Pod Security (restricted)
violations and the edge cases that each manifest was given.

The manifests are those of scripts/bench_check.py (Pods, Deployments as Helm renders them,
Services, RoleBindings), made restricted-compliant and then, for a seeded share of the Pods
and Deployments, given one or two violations of varied kinds, or an edge case that the
profile allows (NET_BIND_SERVICE, a Localhost seccomp profile, ...).

usage: corpus.py OUTDIR N SEED    (writes OUTDIR/m/*.yaml and OUTDIR/kinds.json)
"""
import json, os, random, sys

import yaml

sys.dont_write_bytecode = True  # no __pycache__ left in scripts/ by the import below
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_check import manifests  # noqa: E402

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def first(pod):
    return pod["containers"][0]


def sc(c):
    return c.setdefault("securityContext", {})


def annotate(meta, key, value):
    meta.setdefault("annotations", {})[key] = value


# Each violation: name -> mutation of (pod spec, pod metadata). The restricted profile
# denies every one of them.
def v_privileged(p, m): sc(first(p))["privileged"] = True
def v_privileged_init(p, m):
    p["initContainers"] = [{"name": "init", "image": "registry.example.com/init:1",
                            "securityContext": {"privileged": True, "allowPrivilegeEscalation": False,
                                                "capabilities": {"drop": ["ALL"]}}}]
def v_host_network(p, m): p["hostNetwork"] = True
def v_host_pid(p, m): p["hostPID"] = True
def v_host_ipc(p, m): p["hostIPC"] = True
def v_host_port(p, m): first(p).setdefault("ports", [{"containerPort": 8080}])[0]["hostPort"] = 8080
def v_host_path(p, m):
    p.setdefault("volumes", []).append({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}})
def v_nfs_volume(p, m):
    p.setdefault("volumes", []).append({"name": "share", "nfs": {"server": "nfs.example.com", "path": "/export"}})
def v_run_as_non_root_missing(p, m):
    p["securityContext"].pop("runAsNonRoot", None)
    for c in p["containers"]:
        sc(c).pop("runAsNonRoot", None)
def v_run_as_non_root_false(p, m): sc(first(p))["runAsNonRoot"] = False
def v_run_as_user_0(p, m): sc(first(p))["runAsUser"] = 0
def v_cap_add_sys_admin(p, m): sc(first(p))["capabilities"]["add"] = ["SYS_ADMIN"]
def v_cap_drop_missing(p, m): sc(first(p))["capabilities"].pop("drop")
def v_cap_drop_lowercase_all(p, m): sc(first(p))["capabilities"]["drop"] = ["all"]  # names are case-sensitive
def v_seccomp_missing(p, m): p["securityContext"].pop("seccompProfile")
def v_seccomp_unconfined(p, m): p["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
def v_seccomp_container_unconfined(p, m): sc(first(p))["seccompProfile"] = {"type": "Unconfined"}
def v_allow_priv_esc_true(p, m): sc(first(p))["allowPrivilegeEscalation"] = True
def v_allow_priv_esc_missing(p, m): sc(first(p)).pop("allowPrivilegeEscalation")
def v_proc_mount_unmasked(p, m): sc(first(p))["procMount"] = "Unmasked"
def v_sysctl_unsafe(p, m): p["securityContext"]["sysctls"] = [{"name": "kernel.msgmax", "value": "65536"}]
def v_apparmor_annotation(p, m):
    annotate(m, "container.apparmor.security.beta.kubernetes.io/" + first(p)["name"], "unconfined")
def v_apparmor_field(p, m): sc(first(p))["appArmorProfile"] = {"type": "Unconfined"}
def v_selinux_type(p, m): sc(first(p))["seLinuxOptions"] = {"type": "spc_t"}
def v_selinux_user(p, m): p["securityContext"]["seLinuxOptions"] = {"user": "sysadm_u"}
def v_host_probe(p, m):
    first(p)["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080, "host": "10.0.0.1"}}
def v_host_process(p, m): sc(first(p))["windowsOptions"] = {"hostProcess": True}


# Edge cases the restricted profile admits.
def ok_net_bind_service(p, m): sc(first(p))["capabilities"]["add"] = ["NET_BIND_SERVICE"]
def ok_seccomp_localhost(p, m):
    p["securityContext"]["seccompProfile"] = {"type": "Localhost", "localhostProfile": "profiles/app.json"}
def ok_seccomp_localhost_no_profile(p, m):
    p["securityContext"]["seccompProfile"] = {"type": "Localhost"}
def ok_run_as_non_root_per_container(p, m):
    p["securityContext"].pop("runAsNonRoot", None)
    for c in p["containers"]:
        sc(c)["runAsNonRoot"] = True
def ok_safe_sysctl(p, m): p["securityContext"]["sysctls"] = [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]
def ok_newer_safe_sysctl(p, m):
    # In the safe set of recent Kubernetes releases (clausegate follows v1.37), not of older ones.
    p["securityContext"]["sysctls"] = [{"name": "net.ipv4.tcp_notsent_lowat", "value": "16384"}]
def ok_image_volume(p, m):
    p.setdefault("volumes", []).append({"name": "models", "image": {"reference": "registry.example.com/models:1"}})
def ok_selinux_container_t(p, m): sc(first(p))["seLinuxOptions"] = {"type": "container_t", "level": "s0:c123,c456"}
def ok_apparmor_runtime_default(p, m):
    annotate(m, "container.apparmor.security.beta.kubernetes.io/" + first(p)["name"], "runtime/default")
    sc(first(p))["appArmorProfile"] = {"type": "RuntimeDefault"}
def ok_windows_pod(p, m):
    # Windows pods are exempt from the seccomp, capabilities and privilege-escalation checks.
    p["os"] = {"name": "windows"}
    p["securityContext"].pop("seccompProfile")
    for c in p["containers"]:
        sc(c).pop("capabilities", None)
        sc(c).pop("allowPrivilegeEscalation", None)
def ok_user_namespace(p, m):
    # A pod in its own user namespace (hostUsers: false) need not set runAsNonRoot.
    p["hostUsers"] = False
    v_run_as_non_root_missing(p, m)
def ok_host_port_zero(p, m): first(p).setdefault("ports", [{"containerPort": 8080}])[0]["hostPort"] = 0


def named(prefix):
    return {k[len(prefix):].replace("_", "-"): f for k, f in globals().items() if k.startswith(prefix)}


VIOLATIONS = named("v_")
EDGES = {"ok:" + k: f for k, f in named("ok_").items()}


def harden(kind, doc):
    """The bench_check shapes made restricted-compliant: its Pods' sidecar has no security
    context and one Deployment in seven is privileged."""
    pod = doc["spec"] if kind == "Pod" else doc["spec"]["template"]["spec"]
    pod.setdefault("securityContext", {}).update({"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
    for c in pod["containers"]:
        s = sc(c)
        s.update({"privileged": False, "allowPrivilegeEscalation": False})
        s.setdefault("capabilities", {"drop": ["ALL"]})
    if kind == "Pod":
        first(pod)["ports"] = [{"name": "http", "containerPort": 8080}]
    return pod, (doc["metadata"] if kind == "Pod" else doc["spec"]["template"]["metadata"])


def main():
    out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "m"), exist_ok=True)
    vnames, enames = sorted(VIOLATIONS), sorted(EDGES)
    sidecar = {}
    for i, text in enumerate(manifests(n).split("---\n")):
        doc = yaml.load(text, Loader=Loader)
        kind, meta = doc["kind"], doc["metadata"]
        kinds = []
        if kind in ("Pod", "Deployment"):
            pod, pmeta = harden(kind, doc)
            # Half the corpus carries a pod spec: 60% of those violate, so ~30% of all.
            r = rng.random()
            if r < 0.6:
                kinds = rng.sample(vnames, 1 if rng.random() < 0.8 else 2)
            elif r < 0.8:
                kinds = [rng.choice(enames)]
            for k in kinds:
                (VIOLATIONS.get(k) or EDGES[k])(pod, pmeta)
        name = f"{i:05d}-{kind.lower()}.yaml"
        with open(os.path.join(out, "m", name), "w") as f:
            yaml.dump(doc, f, Dumper=Dumper, sort_keys=False, default_flow_style=False)
        key = f"{kind}/{meta.get('namespace', '')}/{meta['name']}"
        sidecar[key] = {"file": name, "kinds": kinds}
    with open(os.path.join(out, "kinds.json"), "w") as f:
        json.dump(sidecar, f, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
