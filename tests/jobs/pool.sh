#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# pool: the map's unit tests at several rank counts, then the job: results in order for every
# schedule and rank count, the per-task log and the Gantt chart, fastcore's 10 x 1 s on 8 ranks
# in two rounds, a failing task, and bad arguments (one line from rank 0, exit 2).
. "$(dirname "$0")/../lib.sh"
POOL=$BIN/pool
D=$TMP/pool
mkdir -p "$D"

# The cmocka cases again, with every rank running them (tests/run.sh runs them on one rank).
for n in 2 3 4 7; do
    mpirun_n "$n" "$BUILD/tests/test_pool" >"$TMP/out" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && [ "$(grep -c '^\[  PASSED  \] 10 test(s)' "$TMP/out")" = "$n" ]; then
        ok "test_pool at $n ranks: 10 cases on every rank"
    else
        not_ok "test_pool at $n ranks: exit $rc"
        grep -E 'FAIL|ERROR|error' "$TMP/out" | head -10 | sed 's/^/#   /'
    fi
done

# csv_table NAME FILE: the rows of one CSV table (the tables are separated by blank lines).
csv_table() { awk -v want="$1" 'BEGIN{RS=""; FS="\n"} $1 ~ "^"want {for (i = 2; i <= NF; i++) print $i}' "$2"; }
EXPECT=$(printf '%s\n' A B C D E F G H I J K L M N O P Q R S T | paste -sd' ')

for n in $RANKS; do
    for sched in static cyclic dynamic; do
        for manager in serves computes; do
            [ "$sched" != dynamic ] && [ "$manager" = computes ] && continue
            name="$sched at $n ranks"
            [ "$sched" = dynamic ] && name="dynamic ($manager) at $n ranks"
            mpirun_n "$n" "$POOL" --tasks 20 --sleep uniform:0:20ms --schedule "$sched" --manager "$manager" \
                --format csv --chunksize 2 >"$TMP/out" 2>"$TMP/err"
            rc=$?
            got=$(csv_table item, "$TMP/out" | cut -d, -f4 | paste -sd' ')
            tasks=$(csv_table rank, "$TMP/out" | awk -F, '{s += $2} END {print s + 0}')
            rank0=$(csv_table rank, "$TMP/out" | awk -F, '$1 == 0 {print $2}')
            nrows=$(csv_table rank, "$TMP/out" | wc -l)
            if [ "$rc" = 0 ] && [ "$got" = "$EXPECT" ] && [ "$tasks" = 20 ] && [ "$nrows" = "$n" ]; then
                ok "$name: results A..T in order, 20 tasks over $n rank rows"
            else
                not_ok "$name: exit $rc, results '$got', $tasks tasks, $nrows rows"
                head -3 "$TMP/err" | sed 's/^/#   /'
            fi
            if [ "$sched" = dynamic ] && [ "$manager" = serves ] && [ "$n" -gt 1 ]; then
                check "$name: a serving manager runs no task" [ "$rank0" = 0 ]
            fi
        done
    done
done

# The default run is the mp_worker example: 16 tasks 'a'..'p' (shortened here with --sleep).
mpirun_n 2 "$POOL" --sleep uniform:0:10ms >"$TMP/out" 2>"$TMP/err"
check "default: 16 results A..P" [ "$(grep '^results:' "$TMP/out")" = "results: A B C D E F G H I J K L M N O P" ]
check "default: summary names dynamic" grep -q 'dynamic' "$TMP/out"

# The durations depend on the seed only, never on the rank count.
mpirun_n 1 "$POOL" --tasks 12 --sleep uniform:0:5ms --seed 7 --format csv >"$TMP/a" 2>"$TMP/err"
mpirun_n 3 "$POOL" --tasks 12 --sleep uniform:0:5ms --seed 7 --format csv >"$TMP/b" 2>/dev/null
csv_table item, "$TMP/a" >"$TMP/a.results"
csv_table item, "$TMP/b" >"$TMP/b.results"
same_file "uniform durations identical at 1 and 3 ranks" "$TMP/a.results" "$TMP/b.results"

# --verbose: every task once in the log, on a real rank, with start <= end.
mpirun_n 4 "$POOL" --tasks 25 --sleep const:2ms --schedule cyclic --verbose --format csv >"$TMP/out" 2>"$TMP/err"
check "verbose log: 25 tasks in order" [ "$(csv_table task, "$TMP/out" | cut -d, -f2 | paste -sd' ')" = "$(seq 0 24 | paste -sd' ')" ]
check "verbose log: cyclic puts item i on rank i % 4" \
    [ "$(csv_table task, "$TMP/out" | awk -F, '$3 != $2 % 4' | wc -l)" = 0 ]
check "verbose log: start <= end" [ "$(csv_table task, "$TMP/out" | awk -F, '$5 > $6' | wc -l)" = 0 ]

# --sleep file:PATH, one duration per line; --tasks defaults to the number of lines.
printf '10ms\n# a comment\n0.005\n\n1ms\n' >"$D/durations"
mpirun_n 2 "$POOL" --sleep "file:$D/durations" --format csv >"$TMP/out" 2>"$TMP/err"
check "file durations: 3 tasks" [ "$(csv_table item, "$TMP/out" | cut -d, -f3,4 | paste -sd' ')" = "0.0100,A 0.0050,B 0.0010,C" ]

# --gantt: a valid SVG, one labelled rect per task, one row per rank, renamed into place.
mpirun_n 3 "$POOL" --tasks 9 --sleep const:5ms --schedule static --gantt "$D/g.svg" >"$TMP/out" 2>"$TMP/err"
check "gantt: file written" [ -s "$D/g.svg" ]
check "gantt: one titled group per task" [ "$(grep -c '<g><title>task ' "$D/g.svg")" = 9 ]
check "gantt: one row per rank" [ "$(grep -c '>rank [0-9]*</text>' "$D/g.svg")" = 3 ]
if command -v python3 >/dev/null; then
    check "gantt: well-formed XML" python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$D/g.svg"
fi
check "gantt: no temporary left" [ -z "$(find "$D" -name 'g.svg.tmp-*')" ]

# fastcore's case: 10 tasks of 1 s on 8 workers; the ideal with indivisible tasks is 2 s.
for sched in static dynamic; do
    mpirun_n 8 "$POOL" --tasks 10 --sleep const:1 --schedule "$sched" --format csv >"$TMP/out" 2>"$TMP/err"
    span=$(csv_table ranks, "$TMP/out" | cut -d, -f10)
    # Two rounds of 1 s: never under 2 s (the sleeps happened), and well under three rounds
    # (the tasks were spread; the margin absorbs a loaded machine: this is not a timing test).
    check "fastcore 10 x 1 s on 8 ranks, $sched: makespan ${span:-?} s is two rounds (>= 1.99, < 2.9 s)" \
        awk -v s="${span:-99}" 'BEGIN { exit !(s >= 1.99 && s < 2.9) }'
done

# A failing task: exit 1, one line naming the item, at 1 and 3 ranks, for each schedule.
for sched in static cyclic dynamic; do
    for n in 1 3; do
        mpirun_n "$n" "$POOL" --tasks 12 --sleep const:1ms --schedule "$sched" --fail-at 7 \
            --gantt "$D/fail.svg" >"$TMP/out" 2>"$TMP/err"
        rc=$?
        if [ "$rc" = 1 ] && [ "$(grep -c '^pool: error: ' "$TMP/err")" = 1 ] &&
            grep -q 'task for item 7 failed (code 3)' "$TMP/err" && [ ! -e "$D/fail.svg" ]; then
            ok "failing task, $sched at $n ranks: exit 1, one line naming item 7, no chart"
        else
            not_ok "failing task, $sched at $n ranks: exit $rc"
            head -3 "$TMP/err" | sed 's/^/#   /'
        fi
    done
done

# Bad arguments: one line from rank 0, the right status, nothing on stdout.
expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    mpirun_n 3 "$POOL" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^pool: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" &&
        [ ! -s "$TMP/out" ]; then
        ok "$name: exit $want, one line"
    else
        not_ok "$name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "bad schedule" 2 "'guided' is not one of" --schedule guided
expect_error "negative tasks" 2 "out of range" --tasks -1
expect_error "tasks not a number" 2 "not an integer" --tasks many
expect_error "bad sleep spec" 2 "is not const:SECONDS" --sleep forever
expect_error "bad const" 2 "not const:DURATION" --sleep const:abc
expect_error "uniform high < low" 2 "uniform:LO:HI" --sleep uniform:2:1
expect_error "uniform missing bound" 2 "uniform:LO:HI" --sleep uniform:1
expect_error "bad format" 2 "'xml' is not one of" --format xml
expect_error "bad manager" 2 "is not one of" --manager boss
expect_error "fail-at past the end" 2 "does not exist" --tasks 3 --fail-at 5
expect_error "extra argument" 2 "" extra
expect_error "missing durations file" 1 "cannot open '$D/nope'" --sleep "file:$D/nope"
printf '1ms\nlater\n' >"$D/bad"
expect_error "bad line in durations file" 2 "bad:2: 'later'" --sleep "file:$D/bad"
expect_error "file count vs --tasks" 2 "has 3 durations but --tasks is 4" --sleep "file:$D/durations" --tasks 4
expect_error "unwritable gantt" 1 "cannot write --gantt" --tasks 2 --sleep const:1ms --gantt "$D/no/such/g.svg"

mpirun_n 3 "$POOL" --help >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--help exits 0, printed once" [ "$rc:$(grep -c '^usage: pool' "$TMP/out")" = 0:1 ]

finish
