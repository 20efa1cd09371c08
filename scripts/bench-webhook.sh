#!/usr/bin/env bash
# The webhook under load: the in-process handler time per review, then the HTTPS
# server driven by wrk (a 10 KB Pod AdmissionReview, TLS keep-alive, 4
# connections, on this machine's cores), with the server's peak memory.
set -euo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
"$build/tests/bench_admission"
certs="$build/dev-certs"
bash scripts/dev-certs.sh "$certs"
log=$(mktemp)
"$bin" serve --policies policies --policies examples/policies --no-cluster --tls-cert "$certs/server.crt" \
  --tls-key "$certs/server.key" --address 127.0.0.1 --port 0 --health-port -1 --threads 4 >/dev/null 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$lua"' EXIT
for _ in $(seq 1 100); do grep -q '"msg":"serving".*"policies":' "$log" && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$log" | head -1)
lua=$(mktemp --suffix=.lua)
cat >"$lua" <<LUA
local f = io.open("tests/bench/data/pod-review.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t 2 -c 4 -d 10s --latency -s "$lua" "https://127.0.0.1:$port/validate" | sed -n '/Latency Distribution/,/Transfer/p'
echo "server peak memory: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$pid/status)"
