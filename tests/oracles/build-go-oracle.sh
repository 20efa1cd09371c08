#!/usr/bin/env bash
# Builds one differential-test oracle (a Go program with a pinned go.mod and go.sum)
# from the Go module proxy into a cache outside the repository, once per version of
# its sources. Prints nothing but progress on stderr; with --print-path it prints the
# binary's path and builds nothing.
#
#   build-go-oracle.sh NAME VERSION SOURCE_DIR [--print-path]
#   CLAUSEGATE_E2E_CACHE   cache root (default ~/.cache/clausegate-e2e)
#
# The binary is $CLAUSEGATE_E2E_CACHE/NAME-VERSION-<hash>/NAME, where <hash> covers
# main.go, go.mod and go.sum: an edited oracle builds anew.
set -euo pipefail

name=$1 version=$2 oracle=$3
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
for f in main.go go.mod go.sum; do
  [ -f "$oracle/$f" ] || { echo "build-go-oracle: $oracle/$f is missing (versions are pinned there)" >&2; exit 2; }
done
hash=$(cat "$oracle/main.go" "$oracle/go.mod" "$oracle/go.sum" | sha256sum | cut -c1-12)
dir=$cache/$name-$version-$hash
if [ "${4:-}" = "--print-path" ]; then
  echo "$dir/$name"
  exit 0
fi
[ -x "$dir/$name" ] && exit 0

go=$(command -v go || true)
[ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; }
[ -n "$go" ] || { echo "build-go-oracle: go is required (the Go module proxy builds $name)" >&2; exit 2; }
export GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0
echo "build-go-oracle: $name $version (a few minutes the first time)" >&2
src=$cache/src/$name-$version-$hash
rm -rf "$src" "$dir.tmp" && mkdir -p "$src"
cp "$oracle/main.go" "$oracle/go.mod" "$oracle/go.sum" "$src/"
(cd "$src" && "$go" build -trimpath -o "$dir.tmp/$name" .)
rm -rf "$dir" && mv "$dir.tmp" "$dir"
rm -rf "$src"
echo "build-go-oracle: $name ready: $dir/$name" >&2
