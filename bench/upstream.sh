#!/usr/bin/env bash
# The project's fake LLM upstream (tests/upstream/nginx.conf.in: Debian's nginx + echo
# module, 127.0.0.1 only) for benchmarks:
#
#   bench/upstream.sh start PORT     prints the base URL once /health answers
#   bench/upstream.sh stop PORT
#   bench/upstream.sh requests PORT  nginx's request counter
#
# State lives in /tmp/parallm-upstream-PORT/ (config, pid, logs, non2xx.log).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?start|stop|requests}
port=${2:-18090}
run=/tmp/parallm-upstream-$port

case $cmd in
  start)
    mkdir -p "$run"
    sed -e "s|@PORT@|$port|g" -e "s|@RUNDIR@|$run|g" tests/upstream/nginx.conf.in >"$run/nginx.conf"
    setsid /usr/sbin/nginx -p "$run" -c "$run/nginx.conf" -e "$run/error.log" \
      -g 'daemon off;' >"$run/stdout.log" 2>&1 &
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      sleep 0.05
    done
    echo "upstream: nginx did not start on $port:" >&2
    cat "$run/error.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f $run/nginx.pid ]]; then
      kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
      for _ in $(seq 1 100); do [[ -f $run/nginx.pid ]] || break; sleep 0.05; done
    fi
    ;;
  requests)
    curl -fsS "http://127.0.0.1:$port/stub_status" | awk 'NR == 3 {print $3}'
    ;;
  *) echo "usage: $0 start|stop|requests [PORT]" >&2; exit 2 ;;
esac
