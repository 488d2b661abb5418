#!/usr/bin/env bash
# Distributed throughput on loopback: N one-node sim items (no latency) through `parallm submit`
# -> coordinator -> WORKERS worker processes, and in the same run the project's asyncio no-op
# baseline (bench/peers/asyncio_noop.py) on the same input. Prints one JSON line per rep.
#
# Each rep starts a fresh coordinator and workers (so their peak RSS is this batch's) and waits
# for every worker to join. Timed as the peer benchmark's contract times every system: each by
# its own clock, from after process start-up to the last result written (submit's wall_s from
# --stats, so connecting, hello and submitting count; the baseline's from its own timer, after
# the interpreter's start-up). The ratio is of those; items_per_s_process and
# asyncio_items_per_s_process time both from exec to exit, start-ups included. Peak RSS: the
# client's and the baseline's from /usr/bin/time -v, the coordinator's and workers' VmHWM.
# CPU: each process's user + system seconds over the batch, from /proc.
#
#   bench/cluster_throughput.sh [N]          default 100000
#   REPS=5 WORKERS=2 WORKER_C=256 PARALLM=build/parallm bench/cluster_throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir=$PWD/bench
parallm=$(realpath "${PARALLM:-build/parallm}")
n=${1:-100000}
reps=${REPS:-3}
workers=${WORKERS:-2}
worker_c=${WORKER_C:-256}
source "$bench_dir/cluster_lib.sh"
work=$(mktemp -d /tmp/parallm-bench-XXXXXX)
trap 'cluster_stop; rm -rf "$work"' EXIT

cluster_write_batch "$work" cluster-throughput 0 "$worker_c" "$n"

for ((rep = 1; rep <= reps; rep++)); do
  load_start=$(load1)
  # The baseline first, on a machine as quiet as the parallm run finds it.
  rm -f "$work/base.jsonl"
  sync
  bm0=$(cluster_machine_busy_ticks)
  b0=$(date +%s.%N)
  /usr/bin/time -v -o "$work/btime.txt" python3 "$bench_dir/peers/asyncio_noop.py" \
    "$work/in.jsonl" "$work/base.jsonl" --concurrency "$worker_c" 2>"$work/bstderr.txt"
  b1=$(date +%s.%N)
  bm1=$(cluster_machine_busy_ticks)
  base_ok=$(grep -c '"status": "ok"' "$work/base.jsonl" || true)
  base_rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/btime.txt")

  worker_pids=()
  cluster_start_coordinator "$work/coord.log" 'tcp://127.0.0.1:*' 'tcp://127.0.0.1:*'
  for ((k = 1; k <= workers; k++)); do
    cluster_start_worker "$work/w$k.log" "w$k" "$worker_c" "$workers_ep"
  done
  cluster_wait_workers "$workers" "$work/coord.log"
  coord_t0=$(cluster_cpu_ticks "$coord_pid")
  workers_t0=0
  for p in "${worker_pids[@]}"; do workers_t0=$((workers_t0 + $(cluster_cpu_ticks "$p"))); done

  rm -f "$work/out.jsonl"
  sync
  m0=$(cluster_machine_busy_ticks)
  st0=$(cluster_machine_steal_ticks)
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time.txt" "$parallm" submit "$work/job.yaml" \
    --input "$work/in.jsonl" --output "$work/out.jsonl" --coordinator "$clients_ep" \
    --no-progress --stats "$work/stats.json" 2>"$work/stderr.txt" || {
    cat "$work/stderr.txt" "$work/coord.log" >&2
    exit 1
  }
  end=$(date +%s.%N)
  m1=$(cluster_machine_busy_ticks)
  st1=$(cluster_machine_steal_ticks)

  coord_t1=$(cluster_cpu_ticks "$coord_pid")
  coord_hwm=$(cluster_hwm_kb "$coord_pid")
  workers_t1=0
  worker_hwm=0
  for p in "${worker_pids[@]}"; do
    workers_t1=$((workers_t1 + $(cluster_cpu_ticks "$p")))
    h=$(cluster_hwm_kb "$p")
    if ((h > worker_hwm)); then worker_hwm=$h; fi
  done
  cluster_stop
  ok=$(grep -c '"status":"ok"' "$work/out.jsonl" || true)
  rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
  cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/time.txt")
  python3 -c "
import json
n, process, bprocess = $n, $end - $start, $b1 - $b0
wall = json.load(open('$work/stats.json'))['wall_s']
bwall = json.loads(open('$work/bstderr.txt').read().strip().splitlines()[-1])['wall_s']
print(json.dumps({'bench': 'cluster_throughput', 'n': n, 'workers': $workers,
  'worker_c': $worker_c, 'ok': $ok, 'wall_s': round(wall, 3), 'items_per_s': round(n / wall),
  'asyncio_ok': $base_ok, 'asyncio_wall_s': round(bwall, 3),
  'asyncio_items_per_s': round(n / bwall), 'ratio': round(bwall / wall, 2),
  'process_s': round(process, 3), 'items_per_s_process': round(n / process),
  'asyncio_process_s': round(bprocess, 3), 'asyncio_items_per_s_process': round(n / bprocess),
  'ratio_process': round(bprocess / process, 2),
  'client_peak_rss_mb': round($rss_kb / 1024, 1),
  'coordinator_peak_rss_mb': round($coord_hwm / 1024, 1),
  'worker_peak_rss_mb': round($worker_hwm / 1024, 1),
  'asyncio_peak_rss_mb': round($base_rss / 1024, 1),
  'client_cpu_s': $cpu, 'coordinator_cpu_s': ($coord_t1 - $coord_t0) / 100,
  'workers_cpu_s': ($workers_t1 - $workers_t0) / 100,
  'machine_busy_cpu_s': ($m1 - $m0) / 100, 'steal_s': ($st1 - $st0) / 100,
  'asyncio_machine_busy_cpu_s': ($bm1 - $bm0) / 100, 'load1_start': $load_start}))"
done
