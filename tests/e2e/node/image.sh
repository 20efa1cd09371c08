#!/usr/bin/env bash
# Builds the clausegate image from the repository's own Dockerfile with podman, on
# base images made here (no registry): a Debian bookworm made with debootstrap from
# the Debian archive for the build stage, and for the runtime stage the few files the
# pinned distroless base holds (users, CA roots, /tmp). Both are cached outside the
# repository; so is podman's storage, so an unchanged build step is reused.
#
#   image.sh OUT.tar      the image as a docker-archive (tag localhost/clausegate:e2e)
#   CLAUSEGATE_E2E_CACHE  cache root (default ~/.cache/clausegate-e2e)
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:?usage: image.sh OUT.tar}
cache=${CLAUSEGATE_E2E_CACHE:-$HOME/.cache/clausegate-e2e}
base_dir=$cache/bookworm-minbase-1
storage=$cache/podman
build_base=localhost/clausegate-e2e/bookworm:1
runtime_base=localhost/clausegate-e2e/runtime:1
tag=localhost/clausegate:e2e
log() { echo "image: $*" >&2; }

for c in podman debootstrap runc; do
  command -v "$c" >/dev/null || { log "the command $c is missing (Debian packages podman, debootstrap, runc)"; exit 2; }
done
[ "$(id -u)" = 0 ] || { log "debootstrap and podman's storage here need root"; exit 2; }

# podman's storage records its run directory: one per storage, on a file system that a
# reboot clears.
runroot=/run/clausegate-e2e/podman-$(echo "$storage" | sha256sum | cut -c1-8)
mkdir -p "$runroot"
logs=$(mktemp -d /tmp/clausegate-image.XXXXXX)
trap 'rm -rf "$logs"' EXIT
# crun cannot run here (cgroups in hybrid mode); podman's default rlimits exceed the
# hard limits root has on these machines.
pm() {
  podman --root "$storage" --runroot "$runroot" --cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}

if [ ! -f "$base_dir/done" ]; then
  log "Debian bookworm base (debootstrap, a few minutes the first time)"
  rm -rf "$base_dir.tmp" && mkdir -p "$base_dir.tmp"
  debootstrap --variant=minbase bookworm "$base_dir.tmp/rootfs" http://deb.debian.org/debian >"$base_dir.tmp/debootstrap.log" 2>&1 ||
    { log "debootstrap failed: $base_dir.tmp/debootstrap.log"; exit 1; }
  # The archive's security and update suites, as the pinned image has them.
  cat >"$base_dir.tmp/rootfs/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  rm -rf "$base_dir.tmp/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$base_dir.tmp/rootfs" --numeric-owner -cf "$base_dir.tmp/bookworm.tar" .
  # The runtime base: what the distroless image offers besides glibc (which the
  # Dockerfile copies in with the binary): users with nonroot 65532, CA roots, /tmp.
  rt=$base_dir.tmp/runtime
  mkdir -p "$rt/etc/ssl/certs" "$rt/tmp" "$rt/home/nonroot"
  chmod 1777 "$rt/tmp"
  chown 65532:65532 "$rt/home/nonroot"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rt/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$rt/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$rt/etc/ssl/certs/" 2>/dev/null || true
  tar -C "$rt" --numeric-owner -cf "$base_dir.tmp/runtime.tar" .
  rm -rf "$base_dir.tmp/rootfs" "$rt"
  touch "$base_dir.tmp/done"
  rm -rf "$base_dir" && mv "$base_dir.tmp" "$base_dir"
fi

for pair in "$build_base $base_dir/bookworm.tar" "$runtime_base $base_dir/runtime.tar"; do
  read -r ref tarball <<<"$pair"
  pm image exists "$ref" || pm import "$tarball" "$ref" >"$logs/import.log" 2>&1 ||
    { cat "$logs/import.log" >&2; log "cannot import $tarball"; exit 1; }
done

log "podman build of $root/Dockerfile (bases $build_base, $runtime_base)"
pm build --network host --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
  --build-arg BUILD_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" \
  -t "$tag" -f "$root/Dockerfile" "$root" >"$logs/build.log" 2>&1 ||
  { tail -40 "$logs/build.log" >&2; log "podman build failed"; exit 1; }
rm -f "$out"
pm save --format docker-archive -o "$out" "$tag" >/dev/null
# The layers of earlier builds that nothing names any more.
pm image prune -f >/dev/null 2>&1 || true
log "image $tag saved to $out"
