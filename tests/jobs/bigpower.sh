#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# bigpower: the means are bit-identical (printed with 17 significant digits) for every rank
# count and both splits, equal to the one-rank (serial) run; memory stays bounded; bad
# arguments give one error line and exit 2.
. "$(dirname "$0")/../lib.sh"
BP=$BIN/bigpower
N=1000000

# means FILE : the "means" table of a CSV run (power,mean,expected,z), up to the blank line.
means() { awk 'NF == 0 { exit } { print }' "$1"; }

mpirun_n 1 "$BP" --n $N --split data --format csv >"$TMP/out" 2>"$TMP/err"
check "serial run: exit 0" [ $? = 0 ]
means "$TMP/out" >"$TMP/ref"
check "serial run: 4 powers" [ "$(awk -F, 'NR > 1 { printf "%s ", $1 }' "$TMP/ref")" = "1 2 12 15 " ]
# Sanity of the statistics: every |z| below 5 at 1e6 samples.
check "serial run: sample moments near E[x^p] (|z| < 5)" \
    [ "$(awk -F, 'NR > 1 && ($4 > 5 || $4 < -5)' "$TMP/ref" | wc -l)" = 0 ]
for split in data tasks; do
    for n in $RANKS; do
        [ "$split:$n" = data:1 ] && continue
        mpirun_n "$n" "$BP" --n $N --split $split --format csv >"$TMP/out" 2>"$TMP/err"
        rc=$?
        means "$TMP/out" >"$TMP/got"
        if [ $rc = 0 ]; then same_file "--split $split at $n ranks: same bits as serial" "$TMP/ref" "$TMP/got"
        else not_ok "--split $split at $n ranks: exit $rc"; sed 's/^/#   /' "$TMP/err" | head -5; fi
    done
done

# --shared-draws: every power from stream 0, still the same bits at any rank count and split;
# the first power reads stream 0 either way, the others get their own (fresh) draws by default.
mpirun_n 1 "$BP" --n $N --shared-draws --format csv >"$TMP/out" 2>"$TMP/err"
means "$TMP/out" >"$TMP/shared"
check "--shared-draws summary says shared" grep -q ',shared$' "$TMP/out"
for case in 2:tasks 3:data; do
    mpirun_n "${case%%:*}" "$BP" --n $N --shared-draws --split "${case#*:}" --format csv >"$TMP/out" 2>"$TMP/err"
    means "$TMP/out" >"$TMP/got"
    same_file "--shared-draws at ${case%%:*} ranks --split ${case#*:}: same bits" "$TMP/shared" "$TMP/got"
done
check "power 1 (stream 0): the same mean fresh or shared" \
    [ "$(sed -n 2p "$TMP/ref")" = "$(sed -n 2p "$TMP/shared")" ]
check "powers 2, 12, 15 each differ fresh vs shared" \
    [ "$(paste -d' ' <(sed -n '3,5p' "$TMP/ref" | cut -d, -f2) <(sed -n '3,5p' "$TMP/shared" | cut -d, -f2) | awk '$1 == $2' | wc -l)" = 0 ]
# The same power listed twice: two independent samples by default, one with --shared-draws.
mpirun_n 2 "$BP" --n 100000 --powers 2,2 --format csv >"$TMP/out" 2>"$TMP/err"
check "--powers 2,2: two different means (fresh draws)" \
    [ "$(means "$TMP/out" | awk -F, 'NR > 1 { print $2 }' | sort -u | wc -l)" = 2 ]
mpirun_n 2 "$BP" --n 100000 --powers 2,2 --shared-draws --format csv >"$TMP/out" 2>"$TMP/err"
check "--powers 2,2 --shared-draws: one mean" \
    [ "$(means "$TMP/out" | awk -F, 'NR > 1 { print $2 }' | sort -u | wc -l)" = 1 ]

# Short last block, other powers, other seed: still equal across rank counts and splits.
mpirun_n 1 "$BP" --n 100003 --powers 0,3,4 --seed 7 --format csv >"$TMP/out" 2>"$TMP/err"
means "$TMP/out" >"$TMP/ref2"
check "--powers 0,3,4: mean of x^0 is exactly 1" [ "$(awk -F, '$1 == 0 { print $2 }' "$TMP/ref2")" = 1 ]
for case in 3:data 4:tasks 7:data; do
    mpirun_n "${case%%:*}" "$BP" --n 100003 --powers 0,3,4 --seed 7 --split "${case#*:}" --format csv >"$TMP/out" 2>"$TMP/err"
    means "$TMP/out" >"$TMP/got"
    same_file "n=100003 powers 0,3,4 seed 7, ${case%%:*} ranks --split ${case#*:}: same bits" "$TMP/ref2" "$TMP/got"
done
# Fewer blocks than ranks, fewer items than a block.
mpirun_n 1 "$BP" --n 5 --format csv >"$TMP/out" 2>"$TMP/err"; means "$TMP/out" >"$TMP/ref3"
mpirun_n 7 "$BP" --n 5 --format csv >"$TMP/out" 2>"$TMP/err"; means "$TMP/out" >"$TMP/got"
same_file "n=5 at 7 ranks (idle ranks): same bits" "$TMP/ref3" "$TMP/got"

# Memory: 2e7 normals would be 160 MB as an array; the peak RSS of every rank stays far below.
mpirun_n 2 "$BP" --n 2e7 --format csv >"$TMP/out" 2>"$TMP/err"
rss=$(awk -F, '/^n,ranks/ { getline; print $7 }' "$TMP/out")
check "n=2e7 at 2 ranks: peak RSS ${rss} MiB < 64 MiB" awk -v r="$rss" 'BEGIN { exit !(r > 0 && r < 64) }'

# JSON and text render.
mpirun_n 2 "$BP" --n 10000 --format json >"$TMP/out" 2>"$TMP/err"
if command -v python3 >/dev/null; then
    check "json: valid, means and summary" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [m["power"] for m in d["means"]] == [1, 2, 12, 15] and d["summary"][0]["ranks"] == 2' "$TMP/out"
fi
mpirun_n 2 "$BP" --n 10000 >"$TMP/out" 2>"$TMP/err"
check "text: titled tables" grep -q '^mean of x^p over N standard normals' "$TMP/out"

expect_error() {
    local name=$1 pattern=$2
    shift 2
    mpirun_n 3 "$BP" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(grep -c '^bigpower: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        ok "$name: exit 2, one line"
    else
        not_ok "$name: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "zero n" "out of range" --n 0
expect_error "bad n" "1e6x" --n 1e6x
expect_error "fractional n" "not a whole number" --n 2.5
expect_error "bad split" "'rows' is not one of" --split rows
expect_error "power too big" "--powers" --powers 1,99
expect_error "malformed powers" "--powers" --powers 1,,2
expect_error "positional argument" "" extra
mpirun_n 3 "$BP" --help >"$TMP/out" 2>"$TMP/err"
check "--help exits 0, printed once" [ "$?:$(grep -c '^usage: bigpower' "$TMP/out")" = 0:1 ]
finish
