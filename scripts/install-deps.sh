#!/usr/bin/env bash
# Installs the Debian packages that building and testing clausegate need, and
# only those that are missing (safe to run again and again).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libcpp-httplib-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libssl-dev catch2
  libre2-dev libsimdjson-dev libbenchmark-dev tzdata
  libboost1.74-dev       # Boost.Beast and Boost.Asio: the event-driven HTTP server
  clang libclang-rt-14-dev   # libFuzzer and sanitizer runtimes
  wrk hyperfine
  python3 python3-yaml   # structural checks of report formats in the tests
  openssl curl           # development certificates, webhook tests
  chromium               # the HTML compliance report rendered by a real browser
)

# `make e2e` also runs the chart on a node made here: containerd and runc, CNI
# plugins, podman to build the image, debootstrap for its local base.
if [ "${1:-}" = "--e2e" ]; then
  packages+=(runc containerd containernetworking-plugins podman debootstrap iproute2 util-linux)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
