#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/square.sh - square (one multiply per item, the pattern where parallelism loses) against a
# Python list map, Pool(8).map and numpy.square, at N items; the square job times its serial loop
# and its scatter/compute/gather itself (medians of 5 inside one run).   N (default 1e6)
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py
n=${N:-1000000}
sq_parse() {
    table_after method,seconds "$1" | awk -F, '$1 == "serial" { print "serial_s", $2, "s" } $1 == "parallel" { print "inside_s", $2, "s" }'
}
case_begin square "$n items"
# the task-grain sweep (square with --cost) is the overhead job's, in bench/pool.sh
case_add "mpikit square" 2 sq_parse mpirun -n 2 "$BIN/square" --n "$n" --repeat 3 --format json
case_add "Python list(map(square))" 1 at_lines "$PY" "$peers" square-list "$n"
case_add "Python Pool(8).map(square)" 8 at_lines "$PY" "$peers" square-pool "$n" 8
case_add "numpy.square" 1 at_lines "$PY" "$peers" square-numpy "$n"
case_run
