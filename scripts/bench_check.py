#!/usr/bin/env python3
"""Throughput of `clausegate check`: N generated manifests (Pods, Deployments,
Services, RoleBindings) against a policy set; prints manifests/second and the
peak memory of the checking process."""
import os, resource, subprocess, sys, tempfile, time

def manifests(n):
    docs = []
    for i in range(n):
        kind = ("Pod", "Deployment", "Service", "RoleBinding")[i % 4]
        ns = f"team-{i % 20}"
        priv = "true" if i % 7 == 0 else "false"
        if kind == "Pod":
            docs.append(f"""apiVersion: v1
kind: Pod
metadata: {{name: pod-{i}, namespace: {ns}, labels: {{owner: team-{i % 20}, app: a{i}}}}}
spec:
  containers:
    - name: app
      image: registry.example.com/app:{i % 50}
      resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: 500m, memory: 128Mi}}}}
      securityContext: {{privileged: {priv}, runAsNonRoot: true, allowPrivilegeEscalation: false}}
    - name: sidecar
      image: registry.example.com/proxy:1
""")
        elif kind == "Deployment":
            docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: deploy-{i}, namespace: {ns}, annotations: {{change-ticket: CHG-{i}}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{app: d{i}, owner: team-{i % 20}}}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{i % 50}
          securityContext: {{privileged: {priv}}}
""")
        elif kind == "Service":
            docs.append(f"""apiVersion: v1
kind: Service
metadata: {{name: svc-{i}, namespace: {ns}}}
spec:
  type: ClusterIP
  selector: {{app: a{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
        else:
            docs.append(f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rb-{i}, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects: [{{kind: ServiceAccount, name: sa-{i}, namespace: {ns}}}]
""")
    return "---\n".join(docs)

def main():
    binary, policies = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(manifests(n))
        path = f.name
    try:
        start = time.monotonic()
        proc = subprocess.run([binary, "check", "-p", policies, "-f", path, "-o", os.environ.get("FORMAT", "json"),
                               "--now", "2026-01-01T00:00:00Z"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.monotonic() - start
    finally:
        os.unlink(path)
    if proc.returncode not in (0, 1):
        sys.exit(f"check failed: {proc.stderr.decode()}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"check: {n} manifests in {elapsed:.2f} s = {n / elapsed:,.0f} manifests/s, peak memory {peak_mib:.1f} MiB")

if __name__ == "__main__":
    main()
