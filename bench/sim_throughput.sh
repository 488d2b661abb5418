#!/usr/bin/env bash
# In-process throughput and memory of `parallm run` on the sim provider with no latency:
# N one-node items through the whole system (reader, coordinator, workers, reducer, writer).
# Prints one JSON line per run: items/s from parallm's own wall time, peak RSS from
# /usr/bin/time -v.
#
#   bench/sim_throughput.sh [N...]        default: 100000 1000000
#   PARALLM=build/parallm WORKERS=1 REPS=3 bench/sim_throughput.sh 100000
set -euo pipefail
cd "$(dirname "$0")/.."

parallm=${PARALLM:-build/parallm}
workers=${WORKERS:-1}
reps=${REPS:-1}
sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000)
work=$(mktemp -d /tmp/parallm-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/job.yaml" <<'YAML'
version: 1
name: sim-throughput
provider: { kind: sim, latency_ms: 0 }
limits: { concurrency: 256 }
nodes:
  echo: { prompt: "item {{i}}: say pong", max_tokens: 16 }
YAML

for n in "${sizes[@]}"; do
  python3 -c "
import sys
w = sys.stdout.write
for i in range($n): w('{\"id\": %d, \"i\": %d}\n' % (i, i))
" >"$work/in.jsonl"
  for ((rep = 1; rep <= reps; rep++)); do
    # Truncating a large output file left by the previous run is not the run's work.
    rm -f "$work/out.jsonl"
    sync
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$work/time.txt" "$parallm" run "$work/job.yaml" --input "$work/in.jsonl" \
      --output "$work/out.jsonl" --workers "$workers" --no-progress 2>"$work/stderr.txt" || {
      cat "$work/stderr.txt" >&2
      exit 1
    }
    end=$(date +%s.%N)
    ok=$(grep -c '"status":"ok"' "$work/out.jsonl" || true)
    rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
    cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/time.txt")
    python3 -c "
import json
n, ok, wall, rss, cpu = $n, $ok, $end - $start, $rss_kb, $cpu
print(json.dumps({'bench': 'sim_throughput', 'n': n, 'workers': $workers, 'ok': ok,
                  'wall_s': round(wall, 3), 'items_per_s': round(n / wall),
                  'peak_rss_mb': round(rss / 1024, 1), 'cpu_s': cpu}))"
  done
done
