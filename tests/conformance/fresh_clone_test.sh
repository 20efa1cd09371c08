#!/usr/bin/env bash
# A clone with nothing beside it runs the CEL conformance suite from its own data:
# the repository is cloned into an empty temporary folder, configured and built
# there, and the conformance test must read and pass every case of
# tests/conformance/cel (the committed state: what a user's clone gets).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
if ! git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: nothing to clone"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/clausegate"
[ "$(ls -A "$work")" = clausegate ] || { echo "FAIL: the clone has company: $(ls -A "$work")"; exit 1; }
[ ! -e "$work/shared" ] || exit 1
cd "$work/clausegate"
# Paths relative to the clone, so that ccache serves every fresh clone alike.
export CCACHE_BASEDIR="$work/clausegate"
unset CLAUSEGATE_CEL_CONFORMANCE
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAUSEGATE_BENCH=OFF >build.log 2>&1 ||
  { tail -30 build.log; exit 1; }
cmake --build build --target cel_conformance -j 2 >>build.log 2>&1 || { tail -30 build.log; exit 1; }
(cd build && ctest -R '^cel_conformance$' --output-on-failure -V) >test.log 2>&1 || { tail -40 test.log; exit 1; }
sed -i 's/^[0-9]*: //' test.log  # ctest -V prefixes the test's number
summary=$(grep -E '^conformance: [0-9]+ passed, 0 failed' test.log) || { tail -40 test.log; exit 1; }
files=$(grep -E '^[a-z0-9_]+: [0-9]+ passed, 0 failed' test.log | grep -vc '^conformance:')
cases=$(python3 -c 'import glob, json; print(sum(len(json.load(open(f))) for f in glob.glob("tests/conformance/cel/*.json")))')
echo "fresh clone: $files files, $summary (of $cases cases in the clone's own data)"
[ "$files" -ge 17 ]
