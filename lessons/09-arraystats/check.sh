# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 09-arraystats (sourced by lessons/check.sh).
# Reference: numpy's a.mean(axis=0) and a.mean() for the same 30 x 12 array, by a serial awk loop.
reference() {
    awk 'BEGIN { for (i = 0; i < 30; i++) for (j = 0; j < 12; j++) { v = (i * 31 + j * 17) % 23 - 11; c[j] += v; t += v }
                 for (j = 0; j < 12; j++) printf "col_mean %d %.6f\n", j, c[j] / 30
                 printf "mean %.6f\n", t / 360 }'
}
hint() {
    case $1 in
    col_mean | mean) echo "the sums of one column live on every rank of a grid column: make col_comm with MPI_Cart_sub(grid, (int[]){1, 0}, &col_comm), MPI_Reduce over it, then gather grid row 0's pieces over row_comm (MPI_Cart_sub with {0, 1})" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
