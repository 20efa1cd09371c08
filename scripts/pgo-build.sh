#!/usr/bin/env bash
# The build that ships (the image, `make test-release`, the benchmarks): Release
# (-O3) with GCC's profile-guided optimisation. An instrumented build of the CLI in
# BUILD-instrumented is run on the training material (scripts/pgo-train.sh), then
# BUILD is compiled with the profiles it wrote. The training runs again when the
# instrumented binary changed; when the profiles change, BUILD is compiled again from
# clean (ninja does not see them; ccache does, by content).
# Usage: scripts/pgo-build.sh BUILD [cmake flags...]; JOBS (2); PGO_TARGETS (all).
set -euo pipefail
build=${1:?build directory}
shift
jobs=${JOBS:-2}
mkdir -p "$build"
build=$(cd "$build" && pwd)
instrumented="$build-instrumented"
profiles="$build/pgo-profile"

cmake -S . -B "$instrumented" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAUSEGATE_BENCH=OFF \
  -DCLAUSEGATE_PGO=generate -DCLAUSEGATE_PGO_DIR="$profiles" "$@" >/dev/null
bin="$instrumented/controller/cli/clausegate"
before=$(stat -c %Y.%s "$bin" 2>/dev/null || echo none)
cmake --build "$instrumented" -j "$jobs" --target clausegate
digest() { find "$profiles" -name '*.gcda' -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1; }
# Train again only when the instrumented binary changed (or the last training is gone).
if [ "$before" != "$(stat -c %Y.%s "$bin")" ] || [ "$(cat "$build/pgo-profile.sha256" 2>/dev/null)" != "$(digest)" ]; then
  rm -rf "$profiles" "$instrumented/training"
  bash scripts/pgo-train.sh "$bin" "$instrumented/training"
fi
n=$(find "$profiles" -name '*.gcda' | wc -l)
[ "$n" -gt 0 ] || { echo "pgo-build: the training wrote no profiles into $profiles" >&2; exit 1; }

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAUSEGATE_PGO=use -DCLAUSEGATE_PGO_DIR="$profiles" "$@" >/dev/null
digest=$(digest)
if [ "$(cat "$build/pgo-profile.sha256" 2>/dev/null)" != "$digest" ]; then
  cmake --build "$build" --target clean >/dev/null
  echo "$digest" >"$build/pgo-profile.sha256"
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" ${PGO_TARGETS:+--target $PGO_TARGETS}
echo "pgo-build: $build optimised with $n profiles"
