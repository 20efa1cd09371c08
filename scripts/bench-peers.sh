#!/usr/bin/env bash
# Peer benchmark of `clausegate check`: the same generated corpus of Pods, Deployments,
# Services and RoleBindings judged against the Pod Security Standards restricted profile by
# clausegate, the Kyverno CLI, gator (Gatekeeper) and conftest. Prints one table of
# throughput, CPU time, peak memory and agreement with clausegate's verdicts, then the
# causes of the disagreements, grouped by the violation that the generator planted.
#
# usage: bash scripts/bench-peers.sh [build-dir]     (default: build)
#   BENCH_PEERS_N      manifests in the corpus (default 10000)
#   BENCH_PEERS_SEED   seed of the generator (default 1)
#   BENCH_PEERS_TOOLS  the peers to run (default "kyverno gator conftest")
# The peers are built once from the Go module proxy into
# ${XDG_CACHE_HOME:-$HOME/.cache}/clausegate-peers/<tool>-<version>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/scripts/bench_peers
build=${1:-build}
# A relative build directory is taken from the current directory, or else from the repository.
if [[ $build != /* ]]; then
  if [[ -d $build ]]; then build=$(cd "$build" && pwd); else build=$root/$build; fi
fi
clausegate=$build/controller/cli/clausegate
n=${BENCH_PEERS_N:-10000}
seed=${BENCH_PEERS_SEED:-1}
tools=${BENCH_PEERS_TOOLS-kyverno gator conftest}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/clausegate-peers
go=${GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
now=2026-01-01T00:00:00Z

# Tool -> version, module/command and binary name.
declare -A version=([kyverno]=v1.19.1 [gator]=v3.23.1 [conftest]=v0.71.1)
declare -A package=(
  [kyverno]=github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno
  [gator]=github.com/open-policy-agent/gatekeeper/v3/cmd/gator
  [conftest]=github.com/open-policy-agent/conftest
)
declare -A module=([kyverno]=github.com/kyverno/kyverno [gator]=github.com/open-policy-agent/gatekeeper/v3
                   [conftest]=github.com/open-policy-agent/conftest)
declare -A binary=([kyverno]=kubectl-kyverno [gator]=gator [conftest]=conftest)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap cleans up on an interrupt as well

if [[ ! -x /usr/bin/time ]]; then
  # GNU time reports the peak RSS of the measured process alone (bash's `time` does not).
  echo "installing GNU time" >&2
  { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 ||
    sudo sh -c 'apt-get update -qq && apt-get install -y -qq time' >/dev/null
fi

# A build takes one core (one compile job, one Go thread): the peers are large and the
# machine is shared with whatever else runs there.
go_build_env=(env GOMAXPROCS=1 GOFLAGS="-p=1 -buildvcs=false")

# build_peer TOOL: puts the binary into the cache unless it is there; on failure writes the
# reason to $tmp/status-TOOL and returns 1.
build_peer() {
  local tool=$1 ver=${version[$1]} dir bin log
  dir=$cache/$tool-$ver
  bin=$dir/${binary[$tool]}
  log=$tmp/build-$tool.log
  [[ -x $bin ]] && return 0
  if [[ -z $go ]]; then echo "no go toolchain" >"$tmp/status-$tool"; return 1; fi
  mkdir -p "$dir"
  echo "building $tool $ver (once; cached in $dir)" >&2
  if GOBIN=$dir "${go_build_env[@]}" "$go" install "${package[$tool]}@$ver" >"$log" 2>&1; then
    return 0
  fi
  # `go install pkg@version` refuses modules whose go.mod has replace directives (Kyverno's
  # does): build inside a copy of the module instead, so that its replacements apply.
  if grep -q 'replace directives' "$log"; then
    local src srcdir
    src=$("$go" mod download -json "${module[$tool]}@$ver" 2>>"$log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    if [[ -n $src ]]; then
      srcdir=$tmp/src-$tool
      cp -r "$src" "$srcdir" && chmod -R u+w "$srcdir"
      local rel=${package[$tool]#"${module[$tool]}"}
      if (cd "$srcdir" && "${go_build_env[@]}" "$go" build -o "$bin" "./${rel#/}") >>"$log" 2>&1; then
        return 0
      fi
    fi
  fi
  # Newer modules may ask for a newer toolchain than the local one: let Go fetch it.
  if grep -q 'requires go >=\|toolchain' "$log" &&
     GOTOOLCHAIN=auto GOBIN=$dir "${go_build_env[@]}" "$go" install "${package[$tool]}@$ver" >>"$log" 2>&1; then
    return 0
  fi
  { grep -v '^go: downloading' "$log" | tail -n 1 | cut -c1-120 | grep . || echo "go install failed"; } \
    >"$tmp/status-$tool"
  rmdir "$dir" 2>/dev/null || true
  return 1
}

# measure TOOL CMD...: runs CMD under GNU time, its output in $tmp/out-TOOL. GNU time gives
# the wall time in hundredths only: the nanosecond clock around it is kept as well.
measure() {
  local tool=$1; shift
  echo "running $tool" >&2
  local rc=0 start end
  start=$(date +%s%N)
  /usr/bin/time -v -o "$tmp/time-$tool" "$@" >"$tmp/out-$tool" 2>"$tmp/err-$tool" || rc=$?
  end=$(date +%s%N)
  echo "$rc" >"$tmp/rc-$tool"
  echo "$(( (end - start) / 1000 ))" >"$tmp/wall-$tool"
}

# Wait for the binary when it is being built next door.
for _ in $(seq 1 360); do [[ -x $clausegate ]] && break; sleep 10; done
[[ -x $clausegate ]] || { echo "no $clausegate" >&2; exit 1; }

echo "generating $n manifests (seed $seed)" >&2
corpus=$tmp/corpus
python3 "$here/corpus.py" "$corpus" "$n" "$seed"
python3 "$here/gator/gen_templates.py" "$tmp/gator"

measure clausegate "$clausegate" check -p "$root/policies" -l clausegate.io/pod-security-restricted=true \
  -o json --now "$now" -f "$corpus/m"

for tool in $tools; do
  build_peer "$tool" || continue
  bin=$cache/$tool-${version[$tool]}/${binary[$tool]}
  case $tool in
    kyverno)
      # --policy-report: one result per resource and rule (pass, fail, skip, error) on stdout;
      # without it only the failures are printed, as text.
      measure kyverno "$bin" apply "$here/kyverno/pod-security-restricted.yaml" --resource "$corpus/m" \
        --policy-report --output-format json ;;
    gator)
      measure gator "$bin" test -f "$tmp/gator" -f "$corpus/m" -o json ;;
    conftest)
      # The lib is loaded beside the deny rules; the JSON holds one entry per file.
      measure conftest "$bin" test --no-color -o json -p "$here/conftest" -p "$here/rego/lib" "$corpus/m" ;;
  esac
done

python3 "$here/report.py" "$tmp" "$n" "$tools" \
  "clausegate=$("$clausegate" version 2>/dev/null | head -n 1 | awk '{print $NF}' || true)" \
  "kyverno=${version[kyverno]}" "gator=${version[gator]}" "conftest=${version[conftest]}"
