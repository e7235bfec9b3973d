#!/usr/bin/env bash
# slurm/scaling.sh CORPUS - submit the strong-scaling study: a job array over rank counts
# (MPIKIT_RANKS, default "1 2 4 8") running wordcount on CORPUS, then the merge, which runs
# only when every array task succeeded (--dependency=afterok). Prints both job ids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:?usage: slurm/scaling.sh CORPUS}
export MPIKIT_CORPUS=$corpus
export MPIKIT_RANKS=${MPIKIT_RANKS:-1 2 4 8}
read -r -a counts <<<"$MPIKIT_RANKS"
array=$(sbatch --parsable --array=0-$((${#counts[@]} - 1)) "$here/scaling.sbatch")
array=${array%%;*}
# The tasks write to $SLURM_SUBMIT_DIR/scaling-ARRAYJOB unless MPIKIT_ROWS was set: the same place.
export MPIKIT_ROWS=${MPIKIT_ROWS:-$PWD/scaling-$array}
merge=$(sbatch --parsable --dependency=afterok:"$array" "$here/scaling-merge.sbatch")
echo "array $array merge ${merge%%;*} rows $MPIKIT_ROWS"
