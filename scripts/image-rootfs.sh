#!/usr/bin/env bash
# Assembles the runtime file set of the container image under ROOTFS: the clausegate
# binary, the shared libraries it loads (found with ldd, loader included), the time
# zone database and the shipped policies without their suites, fixtures and the
# controls catalogue (compiled into the binary). The Dockerfile's build stage runs
# this script; tests/image runs the binary from the same file set with only those
# libraries.
#   scripts/image-rootfs.sh BINARY POLICIES_DIR ROOTFS
set -euo pipefail
bin=$1 policies=$2 root=$3
mkdir -p "$root/usr/local/bin" "$root/etc/clausegate/policies" "$root/usr/share"
install -m 0755 "$bin" "$root/usr/local/bin/clausegate"
# Every library the binary needs, at the path the loader looks for it.
for lib in $(ldd "$bin" | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[ -d /usr/share/zoneinfo ] && cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
# The policies only: no suites (*-test.yaml), fixtures (testdata/) or docs.
(cd "$policies" && find . \( -name testdata -o -name controls \) -prune -o -name '*.yaml' ! -name '*-test.yaml' -print) |
  while read -r f; do mkdir -p "$root/etc/clausegate/policies/$(dirname "$f")"; cp "$policies/$f" "$root/etc/clausegate/policies/$f"; done
