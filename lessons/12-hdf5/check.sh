# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 12-hdf5 (sourced by lessons/check.sh).
# Reference: h5dump reads back /x from the file the program wrote; every row i must hold
# 10*i + j, for as many rows as the ranks have in all ((r + 2) % 3 rows on rank r).
CFLAGS_EXTRA=$(pkg-config --cflags hdf5-openmpi 2>/dev/null)
LIBS_EXTRA=$(pkg-config --libs hdf5-openmpi 2>/dev/null)
ARGS=(lesson.h5)
normalize() {
    cat >/dev/null
    rm -f values.txt
    h5dump -d /x -y -w 0 -o values.txt lesson.h5 2>/dev/null |
        sed -n 's/.*DATASPACE *SIMPLE { ( \([0-9]*\), \([0-9]*\) ).*/shape \1 x \2/p'
    [ -f values.txt ] && tr -s ', \n' '\n' <values.txt | grep -v '^$' |
        awk '{ v[n++] = $1 } END { for (i = 0; i * 4 < n; i++) printf "row %d: %s %s %s %s\n", i, v[4*i], v[4*i+1], v[4*i+2], v[4*i+3] }'
    rm -f lesson.h5 values.txt
}
reference() {
    awk -v n="$1" 'BEGIN { for (r = 0; r < n; r++) rows += (r + 2) % 3
                           printf "shape %d x 4\n", rows
                           for (i = 0; i < rows; i++) printf "row %d: %d %d %d %d\n", i, 10*i, 10*i+1, 10*i+2, 10*i+3 }'
}
hint() {
    case $1 in
    shape) echo "every rank must create the same dataset, total_rows x COLS: total_rows is the MPI_Allreduce (MPI_SUM) of my_rows" ;;
    row) echo "rank r's rows start after all rows of ranks 0..r-1: first_row = MPI_Exscan of my_rows with MPI_SUM (0 on rank 0); select that hyperslab of the file" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
