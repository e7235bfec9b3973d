# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 04-overhead (sourced by lessons/check.sh).
# Reference: a serial awk loop over the same tasks. The times are printed but never checked.
ARGS=(10 1000)
normalize() { grep -E '^(tasks|tasks_done|checksum) '; }
reference() {
    awk 'BEGIN { n = 1000; for (i = 0; i < n; i++) ck += (i * i) % 1000
                 printf "tasks %d\ntasks_done %d\nchecksum %d\n", n, n, ck }'
}
hint() {
    case $1 in
    tasks_done | checksum) echo "rank 0 sees only its own block: MPI_Reduce(mine, total, 2, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD) adds every rank's {tasks done, checksum}; check that the blocks cover all tasks" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
