#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# overhead: every (cost, items) cell timed for serial and the four schedules at every rank count
# (the results are checked inside the job), the break-even and dispatch tables, --plot with or
# without gnuplot, bad arguments -> one line from rank 0 and exit 2. Small costs keep it fast.
. "$(dirname "$0")/../lib.sh"
OH=$BIN/overhead
D=$TMP/overhead
mkdir -p "$D"

# rows FILE: the rows of a one-table CSV, without its header; NUM: a number as CSV spells it
rows() { tail -n +2 "$1"; }
NUM='-?[0-9.]+(e[-+][0-9]+)?'
# shellcheck disable=SC2054 # the commas are inside option values
ARGS=(--costs 0,10us,200us --items 20,100 --repeat 1)

for n in $RANKS; do
    mpirun_n "$n" "$OH" "${ARGS[@]}" --format csv >"$TMP/out" 2>"$TMP/err"
    rc=$?
    nrows=$(rows "$TMP/out" | wc -l)
    numeric=$(rows "$TMP/out" | awk -F, -v num="^$NUM\$" '$5 ~ num && $6 ~ num' | wc -l)
    serial_one=$(rows "$TMP/out" | awk -F, '$4 == "serial" && $6 != 1' | wc -l)
    if [ "$rc" = 0 ] && [ "$nrows" = 30 ] && [ "$numeric" = 30 ] && [ "$serial_one" = 0 ]; then
        ok "$n ranks: 3 costs x 2 item counts x 5 schedules timed"
    else
        not_ok "$n ranks: exit $rc, $nrows rows, $numeric numeric, $serial_one serial rows with speedup != 1"
        head -3 "$TMP/err" | sed 's/^/#   /'
    fi
done
# The other two tables, one --table each (at one rank count: each run times every cell again).
mpirun_n 2 "$OH" "${ARGS[@]}" --format csv --table breakeven >"$TMP/out" 2>"$TMP/err"
check "2 ranks: break-even for 4 schedules x 2 item counts" [ "$(rows "$TMP/out" | wc -l)" = 8 ]
mpirun_n 2 "$OH" "${ARGS[@]}" --format csv --table dispatch >"$TMP/out" 2>"$TMP/err"
check "2 ranks: dispatch cost for 5 schedules" \
    [ "$(head -n 1 "$TMP/out" | cut -d, -f2):$(rows "$TMP/out" | awk -F, -v num="^$NUM\$" '$2 ~ num' | wc -l)" = per_task_us:5 ]

# Text: the three tables; a cell over the budget is skipped, not run.
mpirun_n 2 "$OH" --costs 0,100ms --items 10,20 --repeat 1 --max-serial 1s >"$TMP/out" 2>"$TMP/err"
check "text: three tables" [ "$(grep -cE '^(speedup curve|break-even|dispatch cost)' "$TMP/out")" = 3 ]
check "over budget: 100ms x 20 items skipped" \
    [ "$(awk '$1 == "100ms" && $3 == 20 && $5 == "skipped"' "$TMP/out" | wc -l)" = 5 ]
check "within budget: 100ms x 10 items run" \
    [ "$(awk '$1 == "100ms" && $3 == 10 && $5 ~ /^[0-9.]+$/' "$TMP/out" | wc -l)" = 5 ]

if command -v python3 >/dev/null; then
    mpirun_n 2 "$OH" --costs 0 --items 10,20 --repeat 1 --format json >"$TMP/out" 2>"$TMP/err"
    check "json: parses, runs/breakeven/dispatch" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {'runs', 'breakeven', 'dispatch'}, d.keys()
assert len(d['runs']) == 10
" "$TMP/out"
fi

# --plot: a PNG with gnuplot; without it a clear message, the rest of the output, exit 0.
mpirun_n 2 "$OH" --costs 0,10us --items 10,20 --repeat 1 --plot "$D/s.png" >"$TMP/out" 2>"$TMP/err"
rc=$?
if command -v gnuplot >/dev/null; then
    check "--plot: a PNG file" [ "$rc:$(head -c 4 "$D/s.png" | tail -c 3)" = 0:PNG ]
    check "--plot: mode 0666 & ~umask like every other output, not mkstemp's 0600" \
        [ "$(stat -c %a "$D/s.png")" = "$(printf '%o' $((0666 & ~$(umask))))" ]
else
    check "--plot without gnuplot: exit 0, one clear message" \
        [ "$rc:$(grep -c '^overhead: --plot skipped: gnuplot is not installed' "$TMP/err")" = 0:1 ]
    check "--plot without gnuplot: tables still printed" grep -q '^dispatch cost' "$TMP/out"
    echo "# SKIP --plot PNG check: gnuplot not installed"
fi
check "--plot: no temporaries left" [ -z "$(find "$D" -name 's.png.*')" ]

expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    mpirun_n 3 "$OH" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^overhead: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" &&
        [ ! -s "$TMP/out" ]; then
        ok "$name: exit $want, one line"
    else
        not_ok "$name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "bad cost" 2 "'fast' is not a duration" --costs 0,fast
expect_error "cost over 1s" 2 "'2s' is not a duration from 0 to 1s" --costs 2s
expect_error "empty cost list" 2 "has an empty item" --costs ,
expect_error "zero items" 2 "'0' is not an item count" --items 0
expect_error "items not a number" 2 "'x' is not an item count" --items 10,x
expect_error "too many costs" 2 "at most 32" --costs "$(seq -f '%gus' -s, 1 40)"
expect_error "zero repeats" 2 "out of range" --repeat 0
expect_error "bad format" 2 "'xml' is not one of" --format xml
expect_error "plot path with a quote" 2 "holds quotes" --plot "a'b.png"
expect_error "extra argument" 2 "" extra

mpirun_n 3 "$OH" --help >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--help exits 0, printed once" [ "$rc:$(grep -c '^usage: overhead' "$TMP/out")" = 0:1 ]

finish
