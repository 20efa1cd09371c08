#!/usr/bin/env bash
# Makes a development CA and a server certificate for localhost / 127.0.0.1
# (and a client certificate signed by the same CA) in DIR, unless present and good
# for another day (they last 30 days; a build directory may live longer).
set -euo pipefail
dir=${1:?directory}
mkdir -p "$dir"
cd "$dir"
if [ -f server.crt ] && [ -f client.crt ] && openssl x509 -checkend 86400 -noout -in server.crt >/dev/null 2>&1 &&
   openssl x509 -checkend 86400 -noout -in ca.crt >/dev/null 2>&1; then
  exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=clausegate development CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext \
  -out server.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
  -keyout client.key -out client.csr 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext \
  -out client.crt 2>/dev/null
rm -f server.csr client.csr server.ext client.ext
