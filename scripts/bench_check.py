#!/usr/bin/env python3
"""Throughput of `clausegate check`: N generated manifests (Pods, Deployments as Helm
renders them, Services, RoleBindings) against a policy set, in text and JSON output,
with the whole set and with the Pod Security restricted profile alone; prints
manifests/second and the peak memory of each checking process."""
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
            env = "".join(f"""            - name: SETTING_{k}
              value: "value-{i}-{k}"
""" for k in range(12))
            docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: deploy-{i}
  namespace: {ns}
  labels: {{app.kubernetes.io/name: d{i}, app.kubernetes.io/instance: release-{i % 97}, app.kubernetes.io/managed-by: Helm, helm.sh/chart: app-1.2.{i % 10}, owner: team-{i % 20}}}
  annotations: {{change-ticket: CHG-{i}, meta.helm.sh/release-name: release-{i % 97}, meta.helm.sh/release-namespace: {ns}}}
spec:
  replicas: 2
  revisionHistoryLimit: 5
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}}}
  selector: {{matchLabels: {{app.kubernetes.io/name: d{i}, app.kubernetes.io/instance: release-{i % 97}}}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: d{i}, app.kubernetes.io/instance: release-{i % 97}, owner: team-{i % 20}}}
      annotations: {{checksum/config: 5d41402abc4b2a76b9719d911017c592{i:08d}, prometheus.io/scrape: "true", prometheus.io/port: "9090"}}
    spec:
      serviceAccountName: app-{i % 20}
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
        - name: app
          image: registry.example.com/app:{i % 50}
          imagePullPolicy: IfNotPresent
          args: ["--listen=:8080", "--metrics=:9090", "--log-level=info"]
          ports:
            - {{name: http, containerPort: 8080, protocol: TCP}}
            - {{name: metrics, containerPort: 9090, protocol: TCP}}
          env:
{env}          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: "1", memory: 256Mi}}}}
          readinessProbe: {{httpGet: {{path: /ready, port: http}}, periodSeconds: 5, failureThreshold: 3}}
          livenessProbe: {{httpGet: {{path: /healthz, port: http}}, initialDelaySeconds: 10, periodSeconds: 10}}
          securityContext:
            privileged: {priv}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          volumeMounts:
            - {{name: config, mountPath: /etc/app, readOnly: true}}
            - {{name: tmp, mountPath: /tmp}}
      volumes:
        - name: config
          configMap: {{name: app-config-{i}}}
        - name: tmp
          emptyDir: {{sizeLimit: 64Mi}}
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

def measure(binary, policies, path, n, output, selector):
    cmd = [binary, "check", "-p", policies, "-f", path, "-o", output, "--now", "2026-01-01T00:00:00Z"]
    if selector:
        cmd += ["-l", selector]
    # Each run in its own child, so that the peak memory is that run's alone.
    probe = ("import resource, subprocess, sys, time; s = time.monotonic(); "
             "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
             "e = time.monotonic() - s; "
             "print(p.returncode, e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); "
             "sys.stderr.write(p.stderr.decode()[-2000:] if p.returncode not in (0, 1) else '')")
    out = subprocess.run([sys.executable, "-c", probe] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rc, elapsed, peak = out.stdout.split()
    if int(rc) not in (0, 1):
        sys.exit(f"check failed: {out.stderr}")
    return float(elapsed), float(peak)


def main():
    binary, policies = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(manifests(n))
        path = f.name
    try:
        size_mb = os.path.getsize(path) / 1e6
        print(f"check: {n} manifests, {size_mb:.1f} MB of YAML")
        profiles = [("whole set", "")]
        if os.path.isdir(policies):
            profiles.append(("pod-security-restricted", "clausegate.io/pod-security-restricted=true"))
        # The machine's speed varies from run to run: each figure is the best of three, and
        # the JSON/text ratio compares runs made side by side.
        for label, selector in profiles:
            best = {}
            for output in ("text", "json"):
                runs = [measure(binary, policies, path, n, output, selector) for _ in range(3)]
                best[output] = min(runs)
                elapsed = best[output][0]
                peak = max(r[1] for r in runs)
                print(f"  {label:24} -o {output:5} {elapsed:6.2f} s = {n / elapsed:8,.0f} manifests/s, peak memory {peak:5.1f} MiB")
            print(f"  {label:24} json/text time ratio {best['json'][0] / best['text'][0]:.2f}")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
