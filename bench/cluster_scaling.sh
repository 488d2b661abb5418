#!/usr/bin/env bash
# Scaling across worker processes on loopback: N one-node sim items with LATENCY_MS per call,
# each worker running C calls at once (`worker -c C`, and the job's limits.concurrency C), for
# each worker count K. The work is latency-bound, so K workers should take 1/K of one worker's
# wall time. Prints one JSON line per run, with the speedup over the same rep's 1-worker run.
#
# Each run starts a fresh coordinator and K workers, waits for all to join, then times
# `submit` from exec to exit. ideal_s = ceil(N / (K * C)) * LATENCY_MS.
#
#   bench/cluster_scaling.sh [K...]          default: 1 4
#   REPS=3 N=2000 C=50 LATENCY_MS=100 PARALLM=build/parallm bench/cluster_scaling.sh 1 2 4
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir=$PWD/bench
parallm=$(realpath "${PARALLM:-build/parallm}")
n=${N:-2000}
c=${C:-50}
latency_ms=${LATENCY_MS:-100}
reps=${REPS:-3}
counts=("$@")
((${#counts[@]})) || counts=(1 4)
source "$bench_dir/cluster_lib.sh"
work=$(mktemp -d /tmp/parallm-bench-XXXXXX)
trap 'cluster_stop; rm -rf "$work"' EXIT

cluster_write_batch "$work" cluster-scaling "$latency_ms" "$c" "$n"

for ((rep = 1; rep <= reps; rep++)); do
  one_wall=
  for k in "${counts[@]}"; do
    load_start=$(load1)
    worker_pids=()
    cluster_start_coordinator "$work/coord.log" 'tcp://127.0.0.1:*' 'tcp://127.0.0.1:*'
    for ((i = 1; i <= k; i++)); do
      cluster_start_worker "$work/w$i.log" "w$i" "$c" "$workers_ep"
    done
    cluster_wait_workers "$k" "$work/coord.log"
    rm -f "$work/out.jsonl"
    m0=$(cluster_machine_busy_ticks)
    start=$(date +%s.%N)
    "$parallm" submit "$work/job.yaml" --input "$work/in.jsonl" --output "$work/out.jsonl" \
      --coordinator "$clients_ep" --no-progress 2>"$work/stderr.txt" || {
      cat "$work/stderr.txt" "$work/coord.log" >&2
      exit 1
    }
    end=$(date +%s.%N)
    m1=$(cluster_machine_busy_ticks)
    # Which worker ran how many: the coordinator's own count, before it stops.
    per_worker=$("$parallm" status --coordinator "$clients_ep" --json |
      python3 -c "import json, sys; print(sorted(w['done'] for w in json.load(sys.stdin)['workers']))")
    cluster_stop
    ok=$(grep -c '"status":"ok"' "$work/out.jsonl" || true)
    wall=$(python3 -c "print(round($end - $start, 3))")
    if [[ $k == 1 ]]; then one_wall=$wall; fi
    python3 -c "
import json, math
n, k, c, lat, wall = $n, $k, $c, $latency_ms, $wall
one = '$one_wall'
ideal = math.ceil(n / (k * c)) * lat / 1000
print(json.dumps({'bench': 'cluster_scaling', 'n': n, 'workers': k, 'c': c, 'latency_ms': lat,
  'ok': $ok, 'wall_s': wall, 'items_per_s': round(n / wall), 'ideal_s': ideal,
  'efficiency': round(ideal / wall, 3), 'done_per_worker': $per_worker,
  'speedup_vs_1': round(float(one) / wall, 2) if one else None,
  'machine_busy_cpu_s': ($m1 - $m0) / 100, 'load1_start': $load_start}))"
  done
done
