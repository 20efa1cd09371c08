# Pod Security Standards, restricted profile, as Rego (v1 syntax): one function per check, each taking
# the object (a Pod, or a workload with a pod template at spec.template) and returning the
# set of messages of its failures. Shared by the gator ConstraintTemplates (one template per
# check, see ../../gator/gen_templates.py) and by the conftest policy, so that both peers
# judge the same checks.
package lib.pss


# --- the pod spec and the metadata that carries its annotations ---

pod_spec(obj) := obj.spec if obj.kind == "Pod"

pod_spec(obj) := obj.spec.template.spec if obj.kind != "Pod"

pod_meta(obj) := object.get(obj, "metadata", {}) if obj.kind == "Pod"

pod_meta(obj) := object.get(obj.spec.template, "metadata", {}) if obj.kind != "Pod"

# Every container of the pod with its path, init and ephemeral containers included.
containers(spec) := [{"path": sprintf("%s[%d]", [field, i]), "c": c} |
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some i, c in object.get(spec, field, [])
]

ctx(c) := object.get(c, "securityContext", {})

pod_ctx(spec) := object.get(spec, "securityContext", {})

windows(spec) if spec.os.name == "windows"

# --- baseline checks (the restricted profile includes them) ---

privileged(obj) := {sprintf("%s.securityContext.privileged is true", [x.path]) |
	some x in containers(pod_spec(obj))
	ctx(x.c).privileged == true
}

host_namespaces(obj) := {sprintf("spec.%s is true", [f]) |
	spec := pod_spec(obj)
	some f in ["hostNetwork", "hostPID", "hostIPC"]
	spec[f] == true
}

host_ports(obj) := {sprintf("%s.ports[%d].hostPort is %d", [x.path, i, p.hostPort]) |
	some x in containers(pod_spec(obj))
	some i, p in object.get(x.c, "ports", [])
	object.get(p, "hostPort", 0) != 0
}

host_process(obj) := {msg |
	spec := pod_spec(obj)
	some msg in ({"spec.securityContext.windowsOptions.hostProcess is true" |
		pod_ctx(spec).windowsOptions.hostProcess == true
	} | {sprintf("%s.securityContext.windowsOptions.hostProcess is true", [x.path]) |
		some x in containers(spec)
		ctx(x.c).windowsOptions.hostProcess == true
	})
}

host_probes(obj) := {sprintf("%s.%s.%s.host is set", [x.path, h, a]) |
	some x in containers(pod_spec(obj))
	some h in ["livenessProbe", "readinessProbe", "startupProbe"]
	some a in ["httpGet", "tcpSocket"]
	object.get(object.get(object.get(x.c, h, {}), a, {}), "host", "") != ""
} | {sprintf("%s.lifecycle.%s.%s.host is set", [x.path, h, a]) |
	some x in containers(pod_spec(obj))
	some h in ["postStart", "preStop"]
	some a in ["httpGet", "tcpSocket"]
	object.get(object.get(object.get(object.get(x.c, "lifecycle", {}), h, {}), a, {}), "host", "") != ""
}

proc_mount(obj) := {sprintf("%s.securityContext.procMount is %s", [x.path, ctx(x.c).procMount]) |
	some x in containers(pod_spec(obj))
	object.get(ctx(x.c), "procMount", "Default") != "Default"
}

safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
}

sysctls(obj) := {sprintf("spec.securityContext.sysctls %s is not a safe sysctl", [s.name]) |
	some s in object.get(pod_ctx(pod_spec(obj)), "sysctls", [])
	not s.name in safe_sysctls
}

apparmor_prefix := "container.apparmor.security.beta.kubernetes.io/"

apparmor_types := {"RuntimeDefault", "Localhost"}

apparmor(obj) := {msg |
	spec := pod_spec(obj)
	some msg in ({sprintf("annotation %s is %s", [k, v]) |
		some k, v in object.get(pod_meta(obj), "annotations", {})
		startswith(k, apparmor_prefix)
		not v in {"", "runtime/default"}
		not startswith(v, "localhost/")
	} | {"spec.securityContext.appArmorProfile.type is not RuntimeDefault or Localhost" |
		p := pod_ctx(spec).appArmorProfile
		not object.get(p, "type", "") in apparmor_types
	} | {sprintf("%s.securityContext.appArmorProfile.type is not RuntimeDefault or Localhost", [x.path]) |
		some x in containers(spec)
		p := ctx(x.c).appArmorProfile
		not object.get(p, "type", "") in apparmor_types
	})
}

selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

selinux_options(spec) := array.concat(
	[{"path": "spec.securityContext", "o": o} | o := pod_ctx(spec).seLinuxOptions],
	[{"path": sprintf("%s.securityContext", [x.path]), "o": o} | some x in containers(spec); o := ctx(x.c).seLinuxOptions],
)

selinux(obj) := {msg |
	some s in selinux_options(pod_spec(obj))
	some msg in ({sprintf("%s.seLinuxOptions.type is %s", [s.path, s.o.type]) |
		not object.get(s.o, "type", "") in selinux_types
	} | {sprintf("%s.seLinuxOptions.%s is set", [s.path, f]) |
		some f in ["user", "role"]
		object.get(s.o, f, "") != ""
	})
}

# --- restricted checks ---

allowed_volume_types := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

volume_types(obj) := {sprintf("spec.volumes[%d] (%s) is not of an allowed type", [i, v.name]) |
	some i, v in object.get(pod_spec(obj), "volumes", [])
	not has_allowed_type(v)
}

has_allowed_type(v) if {
	some k, val in v
	k in allowed_volume_types
	val != null
}

privilege_escalation(obj) := {sprintf("%s.securityContext.allowPrivilegeEscalation is not false", [x.path]) |
	spec := pod_spec(obj)
	not windows(spec)
	some x in containers(spec)
	object.get(ctx(x.c), "allowPrivilegeEscalation", true) != false
}

# A container runs as non-root when it says so, or does not say and the pod says so; a pod
# in its own user namespace (hostUsers: false) is exempt.
run_as_non_root(obj) := {msg |
	spec := pod_spec(obj)
	object.get(spec, "hostUsers", true) != false
	some msg in ({"spec.securityContext.runAsNonRoot is false" |
		pod_ctx(spec).runAsNonRoot == false
	} | {sprintf("%s.securityContext.runAsNonRoot is not true", [x.path]) |
		some x in containers(spec)
		not container_non_root(spec, x.c)
	})
}

container_non_root(_, c) if ctx(c).runAsNonRoot == true

container_non_root(spec, c) if {
	not "runAsNonRoot" in object.keys(ctx(c))
	pod_ctx(spec).runAsNonRoot == true
}

run_as_user(obj) := {msg |
	spec := pod_spec(obj)
	some msg in ({"spec.securityContext.runAsUser is 0" |
		pod_ctx(spec).runAsUser == 0
	} | {sprintf("%s.securityContext.runAsUser is 0", [x.path]) |
		some x in containers(spec)
		ctx(x.c).runAsUser == 0
	})
}

seccomp_types := {"RuntimeDefault", "Localhost"}

pod_seccomp_ok(spec) if pod_ctx(spec).seccompProfile.type in seccomp_types

seccomp(obj) := {msg |
	spec := pod_spec(obj)
	not windows(spec)
	some msg in ({"spec.securityContext.seccompProfile.type is not RuntimeDefault or Localhost" |
		p := pod_ctx(spec).seccompProfile
		not object.get(p, "type", "") in seccomp_types
	} | {sprintf("%s.securityContext.seccompProfile.type is not RuntimeDefault or Localhost", [x.path]) |
		some x in containers(spec)
		p := ctx(x.c).seccompProfile
		not object.get(p, "type", "") in seccomp_types
	} | {sprintf("%s.securityContext.seccompProfile is unset and so is the pod's", [x.path]) |
		some x in containers(spec)
		not "seccompProfile" in object.keys(ctx(x.c))
		not pod_seccomp_ok(spec)
	})
}

capabilities(obj) := {msg |
	spec := pod_spec(obj)
	not windows(spec)
	some x in containers(spec)
	caps := object.get(ctx(x.c), "capabilities", {})
	some msg in ({sprintf("%s.securityContext.capabilities.drop does not hold ALL", [x.path]) |
		not "ALL" in object.get(caps, "drop", [])
	} | {sprintf("%s.securityContext.capabilities.add holds %s", [x.path, cap]) |
		some cap in object.get(caps, "add", [])
		cap != "NET_BIND_SERVICE"
	})
}

# Every failure of every check as [check, message] (Rego has no dynamic calls: each is named).
failures(obj) := {["privileged", m] | some m in privileged(obj)} |
	{["host_namespaces", m] | some m in host_namespaces(obj)} |
	{["host_ports", m] | some m in host_ports(obj)} |
	{["host_process", m] | some m in host_process(obj)} |
	{["host_probes", m] | some m in host_probes(obj)} |
	{["proc_mount", m] | some m in proc_mount(obj)} |
	{["sysctls", m] | some m in sysctls(obj)} |
	{["apparmor", m] | some m in apparmor(obj)} |
	{["selinux", m] | some m in selinux(obj)} |
	{["volume_types", m] | some m in volume_types(obj)} |
	{["privilege_escalation", m] | some m in privilege_escalation(obj)} |
	{["run_as_non_root", m] | some m in run_as_non_root(obj)} |
	{["run_as_user", m] | some m in run_as_user(obj)} |
	{["seccomp", m] | some m in seccomp(obj)} |
	{["capabilities", m] | some m in capabilities(obj)}
