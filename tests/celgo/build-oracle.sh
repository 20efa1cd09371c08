#!/usr/bin/env bash
# cel-oracle (tests/celgo/oracle: k8s.io/apiserver and the cel-go it requires, pinned by
# its go.mod and go.sum), built once into the cache; --print-path prints its path.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../oracles/build-go-oracle.sh" cel-oracle v0.37.2 "$here/oracle" "$@"
