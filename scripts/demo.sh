#!/usr/bin/env bash
# scripts/demo.sh [RANKS] - run wordcount on the Shakespeare corpus (or a generated one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
np=${1:-2}
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/bin
# Open MPI refuses root unless told; say so only when we are root.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# On one machine the ob1 PML starts in ~0.03 s instead of ~0.22 s (docs/wordcount.md).
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
extra=()
if [ "$np" -gt "$(nproc)" ]; then extra+=(--oversubscribe); fi
if corpus=$("$root/scripts/find-corpus.sh"); then
    echo "demo: counting the Shakespeare corpus $corpus on $np ranks"
else
    corpus=$build/demo-corpus.txt
    if [ ! -f "$corpus" ]; then
        mpirun -n "$np" "${extra[@]}" "$bin/textgen" --bytes 64M --seed 1 -o "$corpus" >/dev/null
    fi
    echo "demo: no Shakespeare corpus found (set CORPUS or MPIKIT_DATA, or run 'make corpus');"
    echo "demo: counting a generated 64 MiB corpus $corpus on $np ranks instead"
fi
echo "demo: mpirun -n $np ${bin#"$root"/}/wordcount --timing $corpus"
echo
mpirun -n "$np" "${extra[@]}" "$bin/wordcount" --timing "$corpus"
