#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/floor.sh - the floor under every other benchmark: mpirun start-up, MPI ping-pong latency
# and bandwidth between two ranks, and the single-core memory bandwidth (the limit of a scan).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
mb=$([ "$QUICK" = 1 ] && echo 256 || echo 1024)

case_begin startup "mpirun start-up"
for n in 1 2; do
    mpi "$n"
    case_add "mpirun true" "$n" - "${MPI[@]}" true
    case_add "mpirun hello (MPI_Init+Finalize)" "$n" - "${MPI[@]}" "$BIN/hello"
done
case_add "python3 -c pass" 1 - "$PY" -c pass
case_run

pp=$(bench_tool pingpong) || exit 1
case_begin pingpong "2 ranks on one node"
case_add "MPI_Send/MPI_Recv ping-pong" 2 at_lines mpirun -n 2 "$pp" $((4 << 20)) "$([ "$QUICK" = 1 ] && echo 100 || echo 1000)"
case_run

bw=$(bench_tool membw) || exit 1
case_begin membw "${mb} MiB buffer"
case_add "sum of uint64 / memcpy" 1 at_lines "$bw" "$mb" 3
case_run
