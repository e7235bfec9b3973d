#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Fault-point sweep (issue 13, build item 2), in the spirit of SQLite's I/O-error injection.
# The fault build (make FAULTS=1, build/fault; include/mpikit/fault.h) can make any failure
# point of the library fail on one chosen rank: MPIKIT_FAULT=NAME:K@RANK fails the K-th arrival
# at NAME on RANK. For each job below, a clean run with MPIKIT_FAULT_LOG lists the points every
# rank reaches and how often; then each (rank, point, first arrival) and (rank, point, last
# arrival) is failed in turn, at 2 and 3 ranks. Every case must end with every rank exiting 1
# by itself within 10 s (mpirun is told not to abort the others, so a rank that did not learn
# of the failure would hang), exactly one `JOB: error:` line, nothing at the output's name and
# no temporary left. make test runs a seeded sample; MPIKIT_TEST_FULL=1 runs every case.
. "$(dirname "$0")/../lib.sh"
FB=$ROOT/build/fault
# The fault build is a separate tree; bring it up to date (incremental after the first time).
# (BUILD and SANITIZE given explicitly: tests/run.sh exports those of the build under test)
if ! make -s -C "$ROOT" FAULTS=1 SANITIZE=0 BUILD="$FB" all >"$TMP/make.log" 2>&1; then
    not_ok "make FAULTS=1 all failed"
    sed 's/^/#   /' "$TMP/make.log" | tail -n 5
    finish
    exit
fi
D=$TMP/w
mkdir -p "$D"
SAMPLE=${FAULT_SWEEP_SAMPLE:-14}

# inputs
printf 'the cat the dog\nand the bird\n' >"$D/words.txt"
mpirun_n 2 "$BIN/datagen" --rows 50 --shape 30x20 --chunks 7x6 -o "$D/in.h5" >/dev/null 2>&1 ||
    not_ok "set-up: datagen of the input file failed"

# Jobs, one per line: NAME|OUTPUT|ARGS (@D@ is the work directory). Each job writes OUTPUT.
JOBS="arraystats --save|@D@/out/a.h5|arraystats --shape 45x20 --chunks 10x7 --save @D@/out/a.h5
arraystats --input --save|@D@/out/b.h5|arraystats --input @D@/in.h5:/x --chunks 7x6 --save @D@/out/b.h5
table -o .h5|@D@/out/t.h5|table --rows 300 -o @D@/out/t.h5
table --input .h5 -o .csv|@D@/out/t.csv|table --input @D@/in.h5 -o @D@/out/t.csv
wordcount --counts .h5|@D@/out/c.h5|wordcount --counts @D@/out/c.h5 @D@/words.txt
wordcount --counts .csv|@D@/out/c.csv|wordcount --counts @D@/out/c.csv @D@/words.txt
datagen -o .h5|@D@/out/d.h5|datagen --rows 40 --shape 12x9 --chunks 5x4 -o @D@/out/d.h5"

# run_case N FAULT OUTPUT ARGS... : sets CASE_WHY ("" when every check held) and CASE_LINE
run_case() {
    local n=$1 fault=$2 output=$3
    shift 3
    MPIKIT_FAULT=$fault TEST_TIMEOUT=10 run_agreed "$n" "$output" "$@"
    CASE_WHY=$AGREED_WHY
    CASE_LINE=$AGREED_LINE
    rm -rf "$(dirname "$output")" && mkdir -p "$(dirname "$output")"
}

# Enumerate the cases: "N|RANK|POINT|ARRIVAL|JOB LINE"
: >"$TMP/cases"
points_total=""
while IFS='|' read -r name output args; do
    output=${output//@D@/$D}
    args=${args//@D@/$D}
    for n in 2 3; do
        mkdir -p "$D/out"
        rm -f "$TMP/log".*
        # shellcheck disable=SC2086 # ARGS are words by design
        MPIKIT_FAULT_LOG=$TMP/log mpirun_n "$n" -x MPIKIT_FAULT_LOG "$FB/bin/"$args </dev/null >/dev/null 2>"$TMP/err"
        rc=$?
        if [ "$rc" != 0 ] || [ ! -e "$output" ]; then
            not_ok "$name at $n ranks: the clean run failed (exit $rc)"
            sed 's/^/#   /' "$TMP/err" | head -n 3
            continue
        fi
        rm -rf "$D/out" && mkdir -p "$D/out"
        for r in $(seq 0 $((n - 1))); do
            [ -f "$TMP/log.$r" ] || continue
            sort "$TMP/log.$r" | uniq -c | while read -r count point; do
                echo "$n|$r|$point|1|$name|$output|$args"
                [ "$count" -gt 1 ] && echo "$n|$r|$point|$count|$name|$output|$args"
            done >>"$TMP/cases"
            points_total="$points_total $(sort -u "$TMP/log.$r" | tr '\n' ' ')"
        done
    done
done <<<"$JOBS"
# every point name in the sources (a call may name two, e.g. write ? "h5.write" : "h5.read")
names=$(grep -h 'mk_fault_hit(' "$ROOT"/src/*.c "$ROOT"/jobs/*.c | grep -v 'int mk_fault_hit' |
    grep -o '"[a-z0-9_]*\.[a-z0-9_]*"' | tr -d '"' | sort -u)
reached=$(tr ' ' '\n' <<<"$points_total" | grep -v '^$' | sort -u)
echo "# fault points in the sources: $(wc -w <<<"$names"); reached by the sweep's jobs: $(wc -w <<<"$reached")"
unreached=$(comm -23 <(echo "$names") <(echo "$reached") | tr '\n' ' ')
[ -n "$unreached" ] && echo "# not reached by the sweep's jobs: $unreached"
total=$(wc -l <"$TMP/cases")
echo "# cases: $total (job x ranks x failing rank x point x first/last arrival)"
sample_banner

mapfile -t all <"$TMP/cases"
mapfile -t chosen < <(sample "$SAMPLE" "${all[@]}")
echo "# running ${#chosen[@]} of $total"
for c in "${chosen[@]}"; do
    IFS='|' read -r n r point k name output args <<<"$c"
    mkdir -p "$(dirname "$output")"
    # shellcheck disable=SC2086 # ARGS are words by design
    run_case "$n" "$point:$k@$r" "$output" "$FB/bin/"$args
    if [ -z "$CASE_WHY" ]; then
        ok "$name, $n ranks, $point #$k fails on rank $r: every rank exits 1, $CASE_LINE"
    else
        not_ok "$name, $n ranks, $point #$k fails on rank $r:$CASE_WHY"
        sed 's/^/#   /' "$TMP/agreed.err" | grep -v '^#   ---' | head -n 4
    fi
done
finish
