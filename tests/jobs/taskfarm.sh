#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# taskfarm: pool --exec runs real commands. sha256sum of 50 generated files at 1, 2 and 3 ranks
# against a serial shell loop; the joblog parsed (GNU parallel's columns, one row per task, its
# commands those of --dry-run); a failing command (exit 1, one line naming the first); --timeout
# ends a task's whole process group (pgrep finds nothing left); task lines with spaces, quotes and
# $ reach the command intact; --dry-run against GNU parallel's own; resume after a stop signal
# runs no finished task again (each task appends to its own trace file).
. "$(dirname "$0")/../lib.sh"
sample_banner
POOL=$BIN/pool
D=$TMP/farm
mkdir -p "$D/in"
cd "$D" || exit 1

# 50 files of different sizes, some names with spaces and quotes
for i in $(seq 1 50); do
    name="$D/in/file $i"
    [ $((i % 7)) = 0 ] && name="$D/in/it's $i"
    head -c $((i * 997)) /dev/urandom >"$name"
    printf '%s\n' "$name" >>"$D/tasks"
done
while IFS= read -r f; do sha256sum <"$f" | cut -d' ' -f1 >"$f.ref"; done <"$D/tasks"

for n in 1 2 3; do
    find "$D/in" -name '*.sha' -delete
    mpirun_n "$n" "$POOL" --exec 'sha256sum < {} | cut -d" " -f1 > {}.sha' --tasks-file "$D/tasks" \
        --joblog "$D/joblog.$n" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    bad=0
    while IFS= read -r f; do cmp -s "$f.ref" "$f.sha" || bad=$((bad + 1)); done <"$D/tasks"
    if [ "$rc" = 0 ] && [ "$bad" = 0 ] && [ ! -s "$TMP/out" ]; then
        ok "sha256sum of 50 files at $n ranks: every output equals the serial loop's"
    else
        not_ok "sha256sum at $n ranks: exit $rc, $bad outputs differ"
        head -3 "$TMP/err" | sed 's/^/#   /'
    fi
done

# The joblog: GNU parallel's header, one row of 9 tab-separated fields per task, Seq 1..50 once
# each, Exitval and Signal 0, and the command of each Seq the one --dry-run prints for it.
mpirun_n 1 "$POOL" --exec 'sha256sum < {} | cut -d" " -f1 > {}.sha' --tasks-file "$D/tasks" --dry-run \
    >"$D/dry" 2>"$TMP/err"
header=$(head -1 "$D/joblog.3")
check "joblog header is GNU parallel's" [ "$header" = "$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand')" ]
rows=$(awk -F'\t' 'NR > 1 && NF == 9 && $7 == 0 && $8 == 0 && $3 > 1e9 && $4 >= 0' "$D/joblog.3" | wc -l)
seqs=$(tail -n +2 "$D/joblog.3" | cut -f1 | sort -n | paste -sd' ')
check "joblog: 50 rows of 9 fields, exit 0, no signal" [ "$rows" = 50 ]
check "joblog: Seq 1..50 once each" [ "$seqs" = "$(seq 1 50 | paste -sd' ')" ]
tail -n +2 "$D/joblog.3" | sort -t"$(printf '\t')" -k1,1n | cut -f9- >"$D/joblog_cmds"
same_file "joblog commands are the --dry-run commands, by Seq" "$D/dry" "$D/joblog_cmds"
# (ends rebuilt from two rounded fields: a step back of up to 2 ms is rounding)
late=$(tail -n +2 "$D/joblog.3" | awk -F'\t' '{e = $3 + $4} NR > 1 && e < last - 0.002 {b++} {last = e} END {print b + 0}')
check "joblog rows in completion order" [ "$late" = 0 ]

# A failing command: the farm goes on, exit 1, one line naming the first failed task.
mpirun_n 3 "$POOL" --exec 'echo {#} >> '"$D"'/ran; test {#} -ne 4 && test {#} -ne 7' --tasks 10 \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c '^pool: error: ' "$TMP/err")" = 1 ] &&
    grep -q '^pool: error: 2 of 10 tasks failed; the first, task 4 ' "$TMP/err" && [ "$(wc -l <"$D/ran")" = 10 ]; then
    ok "failing tasks 4 and 7: exit 1, one line naming task 4, all 10 ran"
else
    not_ok "failing tasks: exit $rc, $(wc -l <"$D/ran") ran"
    head -3 "$TMP/err" | sed 's/^/#   /'
fi

# --timeout ends the whole group: the shell, a background sleep and the foreground one.
MARK=$$$RANDOM
start=$(date +%s)
mpirun_n 2 "$POOL" --exec "sleep 100.${MARK}1 & sleep 100.${MARK}2; wait" --tasks 2 --timeout 1 \
    --joblog "$D/joblog.t" >"$TMP/out" 2>"$TMP/err"
rc=$?
took=$(($(date +%s) - start))
sleep 0.3
left=$(pgrep -f "sleep 100\\.$MARK" | wc -l)
sigs=$(tail -n +2 "$D/joblog.t" | cut -f7,8 | sort -u | tr '\t' ' ')
if [ "$rc" = 1 ] && [ "$left" = 0 ] && [ "$took" -lt 20 ] && [ "$sigs" = "-1 15" ] &&
    grep -q 'timed out' "$TMP/err"; then
    ok "--timeout 1: both tasks ended in ${took}s, no process left, joblog Exitval -1 Signal 15"
else
    not_ok "--timeout: exit $rc, ${took}s, $left processes left, joblog '$sigs'"
    head -3 "$TMP/err" | sed 's/^/#   /'
    pgrep -f "sleep 100\\.$MARK" | xargs -r kill -9
fi

# Hostile task lines reach the command as one literal argument each (GNU parallel's quoting).
# shellcheck disable=SC2016 # the $ and backquotes are the point: they must stay literal
printf '%s\n' 'a b' "it's" '$HOME' '$(touch pwned)' '`touch pwned2`' '-n' '"q"' '*' 'a\b' '' '  x  ' 'é;ls' >"$D/hostile"
mpirun_n 2 "$POOL" --exec 'printf "%s\n" {} > '"$D"'/q.{#}' --tasks-file "$D/hostile" >"$TMP/out" 2>"$TMP/err"
rc=$?
bad=0
i=0
while IFS= read -r line; do
    i=$((i + 1))
    [ "$(cat "$D/q.$i" 2>/dev/null; echo .)" = "$(printf '%s\n.' "$line")" ] || bad=$((bad + 1))
done <"$D/hostile"
check "12 hostile task lines passed intact (exit $rc, $bad differ), nothing executed from them" \
    [ "$rc:$bad:$i" = 0:0:12 ] && [ ! -e pwned ] && [ ! -e pwned2 ]

# --dry-run prints the commands and runs nothing; the same text as GNU parallel's --dry-run.
mpirun_n 2 "$POOL" --exec 'printf "%s\n" {} > '"$D"'/dry.{#}' --tasks-file "$D/hostile" --dry-run \
    >"$D/dry2" 2>"$TMP/err"
rc=$?
check "--dry-run: exit 0, 12 commands, nothing run" [ "$rc:$(wc -l <"$D/dry2")" = 0:12 ] && ! ls "$D"/dry.* >/dev/null 2>&1
if command -v parallel >/dev/null; then
    parallel --will-cite --keep-order --dry-run -a "$D/hostile" 'printf "%s\n" {} > '"$D"'/dry.{#}' >"$D/dry_gnu" 2>/dev/null
    same_file "--dry-run equals GNU parallel's --dry-run" "$D/dry_gnu" "$D/dry2"
else
    ok "# skip: GNU parallel not installed"
fi

# Resume: task 3 signals its rank the first time (the stop a requeue sends); the run saves
# its checkpoint and exits 3; the rerun runs only what did not finish. Every task ran once.
rotate 1 1 2 3   # one rank count per run, in turn (MPIKIT_TEST_FULL=1: all three)
for n in "${PICKED[@]}"; do
    rm -f "$D"/trace.* "$D/ckpt"*
    touch "$D/stop-once"
    # shellcheck disable=SC2016 # $PPID is for the task's shell
    cmd='if [ {#} = 3 ] && rm '"$D"'/stop-once 2>/dev/null; then kill -TERM $PPID; sleep 5; fi; echo x >> '"$D"'/trace.{#}'
    mpirun_n "$n" "$POOL" --exec "$cmd" --tasks 12 --checkpoint "$D/ckpt" >"$TMP/out" 2>"$TMP/err"
    rc1=$?
    first=$(cat "$D"/trace.* 2>/dev/null | wc -l)
    mpirun_n "$n" "$POOL" --exec "$cmd" --tasks 12 --checkpoint "$D/ckpt" >"$TMP/out" 2>"$TMP/err2"
    rc2=$?
    counts=$(for i in $(seq 1 12); do wc -l <"$D/trace.$i" 2>/dev/null || echo 0; done | sort -u | paste -sd' ')
    if [ "$rc1:$rc2" = 3:0 ] && [ "$counts" = 1 ] && [ "$first" -lt 12 ] && [ ! -e "$D/ckpt" ]; then
        ok "resume at $n ranks: stopped after $first tasks (exit 3), rerun finished, every task ran once"
    else
        not_ok "resume at $n ranks: exits $rc1 then $rc2, $first before the stop, run counts '$counts'"
        head -3 "$TMP/err" "$TMP/err2" | sed 's/^/#   /'
    fi
done

# Bad arguments: one line from rank 0.
mpirun_n 2 "$POOL" --timeout 1 >"$TMP/out" 2>"$TMP/err"
check "--timeout without --exec: exit 2, one line" [ "$?:$(grep -c '^pool: error: .*need --exec' "$TMP/err")" = 2:1 ]
mpirun_n 2 "$POOL" --exec true --tasks-file "$D/nope" >"$TMP/out" 2>"$TMP/err"
check "missing --tasks-file: exit 1, one line" [ "$?:$(grep -c "^pool: error: --tasks-file: cannot open" "$TMP/err")" = 1:1 ]

finish
