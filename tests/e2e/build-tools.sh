#!/usr/bin/env bash
# Builds the end-to-end tools from the Go module proxy into a cache outside the
# repository, once per version: helm, etcd, kube-apiserver and the kubectl of the
# same Kubernetes release; with --node also what a node and its control plane run
# (kube-apiserver, kube-controller-manager, kube-scheduler and kubelet, stamped with
# their release so that the node reports it). Prints nothing but progress on stderr;
# `build-tools.sh --print-dir` prints the directory of each tool.
#
#   CLAUSEGATE_E2E_CACHE   cache root (default ~/.cache/clausegate-e2e)
set -euo pipefail

KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
here=$(cd "$(dirname "$0")" && pwd)

helm_dir=$cache/helm-$HELM_VERSION
etcd_dir=$cache/etcd-$ETCD_VERSION
apiserver_dir=$cache/kube-apiserver-$KUBERNETES_VERSION
node_dir=$cache/kube-node-$KUBERNETES_VERSION
node_tools="kube-apiserver kube-controller-manager kube-scheduler kubelet"
if [ "${1:-}" = "--print-dir" ]; then
  echo "HELM=$helm_dir/helm ETCD=$etcd_dir/etcd KUBE_APISERVER=$apiserver_dir/kube-apiserver KUBECTL=$apiserver_dir/kubectl" \
    "NODE_TOOLS=$node_dir"
  exit 0
fi
node=false
[ "${1:-}" = "--node" ] && node=true

command -v go >/dev/null || { echo "build-tools: go is required (the Go module proxy builds the tools)" >&2; exit 2; }
export GOFLAGS=-buildvcs=false CGO_ENABLED=0
mkdir -p "$cache"
log() { echo "build-tools: $*" >&2; }

if [ ! -x "$helm_dir/helm" ]; then
  log "helm $HELM_VERSION"
  GOBIN="$helm_dir.tmp" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  rm -rf "$helm_dir" && mv "$helm_dir.tmp" "$helm_dir"
fi

# etcd and kube-apiserver are main packages of modules whose go.mod replaces their
# sibling modules with local paths, which `go install pkg@version` refuses. A small
# wrapper module requires them at the published versions instead.
if [ ! -x "$etcd_dir/etcd" ]; then
  log "etcd $ETCD_VERSION"
  src=$cache/src/etcd-$ETCD_VERSION
  rm -rf "$src" && mkdir -p "$src"
  cp "$here/tools/etcd/main.go" "$src/"
  (cd "$src" && go mod init clausegate.io/e2e/etcd >/dev/null 2>&1 &&
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 && go mod tidy >/dev/null 2>&1 &&
    go build -trimpath -o "$etcd_dir.tmp/etcd" .)
  rm -rf "$etcd_dir" && mv "$etcd_dir.tmp" "$etcd_dir"
fi

if [ ! -x "$apiserver_dir/kube-apiserver" ] || [ ! -x "$apiserver_dir/kubectl" ]; then
  log "kube-apiserver and kubectl $KUBERNETES_VERSION (several minutes the first time)"
  src=$cache/src/kube-apiserver-$KUBERNETES_VERSION
  rm -rf "$src" && mkdir -p "$src"
  staging=v0.${KUBERNETES_VERSION#v1.}
  # k8s.io/kubernetes requires its staging modules as v0.0.0 and replaces them with
  # ./staging paths; pin each to the published release that matches.
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module clausegate.io/e2e/kube-apiserver"
    echo
    echo "go $(sed -n 's/^go //p' "$modfile" | head -1)"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#replace \1 => \1 '"$staging"'#p' "$modfile"
  } >"$src/go.mod"
  cp "$here/tools/kube-apiserver/main.go" "$src/"
  (cd "$src" && go mod tidy >/dev/null 2>&1 && go build -trimpath -o "$apiserver_dir.tmp/kube-apiserver" . &&
    go build -mod=mod -trimpath -o "$apiserver_dir.tmp/kubectl" k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$apiserver_dir" && mv "$apiserver_dir.tmp" "$apiserver_dir"
fi
if $node; then
  missing=false
  for t in $node_tools; do [ -x "$node_dir/$t" ] || missing=true; done
  if $missing; then
    log "kube-apiserver, kube-controller-manager, kube-scheduler, kubelet $KUBERNETES_VERSION (about 10 minutes the first time)"
    src=$cache/src/kube-apiserver-$KUBERNETES_VERSION
    [ -f "$src/go.mod" ] || { log "the kube-apiserver module is missing: run without --node first"; exit 2; }
    major=${KUBERNETES_VERSION#v}; major=${major%%.*}
    minor=${KUBERNETES_VERSION#v$major.}; minor=${minor%%.*}
    ldflags=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf "$node_dir.tmp" && mkdir -p "$node_dir.tmp"
    (cd "$src" &&
      go build -trimpath -ldflags "$ldflags" -o "$node_dir.tmp/kube-apiserver" . &&
      for t in kube-controller-manager kube-scheduler kubelet; do
        go build -mod=mod -trimpath -ldflags "$ldflags" -o "$node_dir.tmp/$t" "k8s.io/kubernetes/cmd/$t" || exit 1
      done)
    rm -rf "$node_dir" && mv "$node_dir.tmp" "$node_dir"
  fi
fi
log "tools ready in $cache"
