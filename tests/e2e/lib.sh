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
