#!/usr/bin/env bash
# The webhook under load: the in-process handler time per review, then the HTTPS
# server driven by wrk (a 10 KB Pod AdmissionReview, TLS keep-alive) at 4, 64 and
# 256 connections against the whole shipped library, with reviews per second, p99
# and the server's peak memory. BASELINE=/path/to/clausegate runs another binary
# the same way first (say, a build of an earlier commit), for a side-by-side table.
set -euo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
seconds=${BENCH_SECONDS:-10}
"$build/tests/bench_admission"
certs="$build/dev-certs"
bash scripts/dev-certs.sh "$certs"
lua=$(mktemp --suffix=.lua)
log=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -f "$log" "$lua"' EXIT
cat >"$lua" <<LUA
local f = io.open("tests/bench/data/pod-review.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
wrk.headers["Content-Type"] = "application/json"
LUA

run() {  # name binary extra-flags...
  local name=$1 binary=$2; shift 2
  : >"$log"
  "$binary" serve --policies policies --policies examples/policies --no-cluster --tls-cert "$certs/server.crt" \
    --tls-key "$certs/server.key" --address 127.0.0.1 --port 0 --health-port -1 --log-level warn "$@" >/dev/null 2>"$log" &
  pid=$!
  for _ in $(seq 1 200); do grep -q '"msg":"serving".*"policies":' "$log" && break; sleep 0.05; done
  local port
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$log" | head -1)
  for c in 4 64 256; do
    out=$(wrk -t 2 -c "$c" -d "${seconds}s" --latency --timeout 10s -s "$lua" "https://127.0.0.1:$port/validate" 2>&1)
    rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    p99=$(echo "$out" | sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p')
    errors=$(echo "$out" | sed -n 's/^ *Socket errors: \(.*\)/\1/p; s/^ *Non-2xx or 3xx responses: \(.*\)/non-2xx \1/p' | tr '\n' ' ')
    printf '%-10s %4d connections: %8.0f reviews/s  p99 %-9s %s\n' "$name" "$c" "${rate:-0}" "${p99:-?}" "$errors"
  done
  printf '%-10s peak memory: %s\n' "$name" "$(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

if [ -n "${BASELINE:-}" ]; then run baseline "$BASELINE" ${BASELINE_FLAGS:-}; fi
run clausegate "$bin"
