# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 02-spawn (sourced by lessons/check.sh).
# Reference: the squares of 1..5, each computed by a different child process.
# Every child needs a slot; on a 2-core machine they share the cores (oversubscription).
MPIRUN_ENV=(OMPI_MCA_rmaps_base_oversubscribe=1)
normalize() {
    awk '/squared to/ { print $1, "squared to", $4; pid = $NF; if (pid > 0 && !(pid in seen)) { seen[pid] = 1; d++ } }
         END { printf "child_pids %d distinct\n", d }' | sort -n
}
reference() {
    local x
    echo "child_pids 5 distinct"
    for x in 1 2 3 4 5; do echo "$x squared to $((x * x))"; done
}
hint() {
    case $1 in
    child_pids) echo "no child answered: start the children with MPI_Comm_spawn(argv[0], MPI_ARGV_NULL, count, MPI_INFO_NULL, 0, MPI_COMM_SELF, &children, MPI_ERRCODES_IGNORE)" ;;
    [0-9]*) echo "the parent must MPI_Send x to child i over the intercommunicator, the child MPI_Recv it from rank 0 of its parent, square it and send {x, x*x, pid} back" ;;
    timeout) echo "a child waits for x that its parent never sends, or the parent waits for an answer" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
