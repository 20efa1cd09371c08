#!/usr/bin/env bash
# Builds cel-oracle (tests/celgo/oracle) from the Go module proxy into a cache outside the
# repository, once per version of its sources: k8s.io/apiserver, the cel-go it requires
# and the other modules are pinned by oracle/go.mod and oracle/go.sum. Prints nothing but
# progress on stderr; `build-oracle.sh --print-path` prints the binary's path.
#
#   CLAUSEGATE_E2E_CACHE   cache root (default ~/.cache/clausegate-e2e)
#
# The binary lives in $CLAUSEGATE_E2E_CACHE/cel-oracle-v0.37.2-<hash>/cel-oracle, where
# <hash> covers main.go, go.mod and go.sum: an edited oracle builds anew.
set -euo pipefail

K8S_VERSION=v0.37.2
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$here/oracle

hash=$(cat "$oracle/main.go" "$oracle/go.mod" "$oracle/go.sum" 2>/dev/null | sha256sum | cut -c1-12)
dir=$cache/cel-oracle-$K8S_VERSION-$hash
if [ "${1:-}" = "--print-path" ]; then
  echo "$dir/cel-oracle"
  exit 0
fi

log() { echo "build-oracle: $*" >&2; }
[ -x "$dir/cel-oracle" ] && exit 0

go=$(command -v go || true)
[ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; }
[ -n "$go" ] || { echo "build-oracle: go is required (the Go module proxy builds the oracle)" >&2; exit 2; }
export GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0
mkdir -p "$cache"

log "cel-oracle with k8s.io/apiserver $K8S_VERSION (a few minutes the first time)"
src=$cache/src/cel-oracle-$K8S_VERSION-$hash
rm -rf "$src" "$dir.tmp" && mkdir -p "$src"
cp "$oracle/main.go" "$src/"
if [ -f "$oracle/go.mod" ] && [ -f "$oracle/go.sum" ]; then
  cp "$oracle/go.mod" "$oracle/go.sum" "$src/"
else
  # Without the pinned files: require the same versions and let Go resolve the rest
  # (cel-go at the version k8s.io/apiserver requires).
  staging=$K8S_VERSION
  (cd "$src" && "$go" mod init clausegate.io/cel-oracle >/dev/null 2>&1 &&
    "$go" get "k8s.io/apiserver@$staging" "k8s.io/apimachinery@$staging" "sigs.k8s.io/yaml@v1.6.0" >&2 &&
    "$go" mod tidy >&2)
fi
(cd "$src" && "$go" build -trimpath -o "$dir.tmp/cel-oracle" .)
rm -rf "$dir" && mv "$dir.tmp" "$dir"
rm -rf "$src"
log "cel-oracle ready: $dir/cel-oracle"
