#!/usr/bin/env bash
# Benchmarks: CEL evaluation (ns per evaluation), the webhook handler on a Pod
# AdmissionReview against the whole shipped library (p50/p99), `serve` over TLS
# keep-alive as a ratio to the bare floor server measured in the same run, and
# `clausegate check` throughput over 10,000 generated manifests (manifests/second,
# peak memory).
set -euo pipefail
build=${1:-build}
"$build/tests/bench_cel" --benchmark_min_time=0.5
"$build/tests/bench_admission"
BENCH_HANDLER=0 BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-4} BENCH_SECONDS=${BENCH_SECONDS:-5} \
  bash scripts/bench-webhook.sh "$build"
policies=tests/cli/data/check/policies.yaml
[ -d policies/secure-configuration ] && policies=policies
python3 scripts/bench_check.py "$build/controller/cli/clausegate" "$policies" 10000
