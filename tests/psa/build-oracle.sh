#!/usr/bin/env bash
# psa-oracle (tests/psa/oracle: k8s.io/pod-security-admission and sigs.k8s.io/yaml, pinned
# by its go.mod and go.sum), built once into the cache; --print-path prints its path.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../oracles/build-go-oracle.sh" psa-oracle v0.37.2 "$here/oracle" "$@"
