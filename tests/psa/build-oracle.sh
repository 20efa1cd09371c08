#!/usr/bin/env bash
# Builds psa-oracle (tests/psa/oracle) from the Go module proxy into a cache outside the
# repository, once per version of its sources: k8s.io/pod-security-admission and the
# other modules are pinned by oracle/go.mod and oracle/go.sum. Prints nothing but
# progress on stderr; `build-oracle.sh --print-path` prints the binary's path.
#
#   CLAUSEGATE_E2E_CACHE   cache root (default ~/.cache/clausegate-e2e)
#
# The binary lives in $CLAUSEGATE_E2E_CACHE/psa-oracle-v0.37.2-<hash>/psa-oracle, where
# <hash> covers main.go, go.mod and go.sum: an edited oracle builds anew.
set -euo pipefail

PSA_VERSION=v0.37.2
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$here/oracle

hash=$(cat "$oracle/main.go" "$oracle/go.mod" "$oracle/go.sum" 2>/dev/null | sha256sum | cut -c1-12)
dir=$cache/psa-oracle-$PSA_VERSION-$hash
if [ "${1:-}" = "--print-path" ]; then
  echo "$dir/psa-oracle"
  exit 0
fi

log() { echo "build-oracle: $*" >&2; }
[ -x "$dir/psa-oracle" ] && exit 0

go=$(command -v go || true)
[ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; }
[ -n "$go" ] || { echo "build-oracle: go is required (the Go module proxy builds the oracle)" >&2; exit 2; }
export GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0
mkdir -p "$cache"

log "psa-oracle with k8s.io/pod-security-admission $PSA_VERSION (a few minutes the first time)"
src=$cache/src/psa-oracle-$PSA_VERSION-$hash
rm -rf "$src" "$dir.tmp" && mkdir -p "$src"
cp "$oracle/main.go" "$src/"
if [ -f "$oracle/go.mod" ] && [ -f "$oracle/go.sum" ]; then
  cp "$oracle/go.mod" "$oracle/go.sum" "$src/"
else
  # Without the pinned files: require the same versions and let Go resolve the rest.
  staging=$PSA_VERSION
  (cd "$src" && "$go" mod init clausegate.io/psa-oracle >/dev/null 2>&1 &&
    "$go" get "k8s.io/pod-security-admission@$staging" "k8s.io/api@$staging" \
      "k8s.io/apimachinery@$staging" "k8s.io/component-base@$staging" "sigs.k8s.io/yaml@v1.6.0" >&2 &&
    "$go" mod tidy >&2)
fi
(cd "$src" && "$go" build -trimpath -o "$dir.tmp/psa-oracle" .)
rm -rf "$dir" && mv "$dir.tmp" "$dir"
rm -rf "$src"
log "psa-oracle ready: $dir/psa-oracle"
