#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# square: every square correct and the same ints at every rank count (including n < ranks and
# n not divisible by ranks), a verdict that names the hand-out cost, bad arguments -> exit 2.
. "$(dirname "$0")/../lib.sh"
SQ=$BIN/square

# csv_table HEADER-START FILE: the rows of one table of a json_tables file (tests/lib.sh).
csv_table() { awk -v want="$1" 'BEGIN{RS=""; FS="\n"} $1 ~ "^"want {for (i = 2; i <= NF; i++) print $i}' "$2"; }

ref=""
for n in $RANKS; do
    for items in 1000 1001 3; do
        # the items and the summary of one run: JSON holds both
        mpirun_n "$n" "$SQ" --n "$items" --show "$items" --repeat 1 --format json >"$TMP/out.json" 2>"$TMP/err"
        rc=$?
        json_tables "$TMP/out.json" >"$TMP/out"
        rows=$(csv_table i, "$TMP/out" | wc -l)
        bad=$(csv_table i, "$TMP/out" | awk -F, '$3 != $2 * $2 || $2 < 0 || $2 >= 1000' | wc -l)
        sum=$(csv_table n, "$TMP/out" | cut -d, -f8)
        want=$(csv_table i, "$TMP/out" | awk -F, '{s += $3} END {printf "%d", s}')
        status=$(csv_table n, "$TMP/out" | cut -d, -f9)
        if [ "$rc" = 0 ] && [ "$rows" = "$items" ] && [ "$bad" = 0 ] && [ "$sum" = "$want" ] && [ "$status" = ok ]; then
            ok "$items ints at $n ranks: every square correct, sum $sum"
        else
            not_ok "$items ints at $n ranks: exit $rc, $rows rows, $bad wrong, sum $sum vs $want, check '$status'"
            head -3 "$TMP/err" | sed 's/^/#   /'
        fi
        if [ "$items" = 1000 ]; then
            if [ -z "$ref" ]; then ref=$sum; fi
            check "1000 ints at $n ranks: the same ints as at 1 rank" [ "$sum" = "$ref" ]
        fi
    done
done

# Cheap items: one multiply cannot pay for a scatter and a gather; the verdict says why.
mpirun_n 2 "$SQ" >"$TMP/out" 2>"$TMP/err"
check "no cost at 2 ranks: parallel lost" grep -q '^parallel lost: handing out an item (scatter + gather) costs' "$TMP/out"
check "no cost at 2 ranks: break-even printed" grep -q 'it pays above ~.* us of work per item' "$TMP/out"
check "text: both times and the speedup" \
    [ "$(grep -cE '^(serial|parallel) +[0-9.]+ +[0-9.]+$|^speedup [0-9.]+x$' "$TMP/out")" = 3 ]
# Real work per item (busy-waiting on the clock): a verdict either way, noise decides which.
mpirun_n 2 "$SQ" --cost 50us --repeat 3 >"$TMP/out" 2>"$TMP/err"
check "--cost 50us: a verdict" grep -qE '^parallel (won|lost): ' "$TMP/out"
# shellcheck disable=SC2016 # awk program, not shell
check "--cost 50us: serial takes at least 50 ms" \
    awk '$1 == "serial" { found = 1; ok = ($2 >= 0.05) } END { exit !(found && ok) }' "$TMP/out"
mpirun_n 1 "$SQ" >"$TMP/out" 2>"$TMP/err"
check "one rank: nothing to split" grep -q '^one rank: nothing to split' "$TMP/out"

mpirun_n 3 "$SQ" --format csv >"$TMP/out" 2>"$TMP/err"
check "csv: the summary alone, its verdict a column" \
    [ "$(head -n 1 "$TMP/out" | cut -d, -f1,10):$(wc -l <"$TMP/out")" = "n,verdict:2" ]
if command -v python3 >/dev/null; then
    mpirun_n 3 "$SQ" --format json --show 2 >"$TMP/out" 2>"$TMP/err"
    check "json: parses, holds timing and summary" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {'items', 'timing', 'summary'}, d.keys()
assert d['summary'][0]['ranks'] == 3 and len(d['items']) == 2
" "$TMP/out"
fi

expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    mpirun_n 3 "$SQ" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^square: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" &&
        [ ! -s "$TMP/out" ]; then
        ok "$name: exit $want, one line"
    else
        not_ok "$name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "zero items" 2 "out of range" --n 0
expect_error "items not a number" 2 "not an integer" --n lots
expect_error "bad cost unit" 2 "not a duration" --cost 5parsec
expect_error "negative cost" 2 "not a duration" --cost -1ms
expect_error "cost too large" 2 "out of range" --cost 2s
expect_error "zero repeats" 2 "out of range" --repeat 0
expect_error "bad format" 2 "'xml' is not one of" --format xml
expect_error "unknown option" 2 "unknown option" --frobnicate
expect_error "extra argument" 2 "" extra

mpirun_n 3 "$SQ" --help >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--help exits 0, printed once" [ "$rc:$(grep -c '^usage: square' "$TMP/out")" = 0:1 ]

finish
