#!/usr/bin/env bash
# slurm/pipeline.sh DIR - generate -> process -> report as three dependent jobs.
# Each stage starts only when the one before succeeded (--dependency=afterok); when a
# stage fails, the later ones are cancelled, not left pending (the cluster's
# DependencyParameters=kill_invalid_depend, or `scontrol` shows them DependencyNeverSatisfied).
# MPIKIT_BYTES sets the corpus size (default 64M). Prints the three job ids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: slurm/pipeline.sh DIR}
mkdir -p "$dir"
corpus=${MPIKIT_PIPELINE_CORPUS:-$dir/corpus.txt}
gen=$(MPIKIT_OUT=$dir/corpus.txt MPIKIT_BYTES=${MPIKIT_BYTES:-64M} sbatch --parsable "$here/textgen.sbatch")
gen=${gen%%;*}
proc=$(MPIKIT_FILES=$corpus MPIKIT_ARGS="--counts $dir/counts.csv" \
    sbatch --parsable --dependency=afterok:"$gen" "$here/wordcount.sbatch")
proc=${proc%%;*}
report=$(MPIKIT_COUNTS=$dir/counts.csv sbatch --parsable --dependency=afterok:"$proc" "$here/pipeline-report.sbatch")
echo "generate $gen process $proc report ${report%%;*}"
