#!/usr/bin/env bash
# The container image without a container engine: the Dockerfile is checked
# statically, and the runtime file set (scripts/image-rootfs.sh, which the Dockerfile
# runs) is assembled into a directory and the binary run from it with only the
# libraries it holds.
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
root=$(cd "$(dirname "$0")/../.." && pwd)
df=$root/Dockerfile
fails=0; passes=0
out=$(mktemp); tmp=$(mktemp -d)
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; cat "$out" | head -20; fails=$((fails+1)); fi; }

# --- the Dockerfile ------------------------------------------------------------------
# Multi-stage: a build stage and a runtime stage.
[ "$(grep -c '^FROM ' "$df")" -ge 2 ] && grep -q '^FROM .* AS build$' "$df"; expect stages $?
# Every base image pinned by digest (directly or through an ARG default).
ok=0
while read -r ref; do
  case $ref in
    '${'*'}') arg=${ref#\$\{}; arg=${arg%\}}; ref=$(sed -n "s/^ARG $arg=//p" "$df") ;;
  esac
  echo "$ref" | grep -Eq '@sha256:[0-9a-f]{64}$' || { echo "not pinned: $ref" >"$out"; ok=1; }
done < <(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$df")
expect pinned-base-images $ok
# The runtime stage: a numeric non-root user, no RUN (no shell needed), exec-form entrypoint.
runtime=$(awk '/^FROM /{n++} n==2' "$df")
echo "$runtime" | grep -Eq '^USER [1-9][0-9]*(:[1-9][0-9]*)?$'; expect numeric-non-root-user $?
! echo "$runtime" | grep -q '^RUN '; expect no-shell-at-runtime $?
grep -q '^ENTRYPOINT \["clausegate"\]$' "$df" && grep -q '^CMD \["serve",' "$df"; expect entrypoint $?
grep -q '^ARG RUN_TESTS=false$' "$df" && grep -q 'ctest' "$df"; expect optional-tests $?
# No secrets: no credentials in ENV/ARG, nothing key-like copied, the context excludes them.
! grep -Eiq '^(ENV|ARG) [A-Z_]*(PASSWORD|SECRET|TOKEN|API_?KEY)' "$df" && ! grep -Eq '^(COPY|ADD) .*\.(pem|key)\b' "$df" &&
  grep -qx '.git' "$root/.dockerignore" && grep -qxF '**/*.key' "$root/.dockerignore"; expect no-secrets $?
grep -q 'scripts/image-rootfs.sh' "$df"; expect uses-rootfs-script $?

# --- the runtime file set ----------------------------------------------------------------
bash "$root/scripts/image-rootfs.sh" "$bin" "$root/policies" "$tmp/rootfs" >"$out" 2>&1; expect assemble $?
r=$tmp/rootfs
libs=$(find "$r" -name '*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
loader=$(find "$r" -name 'ld-linux*.so*' | head -1)
run() { env -i LD_DEBUG=libs "$loader" --inhibit-cache --library-path "$libs" "$r/usr/local/bin/clausegate" "$@"; }
run lint -p "$r/etc/clausegate/policies" >"$out" 2>"$tmp/ld.log"
grep -q 'policies OK$' "$out"; expect lint-from-rootfs $?
# Every library came from the file set (and the loader did report what it loaded).
grep -q "calling init: $r/.*libc.so" "$tmp/ld.log" &&
  ! grep -E 'calling init: /' "$tmp/ld.log" | grep -v "calling init: $r/" >"$out"; expect only-rootfs-libraries $?
# No suites, fixtures or catalogue in the image; the policies check a manifest.
[ -z "$(find "$r/etc/clausegate/policies" -name '*-test.yaml' -o -name testdata -o -name controls)" ]; expect policies-only $?
run check -p "$r/etc/clausegate/policies" -l clausegate.io/pod-security-restricted=true \
  -f "$root/policies/secure-configuration/testdata/pss-privileged.yaml" >"$out" 2>/dev/null
grep -q 'pss-privileged/no-privileged-containers' "$out"; expect check-from-rootfs $?
run serve --help >"$out" 2>&1; grep -q '^usage: clausegate serve' "$out"; expect serve-from-rootfs $?

rm -rf "$out" "$tmp"
echo "image: $passes passed, $fails failed"
[ "$fails" = 0 ]
