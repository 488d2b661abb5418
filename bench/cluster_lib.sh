# Shared by the cluster_*.sh benchmarks (sourced, not run): start a coordinator and workers,
# wait for them, read a process's CPU time and peak RSS from /proc, stop what was started.
# Every process started here is recorded in cluster_pids and stopped by cluster_stop, by pid.

cluster_pids=()
# Extra coordinator flags, e.g. (--insecure) for a plain-text bind beyond loopback.
cluster_coordinator_flags=()

# cluster_start_coordinator LOG [PREFIX...] -- WORKERS_BIND CLIENTS_BIND
# Sets coord_pid, workers_ep, clients_ep. PREFIX (e.g. `ip netns exec NS`) runs it elsewhere.
cluster_start_coordinator() {
  local log=$1 wbind=$2 cbind=$3
  shift 3
  # Gone before the start: the child truncates it only when it runs, and the wait below must
  # not read the previous run's line.
  rm -f "$log"
  "$@" "$parallm" coordinator --workers-bind "$wbind" --clients-bind "$cbind" \
    "${cluster_coordinator_flags[@]}" 2>"$log" &
  coord_pid=$!
  cluster_pids+=("$coord_pid")
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q 'workers on' "$log" 2>/dev/null && break
    sleep 0.05
  done
  workers_ep=$(sed -n 's/.*workers on \(tcp:[^,]*\),.*/\1/p' "$log")
  clients_ep=$(sed -n 's/.*clients on \(tcp:[^ ]*\) .*/\1/p' "$log")
  [[ -n $workers_ep && -n $clients_ep ]] || {
    cat "$log" >&2
    return 1
  }
}

# cluster_start_worker LOG NAME CAPACITY ENDPOINT [PREFIX...]; appends its pid to worker_pids.
cluster_start_worker() {
  local log=$1 name=$2 capacity=$3 ep=$4
  shift 4
  "$@" "$parallm" worker --connect "$ep" --name "$name" -c "$capacity" 2>"$log" &
  worker_pids+=("$!")
  cluster_pids+=("$!")
}

# cluster_wait_workers COUNT LOG: until the coordinator's log says COUNT workers joined.
cluster_wait_workers() {
  local want=$1 log=$2 i
  for ((i = 0; i < 600; i++)); do
    (($(grep -c ' joined with capacity' "$log") >= want)) && return 0
    sleep 0.05
  done
  echo "only $(grep -c ' joined with capacity' "$log") of $want workers joined" >&2
  return 1
}

# CPU seconds (user + system, ticks of 1/CLK_TCK) a process has used so far.
cluster_cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Peak and current RSS of a live process, in kB.
cluster_hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cluster_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Stops every process this script started, by pid, and waits for them.
cluster_stop() {
  local pid
  for pid in "${cluster_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${cluster_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  cluster_pids=()
  worker_pids=()
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# The whole machine's busy and stolen CPU so far, in ticks (all cores): busy minus the
# benchmark's own processes is what the rest of the machine took meanwhile.
cluster_machine_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
cluster_machine_steal_ticks() { awk '/^cpu / {print $9; exit}' /proc/stat; }

# The benchmarks' batch: DIR/job.yaml, one echo call per item on the sim provider, and
# DIR/in.jsonl with N items. Usage: cluster_write_batch DIR NAME LATENCY_MS CONCURRENCY N
cluster_write_batch() {
  cat >"$1/job.yaml" <<YAML
version: 1
name: $2
provider: { kind: sim, latency_ms: $3 }
limits: { concurrency: $4 }
nodes:
  echo: { prompt: "item {{i}}: say pong", max_tokens: 16 }
YAML
  python3 -c "
import sys
w = sys.stdout.write
for i in range($5): w('{\"id\": %d, \"i\": %d}\n' % (i, i))
" >"$1/in.jsonl"
}
