#!/usr/bin/env bash
# `make run`: starts the webhook on localhost with a development certificate,
# the shipped policies and the example policy, until Ctrl-C.
set -euo pipefail
build=${1:-build}
bin="$build/controller/cli/clausegate"
certs="$build/dev-certs"
bash scripts/dev-certs.sh "$certs"
cat <<TXT
clausegate webhook: https://localhost:8443/validate  (health: http://localhost:8080/readyz, /metrics)
Send it a review:
  curl --cacert $certs/ca.crt -H 'Content-Type: application/json' \\
       --data @examples/admission-review.json https://localhost:8443/validate
Check manifests the same way in CI:
  $bin check -p policies -p examples/policies -f examples/manifests
Ctrl-C stops it.
TXT
exec "$bin" serve --policies policies --policies examples/policies --no-cluster \
  --tls-cert "$certs/server.crt" --tls-key "$certs/server.key" --address 127.0.0.1 --port 8443 --health-port 8080
