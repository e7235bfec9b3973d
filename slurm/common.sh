# slurm/common.sh - sourced by every slurm/*.sbatch: where mpikit is, what ran, how to launch.
# shellcheck shell=bash
#
# Knobs (environment, so the scripts are submitted unchanged):
#   SBATCH_PARTITION, SBATCH_ACCOUNT  read by sbatch itself: your site's partition/account
#   MPIKIT_HOME      the mpikit checkout (default: the directory you ran sbatch from)
#   MPIKIT_BIN       its programs (default: $MPIKIT_HOME/build/bin)
#   MPIKIT_LAUNCHER  srun (default) or mpirun
MPIKIT_HOME=${MPIKIT_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}
MPIKIT_BIN=${MPIKIT_BIN:-$MPIKIT_HOME/build/bin}
MPIKIT_LAUNCHER=${MPIKIT_LAUNCHER:-srun}
export MPIKIT_HOME MPIKIT_BIN

# The log starts with what ran where, so a result can be traced to its software.
mk_job_header() {
    echo "== job ${SLURM_JOB_NAME:-?} ${SLURM_JOB_ID:-?}${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)}"
    echo "nodes:   ${SLURM_JOB_NODELIST:-?} (${SLURM_JOB_NUM_NODES:-?} node(s)), tasks: ${SLURM_NTASKS:-?}, cpus per task: ${SLURM_CPUS_PER_TASK:-1}"
    echo "started: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
    echo "mpikit:  $("$MPIKIT_BIN/wordcount" --version 2>/dev/null || echo "not built in $MPIKIT_BIN")"
    echo "mpirun:  $(mpirun --version 2>/dev/null | head -n 1)"
    echo "slurm:   $(srun --version 2>/dev/null)"
    ompi_info 2>/dev/null | grep -E '^ +(Open MPI|MCA pmix):' | sed 's/^ */ompi_info: /' | head -n 8
    if [ ! -x "$MPIKIT_BIN/wordcount" ]; then
        echo "error: mpikit is not built in $MPIKIT_BIN (run 'make' in $MPIKIT_HOME, or set MPIKIT_HOME)" >&2
        exit 1
    fi
    echo "=="
}

# The launcher, as a command prefix: one rank per task of the allocation.
# srun needs --mpi=pmix with Debian's Open MPI (pmi2 fails inside MPI_Init). The
# alternative, mpirun, reads the allocation from SLURM and needs no -n.
case $MPIKIT_LAUNCHER in
srun) MK_LAUNCHER=(srun --mpi=pmix) ;;
mpirun)
    if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
    MK_LAUNCHER=(mpirun)
    ;;
*)
    echo "error: MPIKIT_LAUNCHER must be srun or mpirun, not '$MPIKIT_LAUNCHER'" >&2
    exit 2
    ;;
esac

# mk_launch PROGRAM ARGS... : run PROGRAM on every task (in the foreground).
mk_launch() { "${MK_LAUNCHER[@]}" "$@"; }

mk_job_header
