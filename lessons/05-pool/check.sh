# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 05-pool (sourced by lessons/check.sh).
# Reference: the 16 task names in upper case, in task order, and every task run exactly once.
normalize() {
    awk '/^results / { print }
         /^rank [0-9]+ ran [0-9]+ tasks/ { total += $4 }
         END { printf "tasks_run %d\n", total }'
}
reference() {
    echo "results ABCDEFGHIJKLMNOP"
    echo "tasks_run 16"
}
hint() {
    case $1 in
    results) echo "the manager must MPI_Recv from MPI_ANY_SOURCE, read status.MPI_SOURCE, store the result and MPI_Send the next task (or -1) to that worker; each worker loops: MPI_Send its reply, MPI_Recv its order" ;;
    tasks_run) echo "some tasks ran twice or not at all: count a task when its result arrives, and hand out each task number once" ;;
    timeout) echo "the manager must receive exactly N_TASKS + workers messages, and every worker must get -1 once" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
