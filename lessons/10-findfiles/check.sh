# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 10-findfiles (sourced by lessons/check.sh).
# Input: a skewed tree (one deep subtree beside many small directories, empty ones, a
# symbolic link, names with spaces). Reference: GNU find on the same tree.
ARGS=(tree)
setup() {
    local i j k
    mkdir -p tree/huge tree/empty "tree/with space"
    for i in 0 1 2; do
        for j in 0 1 2; do
            for k in 0 1 2; do
                mkdir -p "tree/huge/d$i/e$j/f$k"
                touch "tree/huge/d$i/e$j/f$k/a.py" "tree/huge/d$i/e$j/f$k/b.py" "tree/huge/d$i/e$j/f$k/c.txt"
            done
        done
    done
    for i in $(seq 1 40); do mkdir "tree/t$i" && touch "tree/t$i/x.py" "tree/t$i/y.pyc"; done
    touch "tree/with space/s.py" tree/.py tree/top.py
    ln -s huge tree/link
}
reference() {
    echo "directories $(find tree -type d | wc -l)"
    echo "py_files $(find tree -type f -name '*.py' | wc -l)"
}
hint() {
    case $1 in
    directories | py_files)
        if [ "${4##* }" = 0 ]; then
            echo "rank 0 reports only its own counts, and at more than 1 rank it reads nothing itself: MPI_Reduce the counts with MPI_SUM (MPI_IN_PLACE on rank 0)"
        else
            echo "some directories were never read: every directory a worker finds must reach rank 0's queue (MPI_Send of the path, tag FOUND)"
        fi ;;
    timeout) echo "rank 0 must answer every READY with WORK or, at the end, DONE; a worker waits for one of them after each READY" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
