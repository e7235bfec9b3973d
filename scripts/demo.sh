#!/usr/bin/env bash
# scripts/demo.sh [RANKS] - run wordcount on the Shakespeare corpus (or a generated one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
np=${1:-2}
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/bin
# Root consent, the ob1 PML, --oversubscribe past the cores, the corpus lookup.
# shellcheck source=scripts/mpikit-env.sh
. "$root/scripts/mpikit-env.sh"
mpikit_mpi_env
mpikit_mpirun "$np"
if corpus=$(mpikit_find_corpus t8.shakespeare.txt); then
    echo "demo: counting the Shakespeare corpus $corpus on $np ranks"
else
    corpus=$build/demo-corpus.txt
    if [ ! -f "$corpus" ]; then
        "${MPIRUN[@]}" "$bin/textgen" --bytes 64M --seed 1 -o "$corpus" >/dev/null
    fi
    echo "demo: no Shakespeare corpus found (set CORPUS or MPIKIT_DATA, or run 'make corpus');"
    echo "demo: counting a generated 64 MiB corpus $corpus on $np ranks instead"
fi
echo "demo: mpirun -n $np ${bin#"$root"/}/wordcount --timing $corpus"
echo
"${MPIRUN[@]}" "$bin/wordcount" --timing "$corpus"
