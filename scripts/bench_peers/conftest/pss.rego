# conftest: the Pod Security restricted checks of ../rego/lib/pss.rego as deny rules, for
# Pods and for workloads that carry a pod template (Deployments here).
package main

import data.lib.pss

pod_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

deny contains sprintf("%s: %s", [f[0], f[1]]) if {
	input.kind in pod_kinds
	some f in pss.failures(input)
}
