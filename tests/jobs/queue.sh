#!/usr/bin/env bash
# shellcheck source=tests/lib.sh disable=SC2016
# queue: every queued item received exactly once, unchanged, in per-producer order, at every
# rank count, without threads and with a pthread producer per rank (funneled and multiple);
# Empty is reported; the run ends (clean shutdown, under a timeout); bad arguments exit 2.
. "$(dirname "$0")/../lib.sh"
Q=$BIN/queue

# verify NAME TABLES-FILE EXPECTED : the check table says ok with EXPECTED items; and the items
# table (--verbose) lists each (producer, seq) once, increasing per producer within a consumer.
# q_run N ARGS... : run on N ranks; $TMP/out gets every table of the run (json_tables).
q_run() {
    local n=$1
    shift
    mpirun_n "$n" "$Q" "$@" --format json >"$TMP/out.json" 2>"$TMP/err"
    local rc=$?
    json_tables "$TMP/out.json" >"$TMP/out"
    return $rc
}

verify() {
    local name=$1 file=$2 want=$3
    local line
    line=$(awk -F, '/^threads,provided/ { getline; print; exit }' "$file")
    local expected received verdict
    expected=$(echo "$line" | cut -d, -f4)
    received=$(echo "$line" | cut -d, -f5)
    verdict=$(echo "$line" | cut -d, -f11)
    # an independent recount from the item list
    local listed dups order
    listed=$(awk -F, '/^consumer,producer/ { on = 1; next } on && NF == 6' "$file" | wc -l)
    dups=$(awk -F, '/^consumer,producer/ { on = 1; next } on && NF == 6 { print $2 "," $3 }' "$file" | sort | uniq -d | wc -l)
    order=$(awk -F, '/^consumer,producer/ { on = 1; next } on && NF == 6 {
            k = $1 "," $2; if (k in last && $3 + 0 <= last[k]) bad++; last[k] = $3 + 0 } END { print bad + 0 }' "$file")
    if [ "$expected:$received:$verdict:$listed:$dups:$order" = "$want:$want:ok:$want:0:0" ]; then
        ok "$name: $want items, each once, in order"
    else
        not_ok "$name: expected=$expected received=$received verdict=$verdict listed=$listed dups=$dups order=$order (want $want)"
        head -n 20 "$file" | sed 's/^/#   /'
    fi
}

for n in $RANKS; do
    if [ "$n" = 1 ]; then np=1; else np=$((n / 2)); fi
    q_run "$n" --items 25 --verbose
    rc=$?
    if [ $rc = 0 ]; then verify "$n ranks, $np producers" "$TMP/out" $((25 * np))
    else not_ok "$n ranks: exit $rc"; sed 's/^/#   /' "$TMP/err" | head -5; fi
    # the ranks table: put total equals got total
    check "$n ranks: puts = gets in the ranks table" awk -F, '/^rank,role/ { on = 1; next } on && NF == 0 { exit }
        on { p += $3; g += $4 } END { exit !(p == g && p > 0) }' "$TMP/out"
done
# One rank: rank 0 hosts, produces and consumes locally; its first get finds the queue empty.
q_run 1 --items 5
check "1 rank: host+producer+consumer, one Empty before the first put" \
    [ "$(awk -F, '/^rank,role/ { getline; print $2 "," $5 }' "$TMP/out")" = "host+producer+consumer,1" ]

# Producers slower than consumers: consumers see Empty (get(block=False)) and still get all.
q_run 3 --items 10 --delay 2ms --verbose
verify "3 ranks, slow producer" "$TMP/out" 10
check "3 ranks, slow producer: the consumer saw Empty" \
    awk -F, '/^rank,role/ { on = 1; next } on && $2 == "consumer" && $5 > 0 { found = 1 } END { exit !found }' "$TMP/out"
# --blocking: get(block=True), no Empty at all.
q_run 4 --items 30 --blocking --verbose
verify "4 ranks, blocking gets" "$TMP/out" 60
check "4 ranks, blocking gets: never Empty" \
    awk -F, '/^rank,role/ { on = 1; next } on && NF == 0 { exit } on && $5 > 0 { bad = 1 } END { exit bad }' "$TMP/out"
# Many producers, one consumer; many items.
q_run 7 --items 400 --producers 5 --verbose
verify "7 ranks, 5 producers x 400 items" "$TMP/out" 2000

# A pthread producer in every rank: funneled (thread hands items to the main thread) and
# multiple (the thread calls MPI_Send itself).
for mode in funneled multiple; do
    for n in 1 2 4 7; do
        q_run "$n" --threads $mode --items 40 --verbose
        rc=$?
        if [ $rc = 0 ]; then verify "--threads $mode at $n ranks" "$TMP/out" $((40 * n))
        else not_ok "--threads $mode at $n ranks: exit $rc"; sed 's/^/#   /' "$TMP/err" | head -5; fi
    done
    check "--threads $mode: provided level reported" \
        [ "$(awk -F, '/^threads,provided/ { getline; print $1 "," $2 }' "$TMP/out")" = "$mode,$mode" ]
done

mpirun_n 2 "$Q" --format json --items 3 >"$TMP/out" 2>"$TMP/err"
if command -v python3 >/dev/null; then
    check "json: valid, verdict ok" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["check"][0]["verdict"] == "ok" and len(d["ranks"]) == 2' "$TMP/out"
fi

expect_error() {
    local name=$1 pattern=$2
    shift 2
    mpirun_n 3 "$Q" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(grep -c '^queue: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        ok "$name: exit 2, one line"
    else
        not_ok "$name: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "too many producers" "needs at least 4 ranks" --producers 3
expect_error "bad thread level" "'serial' is not one of" --threads serial
expect_error "negative items" "out of range" --items -1
expect_error "bad delay" "delay" --delay 5parsecs
expect_error "blocking + funneled" "deadlock" --blocking --threads funneled
mpirun_n 3 "$Q" --help >"$TMP/out" 2>"$TMP/err"
check "--help exits 0, printed once" [ "$?:$(grep -c '^usage: queue' "$TMP/out")" = 0:1 ]
# zero items: only END markers travel; everyone still stops
q_run 4 --items 0
check "zero items: clean stop, verdict ok" [ "$(awk -F, '/^threads,provided/ { getline; print $4 "," $11 }' "$TMP/out")" = "0,ok" ]
finish
