# shellcheck shell=bash
# scripts/mpikit-env.sh - sourced (not run) by the scripts that start mpikit's programs on this
# machine: tests/lib.sh, tests/run.sh, bench/lib.sh, scripts/demo.sh, scripts/valgrind.sh and
# scripts/find-corpus.sh. One place for the Open MPI environment and the corpus lookup:
#   mpikit_mpi_env             export what Open MPI needs here (set by scripts, never by code)
#   mpikit_mpirun N            set the array MPIRUN=(mpirun -n N [--oversubscribe])
#   mpikit_find_corpus [NAME]  print the path of a corpus file (default t8.shakespeare.txt)
# MPIKIT_ROOT is the checkout this file belongs to; MPIKIT_NCORES the cores of this machine.
MPIKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MPIKIT_NCORES=$(nproc 2>/dev/null || echo 1)

mpikit_mpi_env() {
    # Open MPI refuses to start as root unless told; say so only when we are root.
    if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    # One node: the ob1 PML starts in 0.03 s instead of 0.22 s (bench/notes.md); a cluster with
    # a fast network sets OMPI_MCA_pml itself.
    export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
}

# More ranks than cores needs --oversubscribe; within the cores, Open MPI binds ranks to cores.
mpikit_mpirun() {
    MPIRUN=(mpirun -n "$1")
    if [ "$1" -gt "$MPIKIT_NCORES" ]; then MPIRUN+=(--oversubscribe); fi
    return 0
}

# The lookup order: $CORPUS (for the Shakespeare file), $MPIKIT_DATA/NAME, data/NAME (make corpus),
# then ../shared/data/NAME beside the checkout (where CI machines keep the corpora).
mpikit_find_corpus() {
    local name=${1:-t8.shakespeare.txt} d
    if [ "$name" = t8.shakespeare.txt ] && [ -n "${CORPUS:-}" ] && [ -f "$CORPUS" ]; then
        echo "$CORPUS"
        return 0
    fi
    for d in "${MPIKIT_DATA:-}" "$MPIKIT_ROOT/data" "$MPIKIT_ROOT/../shared/data"; do
        if [ -n "$d" ] && [ -f "$d/$name" ]; then
            echo "$d/$name"
            return 0
        fi
    done
    return 1
}
