#!/usr/bin/env bash
# The training run of an instrumented build (scripts/pgo-build.sh): what the
# shipped binary spends its time on, from the repository's own material, never the
# benchmarks' inputs. The policy library's test suites and the example manifests
# through `test`, `check` and `lint`; the example AdmissionReview through `serve`
# over TLS keep-alive, so that the HTTP layer and the answer's encoding are in it too.
# Usage: scripts/pgo-train.sh CLAUSEGATE_BINARY WORK_DIR
set -euo pipefail
bin=${1:?instrumented clausegate}
work=${2:?work directory}
mkdir -p "$work"
for _ in 1 2 3; do
  "$bin" test -p policies -p examples/policies policies examples/policies >/dev/null
done
"$bin" check -p policies -p examples/policies -f examples/manifests >/dev/null || true  # the examples deny
"$bin" lint -p policies -p examples/policies >/dev/null

certs="$work/certs"
bash scripts/dev-certs.sh "$certs" >/dev/null
"$bin" serve --policies policies --policies examples/policies --no-cluster --tls-cert "$certs/server.crt" \
  --tls-key "$certs/server.key" --address 127.0.0.1 --port 0 --health-port -1 --log-level warn \
  2>"$work/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*"msg":"serving".*"port":\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; echo "pgo-train: serve did not start" >&2; exit 1; }
# One connection, many reviews (curl reuses it for every URL it is given).
urls=()
for _ in $(seq 1 500); do urls+=("https://127.0.0.1:$port/validate"); done
curl -sS --fail --cacert "$certs/ca.crt" -H 'Content-Type: application/json' \
  --data-binary @examples/admission-review.json -o /dev/null "${urls[@]}"
# A graceful stop: the profile is written when the process exits.
kill -TERM "$pid"
wait "$pid"
trap - EXIT
