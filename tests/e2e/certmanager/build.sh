#!/usr/bin/env bash
# Builds cert-manager-e2e (main.go: cert-manager's controllers and CA injector as one
# process) from the Go module proxy into a cache outside the repository, once per
# cert-manager version and source; progress goes to stderr.
#
#   build.sh                 build if not cached
#   build.sh --print-path    build if not cached, print the binary's path
#   build.sh --print-crds    print the directory of cert-manager's CRD manifests
#                            (deploy/crds of the module, downloaded if needed)
#
#   CLAUSEGATE_E2E_CACHE     cache root (default ~/.cache/clausegate-e2e)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
module=github.com/cert-manager/cert-manager
version=$(sed -n "s#^[[:space:]]*\(require \)\{0,1\}$module \(v[^ ]*\).*#\2#p" "$here/go.mod" | head -1)
[ -n "$version" ] || { echo "certmanager/build: no $module in go.mod" >&2; exit 2; }
command -v go >/dev/null || { echo "certmanager/build: go is required" >&2; exit 2; }
export GOFLAGS=-buildvcs=false CGO_ENABLED=0

# The source is part of the key, so an edit of main.go or go.mod builds anew.
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
dir=$cache/cert-manager-e2e-$version-$key
bin=$dir/cert-manager-e2e

build() {
  [ -x "$bin" ] && return 0
  echo "certmanager/build: cert-manager-e2e $version (a few minutes the first time)" >&2
  mkdir -p "$cache"
  rm -rf "$dir.tmp"
  # nice: the 2 CPUs are shared with tests running meanwhile.
  (cd "$here" && nice -n 19 go build -trimpath -ldflags "-s -w" -o "$dir.tmp/cert-manager-e2e" .)
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

crds() {
  local src
  src=$(cd "$here" && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src/deploy/crds" ] || { echo "certmanager/build: no deploy/crds in $module@$version" >&2; exit 2; }
  echo "$src/deploy/crds"
}

[ $# -eq 0 ] && build
for arg in "$@"; do
  case $arg in
    --print-path) build; echo "$bin" ;;
    --print-crds) crds ;;
    *) echo "usage: build.sh [--print-path] [--print-crds]" >&2; exit 2 ;;
  esac
done
