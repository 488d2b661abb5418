#!/usr/bin/env bash
# A coordinator and N workers on this machine, on loopback: the distributed form of parallm to
# try by hand or from a test, without a second host.
#
#   scripts/local-cluster.sh N [--heartbeat-ms MS] [--liveness N] [--concurrency N]
#                              [--endpoint-map FROM=TO]... [--workers-port P] [--clients-port P]
#   scripts/local-cluster.sh stop
#
# Ports are free ones unless given. Logs, pids and the endpoints go to $PARALLM_CLUSTER_DIR
# (default ./local-cluster); `stop` ends exactly the processes listed there. The binary is
# $PARALLM_BIN, or build/parallm (built first by scripts/setup.sh when it is missing).
set -euo pipefail

usage() {
  sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PARALLM_CLUSTER_DIR:-$PWD/local-cluster}

# A pid from the list counts only while it is still a parallm process: a pid reused after a
# reboot or a long time is someone else's.
alive() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'parallm'; }

stop_cluster() {
  [[ -f $dir/pids ]] || {
    echo "local-cluster: nothing to stop ($dir/pids does not exist)"
    return 0
  }
  local pids=()
  while read -r pid _; do pids+=("$pid"); done <"$dir/pids"
  for pid in "${pids[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  # A worker or coordinator stops within a heartbeat or two; a stuck one is killed.
  for _ in $(seq 50); do
    local left=0
    for pid in "${pids[@]}"; do alive "$pid" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
  echo "local-cluster: stopped ${#pids[@]} processes (logs stay in $dir)"
}

[[ $# -ge 1 ]] || usage
if [[ $1 == stop ]]; then
  stop_cluster
  exit 0
fi
[[ $1 =~ ^[1-9][0-9]*$ ]] || usage
workers=$1
shift

coordinator_flags=()
worker_flags=()
workers_port='*'
clients_port='*'
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --heartbeat-ms)
      coordinator_flags+=("$1" "$2")
      worker_flags+=("$1" "$2")
      ;;
    --liveness) coordinator_flags+=("$1" "$2") ;;
    --concurrency | --endpoint-map) worker_flags+=("$1" "$2") ;;
    --workers-port) workers_port=$2 ;;
    --clients-port) clients_port=$2 ;;
    *) usage ;;
  esac
  shift 2
done

parallm=${PARALLM_BIN:-$root/build/parallm}
if [[ ! -x $parallm ]]; then
  [[ -z ${PARALLM_BIN:-} ]] || {
    echo "local-cluster: PARALLM_BIN=$parallm is not an executable" >&2
    exit 1
  }
  "$root/scripts/setup.sh"
fi

mkdir -p "$dir"
if [[ -f $dir/pids ]]; then
  while read -r pid _; do
    if alive "$pid"; then
      echo "local-cluster: already running from $dir (pid $pid); run '$0 stop' first" >&2
      exit 1
    fi
  done <"$dir/pids"
fi
: >"$dir/pids"

# Whatever fails from here on leaves nothing running.
started=0
trap '((started)) || stop_cluster >/dev/null' EXIT

nohup "$parallm" coordinator --workers-bind "tcp://127.0.0.1:$workers_port" \
  --clients-bind "tcp://127.0.0.1:$clients_port" "${coordinator_flags[@]}" \
  </dev/null >"$dir/coordinator.log" 2>&1 &
echo "$! coordinator" >>"$dir/pids"
coordinator_pid=$!

# The coordinator prints the endpoints it bound, free ports resolved, in one line.
line=
for _ in $(seq 100); do
  line=$(grep -m1 '^parallm coordinator: workers on ' "$dir/coordinator.log" || true)
  [[ -n $line ]] && break
  alive "$coordinator_pid" || break
  sleep 0.1
done
if [[ -z $line ]]; then
  echo "local-cluster: the coordinator did not start:" >&2
  cat "$dir/coordinator.log" >&2
  exit 1
fi
workers_ep=$(sed -E 's/^parallm coordinator: workers on ([^,]+), clients on .*/\1/' <<<"$line")
clients_ep=$(sed -E 's/.*, clients on ([^ ]+) \(epoch.*/\1/' <<<"$line")
printf 'workers %s\nclients %s\n' "$workers_ep" "$clients_ep" >"$dir/endpoints"

for i in $(seq "$workers"); do
  nohup "$parallm" worker --connect "$workers_ep" --name "local-$i" "${worker_flags[@]}" \
    </dev/null >"$dir/worker-$i.log" 2>&1 &
  echo "$! worker local-$i" >>"$dir/pids"
done

# Ready when the coordinator has logged every worker's join.
joined=0
for _ in $(seq 200); do
  joined=$(grep -c 'parallm coordinator: worker .* joined' "$dir/coordinator.log" || true)
  ((joined >= workers)) && break
  sleep 0.1
done
if ((joined < workers)); then
  echo "local-cluster: $joined of $workers workers joined in 20 s; logs in $dir" >&2
  exit 1
fi
started=1

cat <<EOF
local-cluster: coordinator (pid $coordinator_pid) and $workers workers, logs and pids in $dir
  workers connect to  $workers_ep
  clients connect to  $clients_ep
Submit a batch and watch the cluster with:
  $parallm submit examples/batch_map/job.yaml --input examples/batch_map/input.jsonl --output out.jsonl --coordinator $clients_ep
  $parallm status --coordinator $clients_ep
Stop it with:
  ${PARALLM_CLUSTER_DIR:+PARALLM_CLUSTER_DIR=$dir }$0 stop
EOF
