# Helpers of the end-to-end scripts (sourced): parts with their times, checks that
# count, waiting with a deadline.
fails=0; passes=0
declare -a timings=()
t_part=$(date +%s.%N); part_name=""
part() {  # part NAME: closes the previous part's timer and starts one
  local now; now=$(date +%s.%N)
  [ -n "$part_name" ] && timings+=("$(python3 -c 'import sys; print(f"{sys.argv[1]:<44} {float(sys.argv[3]) - float(sys.argv[2]):6.1f} s")' "$part_name" "$t_part" "$now")")
  part_name=$1; t_part=$now
  echo "== $1"
}
abort_unless() {  # abort_unless STATUS: the rest depends on what just failed
  [ "$1" = 0 ] || { echo "e2e: cannot go on"; exit 1; }
}
expect() {  # expect NAME STATUS [DETAILS_FILE]
  if [ "$2" = 0 ]; then passes=$((passes+1)); echo "ok   $1"
  else fails=$((fails+1)); echo "FAIL $1"; [ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/     /' "$3" | head -30; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
summary() {  # summary NAME: the parts' times and the count; the status of the run
  part "done"
  echo
  printf '%s\n' "${timings[@]}"
  echo "$1: $passes passed, $fails failed"
  [ "$fails" = 0 ]
}

# etcd and kube-apiserver on loopback, as $work/kubeconfig (exported) with an admin
# token; sets api_port and k(). Needs $ETCD, $KUBE_APISERVER (build-tools.sh), $work,
# $here and the pids array; aborts the run if they do not come up.
start_apiserver() {
  bash "$root/scripts/dev-certs.sh" "$work/pki" >/dev/null
  openssl genrsa -out "$work/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$work/pki/sa.key" -pubout -out "$work/pki/sa.pub" 2>/dev/null
  token=$(openssl rand -hex 16)
  echo "$token,e2e-admin,e2e-admin-uid,system:masters" >"$work/tokens.csv"
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port)

  "$ETCD" --name e2e --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer" --log-level warn >"$work/etcd.log" 2>&1 &
  pids+=($!)
  wait_for 30 curl -fsS "http://127.0.0.1:$etcd_port/health"; st=$?; expect "etcd is healthy" $st "$work/etcd.log"; abort_unless $st

  # No controller-manager runs here: the ServiceAccount admission plugin (which needs
  # default service accounts) is off; ValidatingAdmissionWebhook is what is tested.
  "$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --endpoint-reconciler-type none --allow-privileged=true \
    --tls-cert-file "$work/pki/server.crt" --tls-private-key-file "$work/pki/server.key" \
    --client-ca-file "$work/pki/ca.crt" --token-auth-file "$work/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/pki/sa.pub" \
    --service-account-signing-key-file "$work/pki/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,ValidatingAdmissionWebhook,MutatingAdmissionWebhook \
    --disable-admission-plugins ServiceAccount \
    --audit-policy-file "$here/manifests/audit-policy.yaml" --audit-log-path "$work/audit.log" \
    --cert-dir "$work/apiserver" >"$work/apiserver.log" 2>&1 &
  pids+=($!)
  cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$work/pki/ca.crt"}
users:
  - name: e2e-admin
    user: {token: "$token"}
contexts:
  - name: e2e
    context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
  export KUBECONFIG=$work/kubeconfig
  k() { kubectl --request-timeout=20s "$@"; }
  wait_for 120 k get --raw /readyz; st=$?; expect "kube-apiserver is ready" $st "$work/apiserver.log"; abort_unless $st
  wait_for 30 k get namespace default; expect "default namespace exists" $?
}
