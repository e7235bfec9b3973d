# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 03-square (sourced by lessons/check.sh).
# Reference: the same 1000 integers squared by a serial awk loop.
reference() {
    awk 'BEGIN {
        n = 1000
        for (i = 0; i < n; i++) { x = (i * 7919 + 4557) % 10000; y[i] = x * x; sum += y[i]; ck += (i + 1) * (y[i] % 1000) }
        printf "items %d\nfirst_squares %d %d %d\nlast_square %d\nsum_of_squares %.0f\nchecksum %.0f\n", n, y[0], y[1], y[2], y[n - 1], sum, ck
    }'
}
hint() {
    case $1 in
    first_squares) echo "rank 0's own block did not come back squared: MPI_Scatterv the data into each rank's block, then MPI_Gatherv the blocks into squares (the same counts and displs)" ;;
    last_square) echo "the last block is missing or misplaced: the last rank's count and displacement must reach item 999 (counts[r] = N/size + (r < N%size))" ;;
    sum_of_squares) echo "some blocks never went out or never came back: every rank must call MPI_Scatterv and MPI_Gatherv, with counts and displs covering all 1000 items" ;;
    checksum) echo "the squares are right but some are in the wrong place: MPI_Gatherv must put block r at displs[r]" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
