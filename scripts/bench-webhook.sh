#!/usr/bin/env bash
# The webhook under load: the in-process handler time per review, then the HTTPS
# server driven by wrk (a 10 KB Pod AdmissionReview, TLS keep-alive) at 4, 64 and
# 256 connections against the whole shipped library, side by side with the floor: the
# same HTTP layer and TLS settings with a handler that only decodes the review with
# simdjson and allows it (tests/bench/floor_server.cc). Each line gives reviews per
# second, p99, and the ratio to the floor measured just before it; the machine is
# shared, so the ratio is the figure to compare across runs. BASELINE=/path/to/clausegate
# runs another binary the same way (say, a build of an earlier commit).
# BENCH_SECONDS (10), BENCH_CONNECTIONS ("4 64 256"), BENCH_HANDLER=0 skips the handler.
set -euo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
floor_bin="$build/tests/bench_floor_server"
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-4 64 256}
[ "${BENCH_HANDLER:-1}" = 0 ] || "$build/tests/bench_admission"
certs="$build/dev-certs"
bash scripts/dev-certs.sh "$certs" >/dev/null
lua=$(mktemp --suffix=.lua)
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp" "$lua"' EXIT
cat >"$lua" <<LUA
local f = io.open("tests/bench/data/pod-review.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
wrk.headers["Content-Type"] = "application/json"
LUA

start_serve() {  # name binary extra-flags... ; sets port_<name>
  local name=$1 binary=$2; shift 2
  "$binary" serve --policies policies --policies examples/policies --no-cluster --tls-cert "$certs/server.crt" \
    --tls-key "$certs/server.key" --address 127.0.0.1 --port 0 --health-port -1 --log-level warn "$@" \
    >/dev/null 2>"$tmp/$name.log" &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 1 200); do grep -q '"msg":"serving".*"policies":' "$tmp/$name.log" && break; sleep 0.05; done
  eval "port_$name=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$tmp/$name.log" | head -1)"
}

load() {  # port connections -> "rate p99 errors"
  local out rate p99 errors
  out=$(wrk -t 2 -c "$2" -d "${seconds}s" --latency --timeout 10s -s "$lua" "https://127.0.0.1:$1/validate" 2>&1)
  rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  p99=$(echo "$out" | sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p')
  errors=$(echo "$out" | sed -n 's/^ *Socket errors: \(.*\)/\1/p; s/^ *Non-2xx or 3xx responses: \(.*\)/non-2xx \1/p' | tr '\n' ' ')
  echo "${rate:-0} ${p99:-?} $errors"
}

"$floor_bin" "$certs/server.crt" "$certs/server.key" >"$tmp/floor.port" 2>"$tmp/floor.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$tmp/floor.port" ] && break; sleep 0.05; done
port_floor=$(head -1 "$tmp/floor.port")
names=clausegate
start_serve clausegate "$bin"
if [ -n "${BASELINE:-}" ]; then
  # shellcheck disable=SC2086
  start_serve baseline "$BASELINE" ${BASELINE_FLAGS:-}
  names="baseline clausegate"
fi

for c in $connections; do
  read -r floor_rate floor_p99 floor_errors <<<"$(load "$port_floor" "$c")"
  printf '%-10s %4d connections: %8.0f reviews/s  p99 %-9s %s\n' floor "$c" "$floor_rate" "$floor_p99" "$floor_errors"
  for name in $names; do
    port_var=port_$name
    read -r rate p99 errors <<<"$(load "${!port_var}" "$c")"
    ratio=$(awk -v a="$rate" -v b="$floor_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-10s %4d connections: %8.0f reviews/s  p99 %-9s %.2f of the floor  %s\n' "$name" "$c" "$rate" "$p99" "$ratio" "$errors"
  done
done
for name in $names; do
  pid_var=pid_$name
  printf '%-10s peak memory: %s\n' "$name" "$(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/${!pid_var}/status")"
done
