#!/usr/bin/env bash
# `make run`: checks the example manifests against the example policy, as CI would.
set -uo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
echo "\$ clausegate check -p examples/policies -f examples/manifests"
"$bin" check -p examples/policies -f examples/manifests
echo "(exit $?: 0 nothing denied, 1 something denied, 2 an error)"
echo
echo "\$ clausegate controls -p examples/policies --uncovered -o markdown"
"$bin" controls -p examples/policies --uncovered -o markdown
