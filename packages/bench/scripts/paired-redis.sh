#!/bin/bash
# Paired CPU-per-request comparison of two builds of mpx-tunnel on a busy
# machine: both tunnel pairs (client -p 4 → server → one private
# redis-server) run at once, and short redis-benchmark rounds go through
# each in turn, so both see the same load. Prints, per round, the requests
# per second and the CPU (utime + stime of the tunnel client and server,
# from /proc) per request.
#
#   packages/bench/scripts/paired-redis.sh <repo-before> <repo-after> [rounds] [requests]
#
# Each repo must be built (apps/tunnel/dist/cli.js). Needs redis-server and
# redis-benchmark on PATH. Ports 26379, 27001-27002, 27011-27012 on 127.0.0.1:
# below 32768, outside Linux's ephemeral range (32768-60999), where other
# programs' port-0 listeners and connections could take them first.
set -u
B=$1; A=$2; ROUNDS=${3:-8}; N=${4:-20000}
RP=26379
pids=()
redis-server --port $RP --save '' --appendonly no --bind 127.0.0.1 >/dev/null 2>&1 & pids+=($!)
declare -A pid
start() { # name repo server-port client-port
  node "$2/apps/tunnel/dist/cli.js" server --listen 127.0.0.1:$3 --target 127.0.0.1:$RP --log-level warn >/dev/null 2>&1 & pid[$1s]=$!; pids+=($!)
  node "$2/apps/tunnel/dist/cli.js" client --listen 127.0.0.1:$4 --server "127.0.0.1:$3|1" -p 4 --log-level warn >/dev/null 2>&1 & pid[$1c]=$!; pids+=($!)
}
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
start before "$B" 27011 27012
start after "$A" 27001 27002
for p in 27012 27002; do for _ in $(seq 1 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.2; done; done
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
for p in 27012 27002; do timeout 60 redis-benchmark -p $p -c 50 -n 5000 -t set,get -q >/dev/null 2>&1; done
for i in $(seq 1 "$ROUNDS"); do
  for name in before after; do
    port=$([ $name = before ] && echo 27012 || echo 27002)
    t0=$(( $(ticks ${pid[${name}s]}) + $(ticks ${pid[${name}c]}) ))
    rps=$(timeout 120 redis-benchmark -p $port -c 50 -n "$N" -t set,get -q 2>/dev/null | tr '\r' '\n' | grep -oE "^(SET|GET): [0-9.]+" | tr '\n' ' ')
    t1=$(( $(ticks ${pid[${name}s]}) + $(ticks ${pid[${name}c]}) ))
    # a tick is 10 ms; SET and GET are N requests each
    echo "$name round $i: $rps cpu $(( (t1 - t0) * 10000 / (2 * N) )) us/req (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
