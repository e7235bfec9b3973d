# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 06-bigpower (sourced by lessons/check.sh).
# Reference: reference.c, the same numbers in one serial loop (long double sums), built with cc.
TOLERANCE=1e-9
setup() { cc -std=c11 -O2 -o ref "$LESSON_DIR/reference.c" -lm && ./ref >ref.out; }
reference() { cat ref.out; }
hint() {
    case $1 in
    mean_of_x*) echo "each rank holds only its own partial sums: MPI_Reduce(partial, total, 4, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD); and number i must be normal(i) for the global index i, whichever rank draws it" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
