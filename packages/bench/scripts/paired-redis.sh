#!/bin/bash
# Paired CPU-per-request comparison of two builds of mpx-tunnel at -p 4:
# redis-rigs.sh with two rigs, kept for the commands in the bench README.
#
#   packages/bench/scripts/paired-redis.sh <repo-before> <repo-after> [rounds] [requests]
#
# (Until 2026-12-01 this was a script of its own: the same rigs on
# 127.0.0.1, the before rig first in every round, total CPU only.)
set -u
exec "$(dirname "$0")/redis-rigs.sh" "${3:-8}" "${4:-20000}" "before:$1:4" "after:$2:4"
