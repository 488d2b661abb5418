#!/usr/bin/env bash
# parallm against the project's loopback fake upstream, on the peer benchmark's workloads
# (same items, same request body shape, same limits):
#   W1  5000 requests, no upstream delay, 64 in flight          (/v1)
#   W2  2000 requests, 100 ms upstream delay, 100 in flight     (/lat100/v1)
#   W4  300 requests, 20 r/s limit answering 429 + Retry-After, 32 in flight, no rate set (/rl/v1)
#   W4r the same with rpm: 1200 in the job                      (/rl/v1)
# Prints one JSON line per run (the driver's line plus workload, upstream requests and 429s
# counted by nginx).   WORKLOADS=W1,W2 REPS=3 bench/http_workloads.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-18090}
reps=${REPS:-1}
IFS=, read -r -a workloads <<<"${WORKLOADS:-W1,W2,W4,W4r}"
base=$(bench/upstream.sh start "$port")
trap 'bench/upstream.sh stop "$port"' EXIT

non2xx() {  # 429s and other non-2xx answers nginx logged so far
  local log=/tmp/parallm-upstream-$port/non2xx.log
  if [[ -f $log ]]; then wc -l <"$log"; else echo 0; fi
}

run() {  # workload path n c extra-args...
  local name=$1 path=$2 n=$3 c=$4
  shift 4
  local before after non2xx_before non2xx_after line
  before=$(bench/upstream.sh requests "$port")
  non2xx_before=$(non2xx)
  line=$(scripts/bench_driver.sh --url "$base$path/chat/completions" --n "$n" --concurrency "$c" "$@" | tail -n 1)
  after=$(bench/upstream.sh requests "$port")
  non2xx_after=$(non2xx)
  python3 -c "
import json, sys
d = json.loads(sys.argv[1])
d.update(workload=sys.argv[2], n=int(sys.argv[3]), concurrency=int(sys.argv[4]),
         upstream_requests=int(sys.argv[5]) - int(sys.argv[6]) - 1,
         http_429_server=int(sys.argv[7]) - int(sys.argv[8]))
print(json.dumps(d))" "$line" "$name" "$n" "$c" "$after" "$before" "$non2xx_after" "$non2xx_before"
}

for ((rep = 1; rep <= reps; rep++)); do
  for w in "${workloads[@]}"; do
    case $w in
      W1) run W1 /v1 5000 64 ;;
      W2) run W2 /lat100/v1 2000 100 ;;
      W4) run W4 /rl/v1 300 32 --max-attempts 10 --backoff-initial 0.5 --backoff-max 8 ;;
      W4r) run W4r /rl/v1 300 32 --max-attempts 10 --backoff-initial 0.5 --backoff-max 8 --rpm 1200 ;;
      *) echo "unknown workload $w" >&2; exit 2 ;;
    esac
  done
done
