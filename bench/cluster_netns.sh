#!/usr/bin/env bash
# Many worker processes on many hosts, on one machine: HOSTS network namespaces of PER_HOST
# workers each, joined by a bridge to a coordinator namespace, with private 10.x addresses.
# The script creates the namespaces, bridge and veth pairs and removes them on exit; all the
# traffic stays inside them. Needs root (ip netns).
#
#   coordinator ns: bridge 10.78.0.1/24, the coordinator and `submit`
#   host ns k:      veth 10.78.0.(10+k)/24, PER_HOST workers, each `worker -c C`
#
# N one-node sim items with LATENCY_MS per call; ideal calls/s = HOSTS * PER_HOST * C * 1000 /
# LATENCY_MS (32,000 by default). Per run it measures, in this order:
#   - idle: the workers' and the coordinator's CPU over IDLE_S seconds once all have joined,
#     before anything is submitted (a heartbeat every second should cost next to nothing);
#   - the batch: `submit` from exec to exit; the coordinator's RSS every 0.5 s meanwhile; the
#     CPU seconds of the coordinator, the client and all the workers over the batch.
# Prints one JSON line per run.
#
#   sudo bench/cluster_netns.sh              default: N=320000 HOSTS=8 PER_HOST=8 C=50
#   REPS=3 N=320000 LATENCY_MS=100 IDLE_S=5 PARALLM=build/parallm bench/cluster_netns.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir=$PWD/bench
parallm=$(realpath "${PARALLM:-build/parallm}")
n=${N:-320000}
hosts=${HOSTS:-8}
per_host=${PER_HOST:-8}
c=${C:-50}
latency_ms=${LATENCY_MS:-100}
idle_s=${IDLE_S:-5}
reps=${REPS:-1}
workers=$((hosts * per_host))
source "$bench_dir/cluster_lib.sh"
work=$(mktemp -d /tmp/parallm-bench-XXXXXX)

# Names carry this script's pid, so that two runs (or a leftover) never share a namespace.
tag=pb$$
coord_ns=${tag}c
net=10.78.0
namespaces=()

teardown() {
  cluster_stop
  local ns
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap teardown EXIT

setup_network() {
  ip netns add "$coord_ns"
  namespaces+=("$coord_ns")
  ip -n "$coord_ns" link set lo up
  ip -n "$coord_ns" link add br0 type bridge
  ip -n "$coord_ns" addr add "$net.1/24" dev br0
  ip -n "$coord_ns" link set br0 up
  local k ns
  for ((k = 1; k <= hosts; k++)); do
    ns=${tag}h$k
    ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
    # Made in this namespace and moved at once: neither end stays here.
    ip link add "${tag}v${k}h" type veth peer name "${tag}v${k}c"
    ip link set "${tag}v${k}h" netns "$ns"
    ip link set "${tag}v${k}c" netns "$coord_ns"
    ip -n "$coord_ns" link set "${tag}v${k}c" master br0 up
    ip -n "$ns" addr add "$net.$((10 + k))/24" dev "${tag}v${k}h"
    ip -n "$ns" link set "${tag}v${k}h" up
  done
}

cluster_write_batch "$work" cluster-netns "$latency_ms" "$c" "$n"

setup_network

sum_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(cluster_cpu_ticks "$p"))); done
  echo "$t"
}

# Plain text on the namespaces' private bridge, as the benchmark measures the wire itself.
cluster_coordinator_flags=(--insecure)
for ((rep = 1; rep <= reps; rep++)); do
  load_start=$(load1)
  worker_pids=()
  cluster_start_coordinator "$work/coord.log" "tcp://$net.1:*" "tcp://$net.1:*" \
    ip netns exec "$coord_ns"
  for ((k = 1; k <= hosts; k++)); do
    for ((j = 1; j <= per_host; j++)); do
      cluster_start_worker "$work/h$k-w$j.log" "h$k-w$j" "$c" "$workers_ep" \
        ip netns exec "${tag}h$k"
    done
  done
  cluster_wait_workers "$workers" "$work/coord.log"
  # Joined is not settled: let the start-up's own work end before idle is measured.
  sleep 1

  idle_w0=$(sum_ticks "${worker_pids[@]}")
  idle_c0=$(cluster_cpu_ticks "$coord_pid")
  idle_t0=$(date +%s.%N)
  sleep "$idle_s"
  idle_w1=$(sum_ticks "${worker_pids[@]}")
  idle_c1=$(cluster_cpu_ticks "$coord_pid")
  idle_t1=$(date +%s.%N)

  batch_w0=$(sum_ticks "${worker_pids[@]}")
  batch_c0=$(cluster_cpu_ticks "$coord_pid")
  rss_start=$(cluster_rss_kb "$coord_pid")
  (
    while kill -0 "$coord_pid" 2>/dev/null; do
      cluster_rss_kb "$coord_pid"
      sleep 0.5
    done
  ) >"$work/rss.txt" &
  sampler=$!
  rm -f "$work/out.jsonl"
  m0=$(cluster_machine_busy_ticks)
  st0=$(cluster_machine_steal_ticks)
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time.txt" ip netns exec "$coord_ns" "$parallm" submit \
    "$work/job.yaml" --input "$work/in.jsonl" --output "$work/out.jsonl" \
    --coordinator "$clients_ep" --no-progress 2>"$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2
    tail -5 "$work/coord.log" >&2
    exit 1
  }
  end=$(date +%s.%N)
  m1=$(cluster_machine_busy_ticks)
  st1=$(cluster_machine_steal_ticks)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  batch_w1=$(sum_ticks "${worker_pids[@]}")
  batch_c1=$(cluster_cpu_ticks "$coord_pid")
  coord_hwm=$(cluster_hwm_kb "$coord_pid")
  per_worker=$(ip netns exec "$coord_ns" "$parallm" status --coordinator "$clients_ep" --json |
    python3 -c "
import json, sys
d = sorted(w['done'] for w in json.load(sys.stdin)['workers'])
print(json.dumps([d[0], d[len(d) // 2], d[-1]]))")
  cluster_stop

  ok=$(grep -c '"status":"ok"' "$work/out.jsonl" || true)
  client_cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/time.txt")
  client_rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
  python3 -c "
import json, math
n, w, c, lat = $n, $workers, $c, $latency_ms
wall = $end - $start
ideal_rate = w * c * 1000 / lat
idle_wall = $idle_t1 - $idle_t0
rss = [int(x) for x in open('$work/rss.txt').read().split()] or [0]
print(json.dumps({'bench': 'cluster_netns', 'n': n, 'hosts': $hosts, 'workers': w, 'c': c,
  'latency_ms': lat, 'ok': $ok, 'wall_s': round(wall, 3), 'calls_per_s': round(n / wall),
  'ideal_calls_per_s': round(ideal_rate), 'efficiency': round(n / wall / ideal_rate, 3),
  'idle_s': round(idle_wall, 2),
  'idle_worker_cpu_pct_each': round(($idle_w1 - $idle_w0) / 100 / idle_wall / w * 100, 3),
  'idle_workers_cpu_pct_total': round(($idle_w1 - $idle_w0) / 100 / idle_wall * 100, 2),
  'idle_coordinator_cpu_pct': round(($idle_c1 - $idle_c0) / 100 / idle_wall * 100, 2),
  'coordinator_cpu_s': ($batch_c1 - $batch_c0) / 100,
  'workers_cpu_s': ($batch_w1 - $batch_w0) / 100, 'client_cpu_s': $client_cpu,
  'client_peak_rss_mb': round($client_rss / 1024, 1),
  'coordinator_rss_mb_start': round($rss_start / 1024, 1),
  'coordinator_rss_mb_samples': [round(x / 1024, 1) for x in rss],
  'coordinator_peak_rss_mb': round($coord_hwm / 1024, 1),
  'done_per_worker_min_median_max': $per_worker,
  'machine_busy_cpu_s': ($m1 - $m0) / 100, 'steal_s': ($st1 - $st0) / 100,
  'load1_start': $load_start}))"
done
