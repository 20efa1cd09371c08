#!/usr/bin/env bash
# Runs the benchmarks and prints ns per evaluation.
set -euo pipefail
build=${1:-build}
"$build/tests/bench_cel" --benchmark_min_time=0.5
