#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# pool --checkpoint: a run stopped by SIGTERM/SIGINT (sent to the ranks, or to mpirun) saves
# and exits 3; a run with one rank SIGKILLed aborts. Rerunning the same command (at the same
# or another rank count) runs only the tasks the checkpoint lacks, gives the results of an
# uninterrupted run and removes the checkpoint. Every task run is counted independently
# through a test hook (MPIKIT_TRACE_TASKS=FILE: one line per finished task, written before the
# task is journalled), so the counts the job reports are checked against what really ran.
# Checkpoints of other task sets, damaged and truncated files are refused with a clear error.
# The unit tests of the journal and the stop flag (test_journal) also run at 2-4 ranks.
. "$(dirname "$0")/../lib.sh"
POOL=$BIN/pool
sample_banner

# csv_table NAME FILE: the rows of the results (item,) or summary (ranks,) table of a JSON run,
# which holds both (--format csv prints one table; json_table is in tests/lib.sh).
csv_table() { case $1 in item,) json_table results "$2" ;; ranks,) json_table summary "$2" ;; esac; }

# task_set M SLEEP: the tasks of the runs that follow (ARGS, M) and their reference results:
# an uninterrupted run, itself checked against the names the task set defines (task i is
# 'a'+i and returns 'A'+i; from 26 on, t<i> and T<i>).
# The reference runs at 4 ranks (the items do not depend on the rank count; 60 tasks of 0.3 s
# take 18 s at 1 rank), once per task set.
task_set() {
    M=$1
    ARGS=(--tasks "$M" --sleep "$2" --seed 5 --format json --no-progress)
    if [ -s "$TMP/ref-$M-${2//:/_}.items" ]; then
        cp "$TMP/ref-$M-${2//:/_}.items" "$TMP/ref.items"
        return 0
    fi
    mpirun_n 4 "$POOL" "${ARGS[@]}" >"$TMP/ref.out" 2>/dev/null
    csv_table item, "$TMP/ref.out" >"$TMP/ref.items"
    cp "$TMP/ref.items" "$TMP/ref-$M-${2//:/_}.items"
    awk -v m="$M" 'BEGIN { for (i = 0; i < m; i++) if (i < 26) printf "%d,%c,%c\n", i, 97 + i, 65 + i;
                           else printf "%d,t%d,T%d\n", i, i, i }' >"$TMP/expected"
    cut -d, -f1,2,4 "$TMP/ref.items" >"$TMP/ref.names"
    same_file "uninterrupted run of $M tasks: the names the task set defines" "$TMP/expected" "$TMP/ref.names"
}
task_set 30 uniform:50ms:150ms

# The journal's and the stop flag's unit tests again, with every rank running them.
for n in 2 3 4; do
    mpirun_n "$n" "$BUILD/tests/test_journal" >"$TMP/out" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && [ "$(grep -c '^\[  PASSED  \] 4 test(s)' "$TMP/out")" = "$n" ]; then
        ok "test_journal at $n ranks: 4 cases on every rank"
    else
        not_ok "test_journal at $n ranks: exit $rc"
        grep -E 'FAIL|ERROR|error' "$TMP/out" | head -10 | sed 's/^/#   /'
    fi
done

# Compound conditions for check (which runs one command).
ended_nonzero() { [ "$1" != 0 ] && [ "$1" != 124 ]; }          # RC: failed, but not by the timeout
stopped_via_mpirun() { ended_nonzero "$1" && [ "$2" = 1 ]; }     # RC LINES
counts_agree() { [ -n "$1" ] && [ "$1" = "$2" ] && [ "$(($1 + $3))" = "$M" ]; }   # EXECUTED RAN RESUMED
redone_bounded() { [ "$1" = "$(($2 - $3))" ] && [ "$1" -le "$4" ]; }             # REDONE BEFORE RESUMED BOUND

# rank_pids CK: the ranks (not mpirun, not timeout) of the run using checkpoint CK.
rank_pids() { pgrep -f "^$POOL .*--checkpoint $1( |\$)"; }

# one_case NAME N SCHED HOW N2 [ARGS...]: run at N ranks, interrupt it by HOW once 3 tasks have
# finished, resume at N2 ranks; check the exit statuses, the counts and the results.
#   TERM, INT        the signal to every rank (what SLURM's scancel and preemption do)
#   mpirun-TERM/INT  the signal to mpirun (Ctrl-C), which passes it on to the ranks
#   KILL, KILL0      SIGKILL to the last rank / to rank 0 (the dynamic manager): the job aborts
one_case() {
    local name=$1 n=$2 sched=$3 how=$4 n2=$5
    shift 5
    local ck=$TMP/ck-$name t1=$TMP/t1-$name t2=$TMP/t2-$name every=1
    [ "${1:-}" = --checkpoint-every ] && every=$2
    : >"$t1"
    : >"$t2"
    MPIKIT_TRACE_TASKS=$t1 mpirun_n "$n" "$POOL" "${ARGS[@]}" --checkpoint "$ck" --schedule "$sched" "$@" \
        >"$TMP/out1" 2>"$TMP/err1" &
    local pid=$! started=0
    for _ in $(seq 1 500); do
        if [ "$(wc -l <"$t1")" -ge 3 ]; then started=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    if [ "$started" = 0 ]; then
        wait "$pid"
        not_ok "$name: the run ended (or hung) before 3 tasks finished"
        return
    fi
    case $how in
        TERM | INT) rank_pids "$ck" | xargs -r kill -"$how" ;;
        mpirun-*) pkill -"${how#mpirun-}" -f "^mpirun .*--checkpoint $ck( |\$)" ;;
        KILL) rank_pids "$ck" | tail -n 1 | xargs -r kill -KILL ;;
        KILL0) rank_pids "$ck" | head -n 1 | xargs -r kill -KILL ;;
    esac
    local t0=$SECONDS
    wait "$pid"
    local rc=$? secs=$((SECONDS - t0))
    local before lines
    before=$(sort -u "$t1" | wc -l)
    lines=$(grep -c '^pool: interrupted: ' "$TMP/err1")
    if [ "${how#mpirun-}" != "$how" ] && [ "$lines" = 0 ] && [ "$before" = "$M" ]; then
        echo "# SKIP $name: every task finished before mpirun passed the signal on"
        rm -f "$ck" "$ck".rank*
        return
    fi
    case $how in
        TERM | INT)
            check "$name: SIG$how to the ranks: exit 3, one 'interrupted' line ($rc, $lines)" [ "$rc:$lines" = 3:1 ] ;;
        mpirun-*)
            # mpirun reports 1 for a job it was told to end; the ranks' own status is 3.
            check "$name: SIG${how#mpirun-} to mpirun: non-zero exit, one 'interrupted' line ($rc, $lines)" \
                stopped_via_mpirun "$rc" "$lines" ;;
        KILL*)
            check "$name: a rank killed: the job ends non-zero, no hang (exit $rc after ${secs}s)" ended_nonzero "$rc" ;;
    esac
    if [ "${how#KILL}" = "$how" ]; then
        check "$name: 'interrupted: $before of $M tasks done' as the tasks that ran say" \
            grep -q "^pool: interrupted: $before of $M tasks done, checkpoint saved to $ck; rerun the same command" "$TMP/err1"
    fi

    MPIKIT_TRACE_TASKS=$t2 mpirun_n "$n2" "$POOL" "${ARGS[@]}" --checkpoint "$ck" --schedule "$sched" "$@" \
        >"$TMP/out2" 2>"$TMP/err2"
    rc=$?
    local ran resumed executed redone union said
    ran=$(wc -l <"$t2")
    resumed=$(csv_table ranks, "$TMP/out2" | cut -d, -f12)
    executed=$(csv_table ranks, "$TMP/out2" | cut -d, -f13)
    redone=$(sort "$t1" "$t2" | uniq -d | wc -l)
    union=$(sort -u "$t1" "$t2" | wc -l)
    said=$(grep -c "^pool: resuming from checkpoint '$ck': $resumed of $M tasks done, $executed to run" "$TMP/err2")
    check "$name: resumed at $n2 ranks: exit 0, says what it resumes ($rc, $said)" [ "$rc:$said" = 0:1 ]
    csv_table item, "$TMP/out2" >"$TMP/got.items"
    same_file "$name: results equal an uninterrupted run" "$TMP/ref.items" "$TMP/got.items"
    check "$name: executed ${executed:-?} = tasks the resume ran ($ran) = $M - resumed ${resumed:-?}" \
        counts_agree "$executed" "$ran" "${resumed:-0}"
    check "$name: every task ran ($union of $M distinct)" [ "$union" = "$M" ]
    if [ "${how#KILL}" = "$how" ]; then
        check "$name: nothing redone: resumed $resumed = finished before $before, redone $redone" \
            [ "$resumed:$redone" = "$before:0" ]
    else
        # Redone: finished (traced) but not yet journalled when the rank died: fewer than
        # --checkpoint-every per rank.
        check "$name: redone $redone = finished before $before - resumed ${resumed:-?}, at most $n x $every" \
            redone_bounded "$redone" "$before" "${resumed:-0}" "$((n * every))"
    fi
    check "$name: checkpoint removed after success" [ -z "$(find "$TMP" -maxdepth 1 -name "ck-$name*")" ]
}

# SIGTERM to every rank, each schedule and rank count; resumed at another rank count.
next_count() { case $1 in 1) echo 2 ;; 2) echo 3 ;; 3) echo 4 ;; 4) echo 1 ;; *) echo 3 ;; esac; }
# The ASan+UBSan pass checks the same code paths at fewer rank counts (CI time).
sigterm_ranks=$RANKS
[ "${SANITIZE:-0}" = 1 ] && sigterm_ranks=${ASAN_RANKS:-"1 3"}
# Sampled (MPIKIT_TEST_FULL=1: the whole matrix): each schedule at the next rank count in turn.
read -r -a sigterm_counts <<<"$sigterm_ranks"
for sched in static cyclic dynamic; do
    rotate 1 "${sigterm_counts[@]}"
    for n in "${PICKED[@]}"; do
        one_case "term-$sched-$n" "$n" "$sched" TERM "$(next_count "$n")"
    done
done
# SIGINT to every rank, resumed at the same count (dynamic also with a computing rank 0).
pick 1 static cyclic dynamic
for sched in "${PICKED[@]}"; do
    one_case "int-$sched-3" 3 "$sched" INT 3
done
one_case "int-dynamic-computes-2" 2 dynamic INT 2 --manager computes
# Through mpirun, as Ctrl-C or a plain `kill` of the launcher would. Open MPI 4.1 passes the
# signal on about 2 s later: longer tasks keep the runs going that long.
task_set 60 const:300ms
one_case "mpirun-term-dynamic-2" 2 dynamic mpirun-TERM 4
pick 1 static cyclic
case ${PICKED[*]} in *static*) one_case "mpirun-int-static-4" 4 static mpirun-INT 4 ;; esac
case ${PICKED[*]} in *cyclic*) one_case "mpirun-int-cyclic-3" 3 cyclic mpirun-INT 4 ;; esac
task_set 30 uniform:50ms:150ms
# SIGKILL of one rank: the job aborts; what was journalled is not run again.
for sched in static cyclic dynamic; do
    rotate 1 2 3 4
    for n in "${PICKED[@]}"; do
        one_case "kill-$sched-$n" "$n" "$sched" KILL "$n"
    done
done
one_case "kill0-dynamic-3" 3 dynamic KILL0 3
one_case "kill0-static-4" 4 static KILL0 2
# Batched journal writes: a stop still saves everything; a kill loses at most K per rank.
one_case "term-every4-cyclic-3" 3 cyclic TERM 3 --checkpoint-every 4
one_case "kill-every4-static-3" 3 static KILL 3 --checkpoint-every 4
# Another schedule on resume: the schedule decides who runs a task, never its result.
one_case "term-static-then-dynamic" 3 static TERM 3 --schedule dynamic

# ---- refusals: one line from rank 0, the right status, no hang, nothing run ----
make_checkpoint() { # CK: a checkpoint of a run stopped after a few tasks, at 2 ranks
    rm -f "$1" "$1".rank*
    : >"$TMP/tr"
    MPIKIT_TRACE_TASKS=$TMP/tr mpirun_n 2 "$POOL" "${ARGS[@]}" --checkpoint "$1" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 500); do
        [ "$(wc -l <"$TMP/tr")" -ge 4 ] && break
        sleep 0.02
    done
    rank_pids "$1" | xargs -r kill -TERM
    wait "$pid"
}
refused() { # NAME STATUS PATTERN RANKS ARGS...
    local name=$1 want=$2 pattern=$3 n=$4
    shift 4
    : >"$TMP/tr"
    # no signal here: mpirun need not wait 1 s before its SIGKILL (see tests/lib.sh)
    OMPI_MCA_odls_base_sigkill_timeout=0 MPIKIT_TRACE_TASKS=$TMP/tr mpirun_n "$n" "$POOL" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^pool: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" &&
        [ ! -s "$TMP/tr" ]; then
        ok "$name: refused, exit $want, no task run"
    else
        not_ok "$name: exit $rc (want $want), $(wc -l <"$TMP/tr") tasks run"
        sed 's/^/#   /' "$TMP/err" | head -3
    fi
}
ck=$TMP/ck-x
make_checkpoint "$ck"
check "a stopped run leaves PATH and one journal per rank" [ "$(find "$TMP" -maxdepth 1 -name 'ck-x*' | wc -l)" = 3 ]
refused "other --tasks" 2 "made by a different run" 2 --tasks 31 --sleep uniform:50ms:150ms --seed 5 --checkpoint "$ck"
refused "other --seed" 2 "made by a different run" 2 --tasks "$M" --sleep uniform:50ms:150ms --seed 6 --checkpoint "$ck"
refused "other --sleep" 2 "made by a different run" 2 --tasks "$M" --sleep const:1ms --seed 5 --checkpoint "$ck"
refused "other --fail-at" 2 "made by a different run" 3 "${ARGS[@]}" --fail-at 7 --checkpoint "$ck"
refused "--checkpoint-every 0" 2 "checkpoint-every" 2 "${ARGS[@]}" --checkpoint-every 0 --checkpoint "$ck"
refused "--checkpoint without a value" 2 "checkpoint" 2 "${ARGS[@]}" --checkpoint
cp "$ck" "$TMP/meta.saved"
head -c 50 "$TMP/meta.saved" >"$ck"
refused "truncated checkpoint" 1 "is damaged (truncated or corrupted)" 3 "${ARGS[@]}" --checkpoint "$ck"
size=$(stat -c %s "$TMP/meta.saved")
head -c "$((size - 1))" "$TMP/meta.saved" >"$ck"
refused "checkpoint missing its last byte" 1 "is damaged" 2 "${ARGS[@]}" --checkpoint "$ck"
cp "$TMP/meta.saved" "$ck"
printf '\xff' | dd of="$ck" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "checkpoint with a flipped byte" 1 "is damaged" 2 "${ARGS[@]}" --checkpoint "$ck"
printf 'results: A B C\n' >"$ck"
refused "not a checkpoint" 1 "is not an mpikit task checkpoint" 2 "${ARGS[@]}" --checkpoint "$ck"
printf 'MKCKPT2\n0123456789abcdef' >"$ck"
refused "a wordcount checkpoint" 1 "is not an mpikit task checkpoint" 2 "${ARGS[@]}" --checkpoint "$ck"
: >"$ck"
refused "empty checkpoint" 1 "is not an mpikit task checkpoint" 2 "${ARGS[@]}" --checkpoint "$ck"
cp "$TMP/meta.saved" "$ck"
j=$(find "$TMP" -maxdepth 1 -name "ck-x.rank*" -printf "%s %p\n" | sort -n | tail -n 1 | cut -d" " -f2-)   # the longest journal: it holds records
cp "$j" "$TMP/journal.saved"
jsize=$(stat -c %s "$j")
printf '\xff' | dd of="$j" bs=1 seek=$((32 + 8)) conv=notrunc status=none   # the first record's name
refused "journal with a damaged record" 1 "is damaged at record 0" 2 "${ARGS[@]}" --checkpoint "$ck"
cp "$TMP/meta.saved" "$ck"
head -c 10 "$TMP/journal.saved" >"$j"
refused "journal cut inside its header" 1 "is damaged (bad header)" 2 "${ARGS[@]}" --checkpoint "$ck"
cp "$TMP/journal.saved" "$j"
g=$(od -An -tu1 -j 9 -N1 "$j" | tr -d ' ')   # a byte of its generation (once, silently skipped), complemented
printf '%b' "\\$(printf '%03o' $((255 - g)))" | dd of="$j" bs=1 seek=9 conv=notrunc status=none
refused "journal with a damaged header" 1 "is damaged (bad header)" 2 "${ARGS[@]}" --checkpoint "$ck"
mkdir -p "$TMP/ckdir"
refused "checkpoint is a directory" 1 "cannot read checkpoint" 2 "${ARGS[@]}" --checkpoint "$TMP/ckdir"
refused "checkpoint in a missing directory" 1 "cannot write checkpoint" 2 "${ARGS[@]}" --checkpoint "$TMP/no/such/ck"

# A torn last record (a kill during a write) is not damage: the record is simply not there,
# and its task runs again.
cp "$TMP/meta.saved" "$ck"
head -c "$((jsize - 5))" "$TMP/journal.saved" >"$j"
records=$(((jsize - 32) / 40))   # 32-byte header; item + 24-byte name + check = 40 bytes a record
others=$(find "$TMP" -maxdepth 1 -name 'ck-x.rank*' ! -path "$j" -exec stat -c %s {} + | awk '{ s += ($1 - 32) / 40 } END { print s + 0 }')
: >"$TMP/tr"
MPIKIT_TRACE_TASKS=$TMP/tr mpirun_n 2 "$POOL" "${ARGS[@]}" --checkpoint "$ck" >"$TMP/out" 2>"$TMP/err"
rc=$?
csv_table item, "$TMP/out" >"$TMP/got.items"
check "torn last journal record: resumes ($rc), runs $M - $records - $others + 1 tasks ($(wc -l <"$TMP/tr"))" \
    [ "$rc:$(wc -l <"$TMP/tr")" = "0:$((M - records - others + 1))" ]
same_file "torn last journal record: results equal an uninterrupted run" "$TMP/ref.items" "$TMP/got.items"

# A journal left over from before the last commit (a crash between the commit and the journal
# reset) holds items PATH already has: it is skipped, not mixed in.
make_checkpoint "$ck"
cp "$ck.rank1" "$TMP/old.rank1"
make_checkpoint_again() { # resume and stop again: a new generation
    : >"$TMP/tr"
    MPIKIT_TRACE_TASKS=$TMP/tr mpirun_n 2 "$POOL" "${ARGS[@]}" --checkpoint "$ck" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 500); do
        [ "$(wc -l <"$TMP/tr")" -ge 2 ] && break
        sleep 0.02
    done
    rank_pids "$ck" | xargs -r kill -TERM
    wait "$pid"
}
make_checkpoint_again
cp "$TMP/old.rank1" "$ck.rank1"
mpirun_n 3 "$POOL" "${ARGS[@]}" --checkpoint "$ck" >"$TMP/out" 2>"$TMP/err"
rc=$?
csv_table item, "$TMP/out" >"$TMP/got.items"
check "journal of an older generation skipped: exit 0 ($rc)" [ "$rc" = 0 ]
same_file "journal of an older generation skipped: results equal an uninterrupted run" "$TMP/ref.items" "$TMP/got.items"

# Without --checkpoint nothing changes: SIGTERM ends the job at once, no files.
mpirun_n 2 "$POOL" "${ARGS[@]}" >/dev/null 2>&1 &
pid=$!
sleep 1
pkill -TERM -f "^mpirun .*$POOL --tasks $M --sleep uniform:50ms:150ms --seed 5 --format json --no-progress\$"
wait "$pid"
rc=$?
check "no --checkpoint: SIGTERM ends the run non-zero ($rc)" ended_nonzero "$rc"

finish
