#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# hello: one row per rank, in rank order, gathered (not interleaved); csv/json; thread levels;
# bad arguments give one error line and exit 2.
. "$(dirname "$0")/../lib.sh"
H=$BIN/hello

for n in $RANKS; do
    mpirun_n "$n" "$H" --format csv >"$TMP/out" 2>"$TMP/err"
    rc=$?
    ranks=$(awk -F, 'NR > 1 { printf "%s ", $1 }' "$TMP/out")
    want=$(seq -s ' ' 0 $((n - 1)))
    check "$n ranks: exit 0, rows are ranks 0..$((n - 1)) in order" [ "$rc:$ranks" = "0:$want " ]
    check "$n ranks: every row says size $n" [ "$(awk -F, 'NR > 1 && $2 != '"$n"'' "$TMP/out" | wc -l)" = 0 ]
    check "$n ranks: $n distinct pids" [ "$(awk -F, 'NR > 1 { print $4 }' "$TMP/out" | sort -u | wc -l)" = "$n" ]
    check "$n ranks: one parent (mpirun's daemon)" [ "$(awk -F, 'NR > 1 { print $5 }' "$TMP/out" | sort -u | wc -l)" = 1 ]
    check "$n ranks: affinity is a CPU list" [ "$(awk -F, 'NR > 1 && $6 !~ /^[0-9][0-9,-]*$/' "$TMP/out" | wc -l)" = 0 ]
    check "$n ranks: library is Open MPI" [ "$(grep -c ',Open MPI v' "$TMP/out")" = "$n" ]
done

# Text: a title, a header and one aligned row per rank.
mpirun_n 3 "$H" >"$TMP/out" 2>"$TMP/err"
check "text: title + header + 3 rows" [ "$(wc -l <"$TMP/out"):$(head -n 1 "$TMP/out")" = "5:hello from every rank" ]

# JSON parses and holds one object per rank (python3 is the validator when present).
mpirun_n 4 "$H" --format json --thread multiple >"$TMP/out" 2>"$TMP/err"
if command -v python3 >/dev/null; then
    check "json: valid, 4 ranks, thread multiple provided" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["ranks"]
assert [r["rank"] for r in d] == [0, 1, 2, 3]
assert all(r["thread_provided"] == "multiple" and r["thread_requested"] == "multiple" for r in d)' "$TMP/out"
else
    echo "# SKIP json validation: no python3"
fi
for level in single funneled serialized; do
    mpirun_n 2 "$H" --format csv --thread $level >"$TMP/out" 2>"$TMP/err"
    check "--thread $level: requested and provided recorded" [ "$(awk -F, 'NR > 1 { print $7 "/" $8 }' "$TMP/out" | sort -u)" = "$level/$level" ]
done

expect_error() {
    local name=$1 pattern=$2
    shift 2
    mpirun_n 3 "$H" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(grep -c '^hello: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        ok "$name: exit 2, one line"
    else
        not_ok "$name: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "bad format" "'xml' is not one of" --format xml
expect_error "bad thread level" "'bogus' is not one of" --thread bogus
expect_error "unknown option" "unknown option" --frobnicate
expect_error "positional argument" "" extra
mpirun_n 3 "$H" --help >"$TMP/out" 2>"$TMP/err"
check "--help exits 0, printed once" [ "$?:$(grep -c '^usage: hello' "$TMP/out")" = 0:1 ]
finish
