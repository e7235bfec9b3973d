#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# make test-slurm: bring up a real local SLURM cluster (scripts/slurm-local.sh), submit every
# slurm/*.sbatch unchanged (knobs through the environment), wait by polling, and check each
# job's state, exit code and output values; then the scaling array + merge, the pipeline
# with a failing stage, the launch checks, and the multi-node runs on a two-node cluster.
# Skipped, with a visible SKIP line, only where SLURM cannot be installed.
. "$(dirname "$0")/../lib.sh"


if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if [ "$(id -u)" = 0 ] && "$ROOT/scripts/install-deps.sh" slurm >/dev/null 2>&1; then
        :
    else
        echo "# SKIP slurm: slurmctld/munge not installed and cannot be installed here"
        echo "0 passed, 0 failed"
        exit 0
    fi
fi
if [ "$(id -u)" != 0 ]; then
    echo "# SKIP slurm: the local cluster needs root (slurmd starts jobs as their users)"
    exit 0
fi

export MPIKIT_SLURM_PREFIX=$TMP/slurm
port=${MPIKIT_SLURM_PORT:-6817}
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null ||
    (exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null; do port=$((port + 10)); done
export MPIKIT_SLURM_PORT=$port
export SLURM_CONF=$MPIKIT_SLURM_PREFIX/etc/slurm.conf
export MPIKIT_HOME=$ROOT MPIKIT_BIN=$BIN
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { "$ROOT/scripts/slurm-local.sh" down >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
WORK=$TMP/work
mkdir -p "$WORK"
cd "$WORK" || exit 1

# wait_job ID [SECONDS] : poll until the job ends; prints its final state.
wait_job() {
    local id=$1 limit=${2:-180} state=""
    for _ in $(seq 1 $((limit * 2))); do
        state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2)
        case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED) break ;; esac
        sleep 0.5
    done
    echo "${state:-UNKNOWN}"
}
exit_code() { scontrol show job "$1" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2; }

if ! "$ROOT/scripts/slurm-local.sh" up 1 >"$TMP/up.log" 2>&1; then
    not_ok "local cluster up (1 node)"
    sed 's/^/#   /' "$TMP/up.log"
    finish
    exit 1
fi
ok "local cluster up: slurmctld, slurmd, munged under $MPIKIT_SLURM_PREFIX"

# The corpus: Shakespeare when present, else a generated one; wc is the reference.
if corpus=$(find_corpus t8.shakespeare.txt); then :; else
    corpus=$WORK/gen.txt
    mpirun_n 1 "$BIN/textgen" --bytes 2M -o "$corpus" >/dev/null 2>&1
fi
wc_ref=$(LC_ALL=C wc "$corpus")

# --- every sbatch script, submitted unchanged ---
id=$(MPIKIT_FILES=$corpus sbatch --parsable "$ROOT/slurm/wordcount.sbatch")
st=$(wait_job "$id")
check "wordcount.sbatch: COMPLETED, exit 0:0 ($st $(exit_code "$id"))" [ "$st:$(exit_code "$id")" = COMPLETED:0:0 ]
check "wordcount.sbatch: wc line equals LC_ALL=C wc" grep -qxF "$wc_ref" "wordcount-$id.out"
check "wordcount.sbatch: log names versions and nodes" grep -q '^mpirun:  mpirun (Open MPI)' "wordcount-$id.out"

id=$(MPIKIT_LAUNCHER=mpirun MPIKIT_FILES=$corpus sbatch --parsable "$ROOT/slurm/wordcount.sbatch")
st=$(wait_job "$id")
check "wordcount.sbatch with mpirun as the launcher: $st" [ "$st" = COMPLETED ]
check "mpirun launcher: same wc line" grep -qxF "$wc_ref" "wordcount-$id.out"

id=$(MPIKIT_OUT=$WORK/tg.txt MPIKIT_BYTES=1M sbatch --parsable "$ROOT/slurm/textgen.sbatch")
st=$(wait_job "$id")
check "textgen.sbatch: $st" [ "$st" = COMPLETED ]
mpirun_n 1 "$BIN/textgen" --bytes 1M --seed 1 -o "$WORK/tg.ref" >/dev/null 2>&1
same_file "textgen.sbatch: same bytes as a local run" "$WORK/tg.ref" "$WORK/tg.txt"

mkdir -p "$WORK/tree/a/b" "$WORK/tree/c"
touch "$WORK/tree/x.c" "$WORK/tree/a/y.c" "$WORK/tree/a/b/z.c" "$WORK/tree/c/w.h"
id=$(MPIKIT_DIRS=$WORK/tree MPIKIT_ARGS="--name *.c" sbatch --parsable "$ROOT/slurm/findfiles.sbatch")
st=$(wait_job "$id")
check "findfiles.sbatch: $st" [ "$st" = COMPLETED ]
find "$WORK/tree" -name '*.c' -type f | sort >"$TMP/find.ref"
grep "^$WORK/tree" "findfiles-$id.out" >"$TMP/find.out" || true
same_file "findfiles.sbatch: paths equal GNU find" "$TMP/find.ref" "$TMP/find.out"

# Every other job's script, with its defaults, and a value each must produce. Jobs whose
# results do not depend on the rank count are compared with a local 1-rank run.
ref1() { mpirun_n 1 "$BIN/$1" "${@:2}" 2>/dev/null; }
for s in "$ROOT"/slurm/*.sbatch; do
    name=$(basename "$s" .sbatch)
    case $name in wordcount | textgen | findfiles | scaling* | pipeline-* | wordcount-requeue) continue ;; esac
    id=$(sbatch --parsable "$s")
    st=$(wait_job "$id")
    check "$name.sbatch: $st" [ "$st" = COMPLETED ]
    log=$name-$id.out
    case $name in
    hello) check "hello: one line per rank (2)" [ "$(grep -cE '^ +[0-9]+ +2 +' "$log")" = 2 ] ;;
    square) check "square: squares checked ok" grep -qE ' ok$' "$log" ;;
    queue) check "queue: every item exactly once" grep -qE ' ok$' "$log" ;;
    pool) check "pool: results in order" grep -qx 'results: A B C D E F G H I J K L M N O P' "$log" ;;
    overhead) check "overhead: break-even table" grep -q '^break-even' "$log" ;;
    spawn) check "spawn: 3 children spawned and joined" grep -qE '^ +1 +3 .* yes$' "$log" ;;
    datagen) check "datagen: HDF5 datasets written" grep -q 'Dataset' "$log" ;;
    bigpower)
        ref1 bigpower --n 2e7 | grep -E '^ +(1|2|12|15) ' >"$TMP/ref"
        grep -E '^ +(1|2|12|15) ' "$log" >"$TMP/got" || true
        same_file "bigpower: means equal a local 1-rank run bit for bit" "$TMP/ref" "$TMP/got"
        ;;
    table)
        ref1 table | sed -n '/^result/,/^$/p' >"$TMP/ref"
        sed -n '/^result/,/^$/p' "$log" | sed 's/2 partitions on 2 ranks/1 partitions on 1 ranks/' >"$TMP/got"
        same_file "table: result equals a local run" "$TMP/ref" "$TMP/got"
        ;;
    arraystats)
        ref1 arraystats | grep '^1000x1000' | awk '{ print $4, $5, $6 }' >"$TMP/ref"
        grep '^1000x1000' "$log" | awk '{ print $4, $5, $6 }' >"$TMP/got"
        same_file "arraystats: sum, mean, std equal a local 1-rank run" "$TMP/ref" "$TMP/got"
        ;;
    taskfarm)
        # 16 demonstration tasks: each prints once; the joblog has one exit-0 row per task
        seqs=$(grep -oE '^task [0-9]+ ran on ' "$log" | cut -d' ' -f2 | sort -n | paste -sd' ')
        check "taskfarm: tasks 1..16 printed once each" [ "$seqs" = "$(seq 1 16 | paste -sd' ')" ]
        rows=$(awk -F'\t' 'NR > 1 && NF == 9 && $7 == 0' "taskfarm-$id.joblog" 2>/dev/null | wc -l)
        check "taskfarm: joblog has 16 rows with exit 0 ($rows)" [ "$rows" = 16 ]
        ;;
    *) not_ok "$name.sbatch: no value check in tests/slurm/run.sh" ;;
    esac
done

# --- a job that cannot run is rejected at submit, not left pending ---
if sbatch --parsable --ntasks=64 "$ROOT/slurm/wordcount.sbatch" >/dev/null 2>"$TMP/err"; then
    not_ok "oversized job rejected at submit"
else
    ok "oversized job rejected at submit: $(head -n 1 "$TMP/err")"
fi

# --- the launch check ---
# With the wrong PMI plugin Open MPI here stops inside MPI_Init: the job fails, clearly.
id=$(sbatch --parsable --ntasks=2 --output=badpmi-%j.out --wrap "srun --mpi=none $BIN/wordcount $corpus")
st=$(wait_job "$id")
check "wrong PMI (srun --mpi=none): job $st, not a silent success" [ "$st" = FAILED ]
# A world that does not match SLURM_NTASKS (what singletons see): the library's check.
id=$(sbatch --parsable --ntasks=2 --output=mismatch-%j.out \
    --wrap "srun --mpi=pmix bash -c 'SLURM_NTASKS=3 exec $BIN/wordcount $corpus'")
st=$(wait_job "$id")
check "world size != SLURM_NTASKS: job $st" [ "$st" = FAILED ]
check "launch mismatch message" grep -q 'launch mismatch: MPI world size is 2 but SLURM_NTASKS is 3' "mismatch-$id.out"

# --- the scaling study: array over rank counts, merge after all succeeded ---
mpirun_n 2 "$BIN/textgen" --bytes 16M -o "$WORK/scale.txt" >/dev/null 2>&1
read -r _ array _ merge _ rows < <(MPIKIT_RANKS="1 2 4" MPIKIT_SCALING_SHAPE=1000x1000 "$ROOT/slurm/scaling.sh" "$WORK/scale.txt")
st=$(wait_job "$merge" 300)
check "scaling: merge job $st after the array" [ "$st" = COMPLETED ]
for t in 0 1 2; do
    check "scaling: array task $t completed" [ "$(wait_job "${array}_$t")" = COMPLETED ]
done
check "scaling: table has 1, 2 and 4 ranks" [ "$(cut -d, -f1 "$rows/scaling.csv" | tr '\n' ' ')" = "ranks 1 2 4 " ]
check "scaling: speedup at 1 rank is 1.00" grep -q '^1,[0-9]*,[0-9.]*,[0-9.]*,1.00,1.00$' "$rows/scaling.csv"
check "scaling: arraystats table has 1, 2 and 4 ranks" [ "$(cut -d, -f1 "$rows/scaling-arraystats.csv" | tr '\n' ' ')" = "ranks 1 2 4 " ]
check "scaling: arraystats speedup at 1 rank is 1.00" grep -q '^1,[0-9]*,[0-9.]*,[0-9.]*,1.00,1.00$' "$rows/scaling-arraystats.csv"
if command -v gnuplot >/dev/null; then check "scaling: plot written" [ -s "$rows/scaling.png" ]; fi

# --- the pipeline: generate -> process -> report ---
read -r _ gen _ proc _ rep < <(MPIKIT_BYTES=2M "$ROOT/slurm/pipeline.sh" "$WORK/pipe")
check "pipeline: report $(wait_job "$rep")" [ "$(wait_job "$rep")" = COMPLETED ]
check "pipeline: all three stages completed" [ "$(wait_job "$gen")$(wait_job "$proc")" = COMPLETEDCOMPLETED ]
tokens=$(grep -oE '[A-Za-z]+' "$WORK/pipe/corpus.txt" | wc -l)
check "pipeline: report's token total equals grep ($tokens)" grep -q "^tokens: *$tokens$" "pipeline-report-$rep.out"
# A failing stage (the process stage reads a file that does not exist) stops the rest.
read -r _ gen _ proc _ rep < <(MPIKIT_BYTES=1M MPIKIT_PIPELINE_CORPUS=$WORK/nope.txt "$ROOT/slurm/pipeline.sh" "$WORK/pipe2")
check "failing pipeline: process stage FAILED" [ "$(wait_job "$proc")" = FAILED ]
check "failing pipeline: report stage cancelled, not pending" [ "$(wait_job "$rep" 60)" = CANCELLED ]

# --- preemption: SIGUSR1 to the batch shell, checkpoint, requeue, resume, same result ---
# The reads are slowed by a test hook (5 ms per 4 KiB chunk) so the notice lands during them.
"$TOOLS/bytes" text 24 3000000 >"$WORK/long.txt"
mpirun_n 2 "$BIN/wordcount" --counts "$WORK/rq.ref" "$WORK/long.txt" >/dev/null 2>&1
id=$(MPIKIT_INJECT_SLOW_CHUNK_US=5000 MPIKIT_FILES=$WORK/long.txt \
    MPIKIT_ARGS="--chunk-size 4K --progress --counts $WORK/rq.csv" sbatch --parsable "$ROOT/slurm/wordcount-requeue.sbatch")
log=wordcount-requeue-$id.out
# The bar is drawn after the stop handler is installed: signal as soon as it shows.
for _ in $(seq 1 600); do grep -q 'wordcount \[' "$log" 2>/dev/null && break; sleep 0.05; done
scancel --signal=USR1 --batch "$id"   # what --signal=B:USR1@60 sends before the time limit
st=$(wait_job "$id" 300)
restarts=$(scontrol show job "$id" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
if grep -q 'checkpoint saved: requeueing' "$log"; then
    check "requeue: job $st after $restarts restart(s)" [ "$st:$restarts" = COMPLETED:1 ]
    check "requeue: second run resumed from the checkpoint" grep -q "^wordcount: resuming from checkpoint" "$log"
    same_file "requeue: word table equals an uninterrupted run" "$WORK/rq.ref" "$WORK/rq.csv"
    check "requeue: checkpoint removed after success" [ -z "$(find "$WORK" -maxdepth 1 -name "wordcount-$id.ckpt*")" ]
else
    not_ok "requeue: the signal did not lead to a checkpoint (job $st)"
    tr '\r' '\n' <"$log" | grep -v '^wordcount \[' | tail -n 8 | sed 's/^/#   /'
fi

# --- the task farm under preemption: every task ends exactly once across the requeue ---
mkdir -p "$WORK/tf"
seq 1 40 >"$WORK/tf/tasks"
# shellcheck disable=SC2016 # {} and {#} are pool's replacement strings
id=$(MPIKIT_TASKS=$WORK/tf/tasks MPIKIT_EXEC="sleep 0.3; echo {} >> $WORK/tf/done.{#}" \
    sbatch --parsable "$ROOT/slurm/taskfarm.sbatch")
for _ in $(seq 1 600); do [ "$(find "$WORK/tf" -name 'done.*' | wc -l)" -ge 4 ] && break; sleep 0.05; done
scancel --signal=USR1 --batch "$id"
st=$(wait_job "$id" 300)
restarts=$(scontrol show job "$id" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
runs=$(for i in $(seq 1 40); do wc -l <"$WORK/tf/done.$i" 2>/dev/null || echo 0; done | sort -u | paste -sd' ')
if grep -q 'checkpoint saved: requeueing' "taskfarm-$id.out"; then
    check "taskfarm requeue: job $st after $restarts restart(s)" [ "$st:$restarts" = COMPLETED:1 ]
    check "taskfarm requeue: each of 40 tasks finished exactly once (counts '$runs')" [ "$runs" = 1 ]
    check "taskfarm requeue: checkpoint removed after success" [ -z "$(find "$WORK" -maxdepth 1 -name "taskfarm-$id.ckpt*")" ]
else
    not_ok "taskfarm requeue: the signal did not lead to a checkpoint (job $st)"
    tail -n 8 "taskfarm-$id.out" | sed 's/^/#   /'
fi

# --- two nodes on one machine ---
"$ROOT/scripts/slurm-local.sh" down >/dev/null 2>&1
if "$ROOT/scripts/slurm-local.sh" up 2 >"$TMP/up.log" 2>&1; then
    ok "local cluster up with two nodes"
    id=$(MPIKIT_FILES=$corpus sbatch --parsable --nodes=2 --ntasks=4 "$ROOT/slurm/wordcount.sbatch")
    st=$(wait_job "$id")
    check "wordcount on 2 nodes x 2 ranks: $st" [ "$st" = COMPLETED ]
    check "2 nodes: log lists both nodes" grep -q 'nodes:   n\[1-2\] (2 node(s))' "wordcount-$id.out"
    check "2 nodes: wc line equals LC_ALL=C wc" grep -qxF "$wc_ref" "wordcount-$id.out"
    id=$(MPIKIT_DIRS=$WORK/tree MPIKIT_ARGS="--name *.c" sbatch --parsable --nodes=2 --ntasks=4 "$ROOT/slurm/findfiles.sbatch")
    st=$(wait_job "$id")
    grep "^$WORK/tree" "findfiles-$id.out" >"$TMP/find.out" || true
    check "findfiles on 2 nodes: $st" [ "$st" = COMPLETED ]
    same_file "findfiles on 2 nodes: paths equal GNU find" "$TMP/find.ref" "$TMP/find.out"
    # shellcheck disable=SC2016 # $SLURMD_NODENAME is for the task's shell
    id=$(MPIKIT_EXEC='echo "task {#} ran on node $SLURMD_NODENAME"' sbatch --parsable --nodes=2 --ntasks=4 \
        "$ROOT/slurm/taskfarm.sbatch")
    st=$(wait_job "$id")
    nodes=$(grep -oE '^task [0-9]+ ran on node n[0-9]+$' "taskfarm-$id.out" | awk '{ print $NF }' | sort -u | paste -sd' ')
    tasks=$(grep -cE '^task [0-9]+ ran on node ' "taskfarm-$id.out")
    check "taskfarm on 2 nodes: $st, 16 tasks ($tasks) ran on both nodes ($nodes)" [ "$st:$tasks:$nodes" = "COMPLETED:16:n1 n2" ]
else
    not_ok "local cluster up with two nodes"
    sed 's/^/#   /' "$TMP/up.log"
fi

. "$ROOT/tests/slurm/trace.sh" # mktrace under srun --mpi=pmix (docs/tracing.md)
for s in "$ROOT"/slurm/*.sbatch "$ROOT"/slurm/*.sh "$ROOT"/scripts/slurm-local.sh; do
    check "bash -n $(basename "$s")" bash -n "$s"
done
finish
rc=$?
echo "$PASSED passed, $FAILED failed"
exit $rc
