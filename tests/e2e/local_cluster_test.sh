#!/usr/bin/env bash
# scripts/local-cluster.sh as a user runs it: a coordinator and 2 workers, the batch_map
# example submitted to them, every id once and ok, then `stop` ends every process it started.
# Usage: local_cluster_test.sh PARALLM_EXE SOURCE_DIR
set -euo pipefail
exe=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/parallm-local-cluster-XXXXXX")
export PARALLM_BIN=$exe PARALLM_CLUSTER_DIR=$work/cluster
trap '"$src/scripts/local-cluster.sh" stop >/dev/null || true; rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$PARALLM_CLUSTER_DIR"/*.log; do
    echo "--- $log" >&2
    cat "$log" >&2
  done
  exit 1
}

"$src/scripts/local-cluster.sh" 2 --heartbeat-ms 200 >"$work/started.txt" || fail "start"
cat "$work/started.txt"
clients=$(awk '$1 == "clients" { print $2 }' "$PARALLM_CLUSTER_DIR/endpoints")
[[ $clients == tcp://127.0.0.1:* ]] || fail "no clients endpoint in endpoints: $clients"
# The lines it prints are the ones to use.
grep -qF -- "submit examples/batch_map/job.yaml --input examples/batch_map/input.jsonl --output out.jsonl --coordinator $clients" "$work/started.txt" ||
  fail "the printed submit line"
grep -qF -- "status --coordinator $clients" "$work/started.txt" || fail "the printed status line"

example=$src/examples/batch_map
"$exe" submit "$example/job.yaml" --input "$example/input.jsonl" --output "$work/out.jsonl" \
  --coordinator "$clients" --no-progress || fail "submit exited $?"
"$exe" status --coordinator "$clients" --json >"$work/status.json" || fail "status exited $?"

python3 - "$example/input.jsonl" "$work/out.jsonl" "$work/status.json" <<'EOF' || fail "output"
import json, sys
want = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
got = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
ids = [g["id"] for g in got]
assert sorted(ids) == sorted(want) and len(set(ids)) == len(ids), f"ids {ids} != {want}"
bad = [g["id"] for g in got if g["status"] != "ok"]
assert not bad, f"not ok: {bad}"
workers = json.load(open(sys.argv[3]))["workers"]
assert sorted(w["name"] for w in workers) == ["local-1", "local-2"], workers
assert sum(w["done"] for w in workers) == len(want), workers
EOF

pids=$(awk '{ print $1 }' "$PARALLM_CLUSTER_DIR/pids")
[[ $(wc -w <<<"$pids") -eq 3 ]] || fail "pids: $pids"
"$src/scripts/local-cluster.sh" stop || fail "stop"
# A stopped process may linger as a zombie until its new parent reaps it: it has no cmdline.
for pid in $pids; do
  ! grep -q parallm "/proc/$pid/cmdline" 2>/dev/null || fail "pid $pid still runs after stop"
done
echo "local-cluster: 2 workers, $(wc -l <"$work/out.jsonl") items ok, stopped"
