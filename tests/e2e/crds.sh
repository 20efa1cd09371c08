#!/usr/bin/env bash
# Collects the CustomResourceDefinitions of what the chart's optional objects belong to,
# as their projects publish them (cert-manager's Certificate and Issuer, the Prometheus
# operator's ServiceMonitor, and the wgpolicyk8s.io PolicyReports as Kyverno installs
# them), from the Go module proxy into a cache outside the
# repository, and prints that folder. Apply it with `kubectl apply --server-side -f DIR`
# (the largest definitions exceed what a client-side apply may annotate).
#
#   CLAUSEGATE_E2E_CACHE   cache root (default ~/.cache/clausegate-e2e)
set -euo pipefail

CERT_MANAGER_VERSION=${CERT_MANAGER_VERSION:-v1.21.2}
PROMETHEUS_OPERATOR_VERSION=${PROMETHEUS_OPERATOR_VERSION:-v0.88.0}
KYVERNO_VERSION=${KYVERNO_VERSION:-v1.19.1}
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
out=$cache/crds-cert-manager-$CERT_MANAGER_VERSION-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-kyverno-$KYVERNO_VERSION

if [ ! -s "$out/clusterpolicyreports.yaml" ]; then
  command -v go >/dev/null || { echo "crds: go is required (the Go module proxy serves the definitions)" >&2; exit 2; }
  module_dir() {
    (cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$1" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  }
  cm=$(module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")
  po=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
  ky=$(module_dir "github.com/kyverno/kyverno@$KYVERNO_VERSION")
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  for kind in certificates certificaterequests issuers clusterissuers; do
    cp "$cm/deploy/crds/cert-manager.io_$kind.yaml" "$out.tmp/$kind.yaml"
  done
  cp "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$out.tmp/servicemonitors.yaml"
  for kind in policyreports clusterpolicyreports; do
    cp "$ky/config/crds/policyreport/wgpolicyk8s.io_$kind.yaml" "$out.tmp/$kind.yaml"
  done
  chmod u+w "$out.tmp"/*.yaml
  rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out"
