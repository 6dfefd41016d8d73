#!/bin/bash
# CPU per request of mpx-tunnel rigs side by side (builds, carrier counts),
# on a busy machine: every rig (client -p <p> → server → one private
# redis-server) is up at once, and redis-benchmark rounds go through each in
# turn, the order reversed every other round, so all see the same load.
# Prints, per round and rig, SET and GET requests per second and the user,
# system and total CPU (utime, stime from /proc/<pid>/stat of the tunnel
# client and server) per request.
#
#   packages/bench/scripts/redis-rigs.sh <rounds> <requests> <label>:<repo>:<p> ...
#   e.g. redis-rigs.sh 10 100000 before:/tmp/before:4 after:.:4 floor:.:1
#
# Each repo must be built (apps/tunnel/dist/cli.js). Needs redis-server,
# redis-cli and redis-benchmark on PATH. Listens on 127.0.0.6, ports 26392
# and 27200 up (below Linux's ephemeral range). paired-redis.sh runs it for
# two builds at -p 4.
set -u
ROUNDS=$1; N=$2; shift 2
RIGS=("$@")
RP=26392; HOST=127.0.0.6
pids=()
redis-server --port $RP --save '' --appendonly no --bind $HOST >/dev/null 2>&1 & pids+=($!)
declare -A spid cpid port
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
i=0
for r in "${RIGS[@]}"; do
  IFS=: read -r label repo p <<<"$r"
  sp=$((27200 + 2 * i)); cp=$((27201 + 2 * i)); i=$((i + 1))
  node $repo/apps/tunnel/dist/cli.js server --listen $HOST:$sp --target $HOST:$RP --log-level warn >/dev/null 2>&1 & spid[$label]=$!; pids+=($!)
  node $repo/apps/tunnel/dist/cli.js client --listen $HOST:$cp --server "$HOST:$sp|1" -p $p --log-level warn >/dev/null 2>&1 & cpid[$label]=$!; pids+=($!)
  port[$label]=$cp
done
for l in "${!port[@]}"; do for _ in $(seq 1 100); do redis-cli -h $HOST -p ${port[$l]} ping >/dev/null 2>&1 && break; sleep 0.2; done; done
for l in "${!port[@]}"; do timeout 60 redis-benchmark -h $HOST -p ${port[$l]} -c 50 -n 10000 -t set,get -q >/dev/null 2>&1; done
ut() { awk '{print $14}' /proc/$1/stat; }
st() { awk '{print $15}' /proc/$1/stat; }
labels=(); for r in "${RIGS[@]}"; do labels+=("${r%%:*}"); done
for round in $(seq 1 "$ROUNDS"); do
  order=("${labels[@]}")
  if (( round % 2 == 0 )); then order=(); for ((k=${#labels[@]}-1; k>=0; k--)); do order+=("${labels[k]}"); done; fi
  for l in "${order[@]}"; do
    u0=$(( $(ut ${spid[$l]}) + $(ut ${cpid[$l]}) )); s0=$(( $(st ${spid[$l]}) + $(st ${cpid[$l]}) ))
    rps=$(timeout 120 redis-benchmark -h $HOST -p ${port[$l]} -c 50 -n "$N" -t set,get -q 2>/dev/null | tr '\r' '\n' | grep -oE "^(SET|GET): [0-9.]+" | awk '{printf "%s %.0f ", $1, $2}')
    u1=$(( $(ut ${spid[$l]}) + $(ut ${cpid[$l]}) )); s1=$(( $(st ${spid[$l]}) + $(st ${cpid[$l]}) ))
    awk -v l=$l -v r=$round -v rps="$rps" -v u=$((u1-u0)) -v s=$((s1-s0)) -v n=$N -v ld="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN { printf "round %2d %-8s %s user %.1f sys %.1f cpu %.1f us/req load %s\n", r, l, rps, u*10000/(2*n), s*10000/(2*n), (u+s)*10000/(2*n), ld }'
  done
done
