#!/usr/bin/env bash
# A single-node Kubernetes inside a private network namespace, from what this
# machine has: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kubelet from the Go module proxy (tests/e2e/build-tools.sh --node), containerd and
# runc from Debian, CNI bridge networking, a pause image built here. Nothing is
# pulled from a registry.
#
#   cluster.sh up WORK      bring it up; WORK/cluster.env says how to reach it
#   cluster.sh down WORK    stop everything it started and remove what it made
#   cluster.sh import WORK ARCHIVE   load an image (docker-archive) for Pods to use
#   cluster.sh run WORK CMD...       run CMD in the cluster's network namespace
#
# Every run has its own namespace name, work folder and cgroup root, so two runs on one
# machine do not meet. Clients (kubectl, helm) run inside the namespace (`run`).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
. "$here/../lib.sh"  # wait_for
cmd=${1:?usage: cluster.sh up|down|import|run WORK ...}
work=${2:?usage: cluster.sh up|down|import|run WORK ...}
shift 2
mkdir -p "$work" && work=$(cd "$work" && pwd)

# Fixed addresses inside the namespace: the node (and Pods' gateway), the Service range.
node_ip=10.99.0.1
pod_subnet=10.99.0.0/24
service_range=10.96.0.0/24
service_ip=10.96.0.1
node_name=clausegate-e2e-node
pause_image=localhost/clausegate-e2e/pause:1

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 2; }

state() { [ -f "$work/cluster.env" ] && . "$work/cluster.env"; }
in_ns() { nsenter --net="/var/run/netns/$NETNS" -- "$@"; }

# What the machine must offer; each missing piece named.
preflight() {
  local missing=()
  [ "$(id -u)" = 0 ] || missing+=("root (the node creates network namespaces, cgroups and mounts)")
  for c in ip nsenter mount umount openssl containerd runc ctr go gcc; do
    command -v "$c" >/dev/null 2>&1 || missing+=("the command $c")
  done
  for p in bridge host-local loopback; do
    [ -x "/usr/lib/cni/$p" ] || missing+=("the CNI plugin /usr/lib/cni/$p (containernetworking-plugins)")
  done
  for ctl in cpu cpuacct cpuset memory devices freezer blkio pids; do
    [ -d "/sys/fs/cgroup/$ctl" ] || missing+=("the cgroup v1 controller $ctl at /sys/fs/cgroup/$ctl")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    printf 'cluster: this machine cannot run a node; missing:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 2
  fi
}

cgroup_controllers() { ls -d /sys/fs/cgroup/*/ 2>/dev/null | xargs -n1 basename | grep -v '^unified$'; }

make_cgroups() {
  local ctl
  for ctl in $(cgroup_controllers); do
    mkdir -p "/sys/fs/cgroup/$ctl/$CGROUP_ROOT" || die "cannot create the cgroup $ctl/$CGROUP_ROOT"
    if [ "$ctl" = cpuset ]; then
      cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$CGROUP_ROOT/cpuset.cpus"
      cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$CGROUP_ROOT/cpuset.mems"
    fi
  done
}

pki() {
  local d=$work/pki
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=clausegate-e2e-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || die "openssl: CA"
  sign() {  # sign NAME SUBJECT [SAN]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null || die "openssl: $1"
    local ext=$d/$1.ext
    echo "basicConstraints=CA:FALSE" >"$ext"
    echo "keyUsage=digitalSignature,keyEncipherment" >>"$ext"
    echo "extendedKeyUsage=serverAuth,clientAuth" >>"$ext"
    [ -n "${3:-}" ] && echo "subjectAltName=$3" >>"$ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      -extfile "$ext" -out "$d/$1.crt" 2>/dev/null || die "openssl: sign $1"
  }
  sign apiserver "/CN=kube-apiserver" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$service_ip,IP:$node_ip,IP:127.0.0.1"
  # One identity for the components, clients and the API server's calls to the kubelet.
  sign admin "/O=system:masters/CN=clausegate-e2e-admin"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null && openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null ||
    die "openssl: service account key"
  cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: {server: "https://$node_ip:443", certificate-authority: "$d/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "$d/admin.crt", client-key: "$d/admin.key"}
contexts:
  - name: e2e
    context: {cluster: e2e, user: admin}
current-context: e2e
EOF
}

network() {
  ip netns add "$NETNS" || die "cannot create the network namespace $NETNS"
  in_ns ip link set lo up &&
    # A fixed address, as the CNI bridge plugin gives a bridge it creates: one left to
    # choose takes its lowest port's, which changes as Pods come and go; a Pod waiting to
    # answer then sends its answer to the old one until its neighbour entry expires, and
    # a review in flight at that moment hangs past the API server's timeout.
    in_ns ip link add cg0 address 02:00:0a:63:00:01 type bridge &&
    in_ns ip addr add "$node_ip/24" dev cg0 &&
    in_ns ip addr add "$service_ip/32" dev cg0 &&
    in_ns ip link set cg0 up &&
    in_ns ip route add default dev cg0 || die "cannot set up the bridge in $NETNS"
  mkdir -p "$work/cni/conf" "$work/cni/ipam"
  cat >"$work/cni/conf/10-clausegate-e2e.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "clausegate-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "cg0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$work/cni/ipam", "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "$pod_subnet", "rangeStart": "10.99.0.10", "rangeEnd": "10.99.0.250", "gateway": "$node_ip"}]]
      }
    }
  ]
}
EOF
}

start() {  # start NAME COMMAND...: in the namespace, logging to WORK/logs/NAME.log
  local name=$1; shift
  nsenter --net="/var/run/netns/$NETNS" -- "$@" >"$work/logs/$name.log" 2>&1 &
  echo "$! $name" >>"$work/pids"
}

kubectl_() { in_ns "$KUBECTL" --kubeconfig "$work/kubeconfig" --request-timeout=20s "$@"; }

containerd_up() {
  local c=$work/containerd
  mkdir -p "$c/root" "$c/state" "$c/opt"
  cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # Root here cannot lower oom_score_adj (no CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/cni/conf"
EOF
  start containerd containerd --config "$c/config.toml"
  wait_for 30 ctr --address "$c/containerd.sock" version || die "containerd did not start (see $work/logs/containerd.log)"
}

pause_image() {
  local b=$work/pause-image
  mkdir -p "$b"
  gcc -static -O2 -o "$b/pause" "$here/pause.c" || die "cannot build the pause program"
  strip "$b/pause"
  # An OCI image by hand (one layer holding /pause), imported straight into containerd.
  python3 "$here/oci_image.py" "$b/pause" /pause "$pause_image" "$b/pause.tar" || die "cannot package the pause image"
  ctr --address "$work/containerd/containerd.sock" -n k8s.io images import "$b/pause.tar" >/dev/null ||
    die "cannot import the pause image"
}

control_plane() {
  local d=$work/pki
  start etcd "$ETCD" --name node --data-dir "$work/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster node=http://127.0.0.1:2380 --log-level warn
  wait_for 30 in_ns curl -fsS http://127.0.0.1:2379/health || die "etcd did not start (see $work/logs/etcd.log)"
  # On port 443 at the node address, which is also the `kubernetes` Service's endpoint;
  # no kube-proxy: webhooks and aggregated APIs are dialled at endpoint addresses.
  start kube-apiserver "$NODE_TOOLS/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
    --bind-address 0.0.0.0 --advertise-address "$node_ip" --secure-port 443 \
    --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" --client-ca-file "$d/ca.crt" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
    --service-cluster-ip-range "$service_range" --enable-aggregator-routing=true \
    --kubelet-client-certificate "$d/admin.crt" --kubelet-client-key "$d/admin.key" \
    --kubelet-preferred-address-types InternalIP --cert-dir "$work/apiserver" \
    ${APISERVER_EXTRA_ARGS:-}
  wait_for 120 kubectl_ get --raw /readyz || die "kube-apiserver did not become ready (see $work/logs/kube-apiserver.log)"
  local common=(--kubeconfig "$work/kubeconfig" --authentication-kubeconfig "$work/kubeconfig"
    --authorization-kubeconfig "$work/kubeconfig" --leader-elect=false)
  start kube-controller-manager "$NODE_TOOLS/kube-controller-manager" "${common[@]}" \
    --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
    --use-service-account-credentials=true --bind-address 127.0.0.1
  start kube-scheduler "$NODE_TOOLS/kube-scheduler" "${common[@]}" --bind-address 127.0.0.1
}

kubelet_up() {
  local k=$work/kubelet
  mkdir -p "$k/root" "$work/pod-logs"
  cat >"$k/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failSwapOn: false
containerRuntimeEndpoint: unix://$work/containerd/containerd.sock
address: $node_ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $work/pki/ca.crt}
authorization: {mode: Webhook}
podLogsDir: $work/pod-logs
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
makeIPTablesUtilChains: false
serializeImagePulls: false
# ConfigMap volumes are refreshed on a Pod's sync: sooner than the default minute.
syncFrequency: 10s
EOF
  start kubelet "$NODE_TOOLS/kubelet" --config "$k/config.yaml" --kubeconfig "$work/kubeconfig" \
    --root-dir "$k/root" --hostname-override "$node_name" --node-ip "$node_ip"
  wait_for 120 node_ready || die "the node did not become Ready (see $work/logs/kubelet.log)"
}

node_ready() {
  [ "$(kubectl_ get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

up() {
  preflight
  [ -f "$work/cluster.env" ] && die "$work already holds a cluster: cluster.sh down $work first"
  bash "$root/tests/e2e/build-tools.sh" --node || die "cannot build the Kubernetes components"
  eval "$(bash "$root/tests/e2e/build-tools.sh" --print-dir)"
  # Names unique to the work folder: two runs on one machine never share a namespace or cgroups.
  local id; id=$(echo "$work" | sha256sum | cut -c1-12)
  NETNS=clausegate-$id
  CGROUP_ROOT=clausegate-e2e-$id
  mkdir -p "$work/logs"
  : >"$work/pids"
  {
    echo "NETNS=$NETNS"
    echo "CGROUP_ROOT=$CGROUP_ROOT"
    echo "NODE_TOOLS=$NODE_TOOLS"
    echo "ETCD=$ETCD"
    echo "KUBECTL=$KUBECTL"
    echo "HELM=$HELM"
    echo "KUBECONFIG=$work/kubeconfig"
    echo "NODE_NAME=$node_name"
    echo "NODE_IP=$node_ip"
  } >"$work/cluster.env"
  local t0; t0=$(date +%s)
  make_cgroups
  pki
  network
  containerd_up
  pause_image
  control_plane
  kubelet_up
  log "node $node_name Ready after $(( $(date +%s) - t0 )) s (namespace $NETNS, work $work)"
}

# Every process in the run's cgroups (the Pods' containers and their shims' children).
kill_cgroup_tasks() {
  local ctl=freezer pids
  [ -d "/sys/fs/cgroup/$ctl/$CGROUP_ROOT" ] || return 0
  for _ in 1 2 3 4 5; do
    pids=$(find "/sys/fs/cgroup/$ctl/$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -z "$pids" ] && return 0
    kill -9 $pids 2>/dev/null
    sleep 0.5
  done
}

down() {
  state || { log "no cluster in $work"; return 0; }
  # The kubelet first (it would restart what is killed), then the Pods, then the rest.
  local pid name
  while read -r pid name; do
    [ "$name" = kubelet ] && kill "$pid" 2>/dev/null
  done <"$work/pids"
  kill_cgroup_tasks
  # containerd's shims live outside the cgroup root; they go with their containers.
  for pid in $(pgrep -f "containerd-shim.*$work/containerd" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  tac "$work/pids" | while read -r pid name; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 1 40); do
    local alive=0
    while read -r pid name; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$work/pids"
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  while read -r pid name; do kill -9 "$pid" 2>/dev/null; done <"$work/pids"
  # Mounts under the work folder (overlay snapshots, Pod volumes, sandbox namespaces).
  grep -o " $work[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  local ctl
  for ctl in $(cgroup_controllers); do
    [ -d "/sys/fs/cgroup/$ctl/$CGROUP_ROOT" ] &&
      find "/sys/fs/cgroup/$ctl/$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  ip netns del "$NETNS" 2>/dev/null
  rm -f "$work/cluster.env"
  log "stopped and removed (namespace $NETNS)"
}

case $cmd in
  up) up ;;
  down) down ;;
  import)
    state || die "no cluster in $work"
    ctr --address "$work/containerd/containerd.sock" -n k8s.io images import "${1:?archive}" >/dev/null ;;
  run)
    state || die "no cluster in $work"
    export KUBECONFIG=$work/kubeconfig
    in_ns "$@" ;;
  *) die "unknown command $cmd (up, down, import, run)" ;;
esac
