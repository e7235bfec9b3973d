#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# tests/slurm/trace.sh - mktrace under SLURM (docs/tracing.md): srun --mpi=pmix running the
# launcher on every task, and srun with the preload exported and no launcher; the traces are
# checked as in tests/jobs/trace.sh (messages paired, one scatter per rank, requests completed,
# JSON and SVG valid). On a two-node cluster the ranks span both nodes.
#
# Sourced by tests/slurm/run.sh while its local cluster is up (it uses run.sh's wait_job and
# counters). Run alone (bash tests/slurm/trace.sh, as root) it brings up its own two-node
# cluster with scripts/slurm-local.sh, or says why it cannot.
if ! declare -F wait_job >/dev/null; then
    . "$(dirname "$0")/../lib.sh"
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || [ "$(id -u)" != 0 ]; then
        echo "# SKIP slurm trace: needs root and slurmctld/slurmd/munge (scripts/install-deps.sh slurm)"
        exit 0
    fi
    export MPIKIT_SLURM_PREFIX=$TMP/slurm
    port=${MPIKIT_SLURM_PORT:-6837}
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null ||
        (exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null; do port=$((port + 10)); done
    export MPIKIT_SLURM_PORT=$port SLURM_CONF=$MPIKIT_SLURM_PREFIX/etc/slurm.conf
    # shellcheck disable=SC2317 # called by the EXIT trap
    cleanup() { "$ROOT/scripts/slurm-local.sh" down >/dev/null 2>&1; rm -rf "$TMP"; }
    trap cleanup EXIT
    WORK=$TMP/work
    mkdir -p "$WORK"
    cd "$WORK" || exit 1
    # shellcheck disable=SC2317 # the same polling as run.sh's
    wait_job() {
        local id=$1 limit=${2:-180} state=""
        for _ in $(seq 1 $((limit * 2))); do
            state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2)
            case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED) break ;; esac
            sleep 0.5
        done
        echo "${state:-UNKNOWN}"
    }
    if ! "$ROOT/scripts/slurm-local.sh" up 2 >"$TMP/up.log" 2>&1; then
        not_ok "local cluster up (2 nodes)"
        sed 's/^/#   /' "$TMP/up.log"
        finish
        exit 1
    fi
    TRACE_STANDALONE=1
fi

trace_check() { /usr/bin/python3 "$ROOT/tests/tools/trace_check.py" "$@" 2>&1 | sed 's/^/#   /' >&2; [ "${PIPESTATUS[0]}" = 0 ]; }
trace_nodes=$(sinfo -h -N -o '%N' 2>/dev/null | sort -u | wc -l)
trace_tasks=4
if [ "$trace_nodes" -lt 1 ]; then
    not_ok "trace: no SLURM cluster is up (sinfo lists no node): the trace cases did not run"
    [ "${TRACE_STANDALONE:-0}" = 1 ] && finish
    # sourced by run.sh: return to it; run alone: return fails at top level, so exit
    # shellcheck disable=SC2317
    return 0 2>/dev/null || exit 1
fi

# The launcher on every task.
id=$(sbatch --parsable --nodes="$trace_nodes" --ntasks=$trace_tasks --output=trace-srun-%j.out \
    --wrap "srun --mpi=pmix $BIN/mktrace -o $WORK/trace-srun -- $TOOLS/trace_cases all 5")
st=$(wait_job "$id")
check "trace: srun --mpi=pmix mktrace on $trace_tasks tasks, $trace_nodes node(s): $st" [ "$st" = COMPLETED ]
check "trace: srun: rank 0 reported the trace" grep -q "^mktrace: $trace_tasks processes" "trace-srun-$id.out"
check "trace: srun: JSON and SVG valid, arrows forward (one kernel)" trace_check valid "$WORK/trace-srun" one-clock
check "trace: srun: ping-pong pairs" trace_check pingpong "$WORK/trace-srun" 5 64 0 $((trace_tasks - 1))
check "trace: srun: one scatter per rank" trace_check scatter "$WORK/trace-srun" $trace_tasks 10
check "trace: srun: requests to completions" trace_check nonblocking "$WORK/trace-srun" $trace_tasks 5

# The preload exported to the tasks only (srun --export), no launcher.
id=$(sbatch --parsable --nodes="$trace_nodes" --ntasks=3 --output=trace-preload-%j.out \
    --wrap "srun --mpi=pmix --export=ALL,LD_PRELOAD=$BUILD/lib/libmpikit-trace.so,MKTRACE_DIR=$WORK/trace-preload $TOOLS/trace_cases pingpong 6 32")
st=$(wait_job "$id")
check "trace: srun --export=LD_PRELOAD: $st" [ "$st" = COMPLETED ]
check "trace: preload: 12 paired messages of 32 bytes" trace_check pingpong "$WORK/trace-preload" 6 32 0 2

# An aborted step leaves no trace directory.
id=$(sbatch --parsable --ntasks=2 --output=aborted-step-%j.out \
    --wrap "srun --mpi=pmix $BIN/mktrace -o $WORK/trace-abort -- $TOOLS/trace_cases abort")
st=$(wait_job "$id")
left=$(find "$WORK" -maxdepth 1 \( -name trace-abort -o -name '.trace-abort*' \) | wc -l)
check "trace: an aborting step fails ($st) and leaves no directory ($left left)" [ "$st:$left" = FAILED:0 ]

if [ "${TRACE_STANDALONE:-0}" = 1 ]; then
    finish
fi
