# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 08-table (sourced by lessons/check.sh).
# Reference: the same 100 rows grouped by a serial awk loop (pandas: df.groupby(df.A // 10)).
reference() {
    awk 'BEGIN { for (i = 0; i < 100; i++) { a = (i * i * 37 + i * 11 + 5) % 100; g = int(a / 10); n[g]++; k[g] += 2 * a }
                 for (g = 0; g < 10; g++) printf "group %d rows %d sum_K %d\n", g, n[g], k[g] }'
}
hint() {
    case $1 in
    group) echo "rows must reach their group's owner: MPI_Alltoall(send_counts -> recv_counts), receive displacements as running sums, then MPI_Alltoallv(send, send_counts, send_displs -> recv, recv_counts, recv_displs)" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
