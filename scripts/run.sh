#!/usr/bin/env bash
# `make run`: until the webhook lands, demonstrates the engine on an example.
set -euo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
expr='object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))'
echo "\$ clausegate cel '$expr' --bindings @examples/privileged-pod.bindings.json"
"$bin" cel "$expr" --bindings @examples/privileged-pod.bindings.json || true
