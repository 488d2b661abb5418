#!/usr/bin/env bash
# parallm as a system under test of the peer benchmark contract (bench/README.md):
#
#   bench_driver.sh --url URL --n N --concurrency C [--noop] [--max-attempts K]
#                   [--backoff-initial S] [--backoff-max S] [--timeout S] [--rpm R]
#
# Writes N items {"id": i, "i": i} and a one-node job that sends "item {{i}}: say pong"
# (max_tokens 16) to URL with C calls in flight, times `parallm run`, and prints one JSON
# line: wall_s (parallm's own, from --stats), process_s, ok, failed, attempts, retries. --noop runs the sim provider with no latency
# instead of HTTP. --rpm sets limits.rpm (otherwise the rate adapts to 429s).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
parallm=${PARALLM:-$here/build/parallm}

url="" n=0 concurrency=1 noop=0 attempts=1 backoff_initial=0.5 backoff_max=8 timeout=30 rpm=0
while (($#)); do
  case $1 in
    --url) url=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --noop) noop=1; shift ;;
    --max-attempts) attempts=$2; shift 2 ;;
    --backoff-initial) backoff_initial=$2; shift 2 ;;
    --backoff-max) backoff_max=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --rpm) rpm=$2; shift 2 ;;
    *) echo "bench_driver: unknown argument $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/parallm-driver-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -c "
import sys
w = sys.stdout.write
for i in range($n): w('{\"id\": %d, \"i\": %d}\n' % (i, i))
" >"$work/in.jsonl"

if ((noop)); then
  provider="{ kind: sim, latency_ms: 0 }"
else
  provider="{ kind: openai, base_url: \"${url%/chat/completions}\", model: fake-llm, api_key_env: BENCH_NO_KEY }"
fi
cat >"$work/job.yaml" <<YAML
version: 1
name: bench
provider: $provider
limits:
  concurrency: $concurrency
  max_retries: $((attempts - 1))
  timeout_s: $timeout
  backoff_initial_s: $backoff_initial
  backoff_max_s: $backoff_max
  rpm: $rpm
nodes:
  call: { prompt: "item {{i}}: say pong", max_tokens: 16 }
YAML

start=$(date +%s.%N)
status=0
"$parallm" run "$work/job.yaml" --input "$work/in.jsonl" --output "$work/out.jsonl" \
  --no-progress --stats "$work/stats.json" 2>"$work/stderr.txt" || status=$?
end=$(date +%s.%N)
if ((status != 0 && status != 3)); then
  cat "$work/stderr.txt" >&2
  echo "{\"wall_s\": 0, \"ok\": 0, \"failed\": $n, \"error\": \"parallm exited $status\"}"
  exit 0
fi
python3 - "$work/out.jsonl" "$n" "$start" "$end" "$("$parallm" --version)" "$work/stats.json" <<'PY'
import json, sys
path, n, start, end, version = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
stats = json.load(open(sys.argv[6]))
ok = attempts = 0
errors = {}
for line in open(path):
    item = json.loads(line)
    node = item["nodes"].get("call", {})
    attempts += node.get("attempts", 0)
    if item["status"] == "ok":
        ok += 1
    else:
        key = (item.get("error") or "?")[:60]
        errors[key] = errors.get(key, 0) + 1
# wall_s: parallm's own timer, from its start-up being done to the last line written (as the
# contract asks); process_s: the whole process.
print(json.dumps({"wall_s": round(stats["wall_s"], 3), "process_s": round(end - start, 3),
                  "ok": ok, "failed": n - ok,
                  "attempts": attempts, "retries": attempts - n if attempts else 0,
                  "errors": errors, "version": version}))
PY
