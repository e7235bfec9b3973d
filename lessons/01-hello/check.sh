# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 01-hello (sourced by lessons/check.sh).
# Reference: one line per rank in rank order, N distinct pids, all started by one launcher.
normalize() {
    awk '/^rank [0-9]+ of [0-9]+: pid/ {
             k = $4; sub(/:$/, "", k); print $1, $2, $3, k; n++
             pid = $6; sub(/,$/, "", pid); if (pid > 0 && !(pid in seen)) { seen[pid] = 1; d++ }
             parents[$8] = 1
         }
         END { printf "distinct_pids %d\n", d; k = 0; for (p in parents) k++; printf "parents %d\n", k }'
}
reference() {
    local r
    for ((r = 0; r < $1; r++)); do echo "rank $r of $1"; done
    echo "distinct_pids $1"
    echo "parents 1"
}
hint() {
    case $1 in
    rank) echo "each process must ask MPI who it is: MPI_Comm_rank and MPI_Comm_size on MPI_COMM_WORLD; only rank 0 prints" ;;
    distinct_pids) echo "rank 0 printed records it never received: MPI_Gather(my_record, 2, MPI_LONG, all_records, 2, MPI_LONG, 0, MPI_COMM_WORLD) on every rank" ;;
    parents) echo "on one machine mpirun starts every rank, so all ranks have the same parent" ;;
    *) echo "compare your program with the diagram at the top of solution.c" ;;
    esac
}
