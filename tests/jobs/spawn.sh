#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# spawn: the parent(s) spawn K children of the same binary over an intercommunicator; every child
# squares its own argument; results come back in child order; the children print their pid.
# Without free slots the parent says so in one line and exits 1 (no hang, no abort trace of ours).
. "$(dirname "$0")/../lib.sh"
S=$BIN/spawn
# Spawned children need slots beyond the parents'; on a small machine that means oversubscribing.
export OMPI_MCA_rmaps_base_oversubscribe=1

# results NAME FILE K START : the children table has K rows 0..K-1, x = START + i, square = x^2.
results() {
    local name=$1 file=$2 k=$3 start=$4
    local bad
    bad=$(awk -F, -v k="$k" -v s="$start" '/^child,pid/ { on = 1; next } on && NF == 0 { exit }
        on { n++; if ($1 != n - 1 || $5 != s + n - 1 || $6 != $5 * $5 || $7 != "yes") bad++ }
        END { print (n == k ? 0 : 1) + bad }' "$file")
    if [ "$bad" = 0 ]; then ok "$name: $k children, squares in child order"
    else not_ok "$name: $bad bad rows"; head -n 12 "$file" | sed 's/^/#   /'; fi
}

for n in $RANKS; do
    # children and summary of one run: JSON holds both (json_tables: tests/lib.sh)
    mpirun_n "$n" "$S" --children 2 --start $((n * 10)) --format json >"$TMP/out.json" 2>"$TMP/err"
    rc=$?
    json_tables "$TMP/out.json" >"$TMP/out"
    if [ $rc = 0 ]; then results "$n parents" "$TMP/out" 2 $((n * 10))
    else not_ok "$n parents: exit $rc"; sed 's/^/#   /' "$TMP/err" | head -5; fi
    check "$n parents: summary says $n parents" [ "$(awk -F, '/^parents,/ { getline; print $1 "," $5 }' "$TMP/out")" = "$n,yes" ]
done
for k in 1 4 7; do
    mpirun_n 1 "$S" --children $k --start -3 --format csv >"$TMP/out" 2>"$TMP/err"
    results "1 parent, $k children, negative arguments" "$TMP/out" $k -3
    check "1 parent, $k children: $k distinct child pids" \
        [ "$(awk -F, '/^child,pid/ { on = 1; next } on && NF == 0 { exit } on { print $2 }' "$TMP/out" | sort -u | wc -l)" = $k ]
done

# Text: each child prints its pid and square, in child order (through the children's rank 0).
mpirun_n 1 "$S" --children 3 >"$TMP/out" 2>"$TMP/err"
check "text: children print their lines in order" \
    [ "$(grep -o '^child [0-9] ([0-9] of 3 here, pid [0-9]*): [0-9]* squared is [0-9]*' "$TMP/out" | awk '{ print $2 ":" $NF }' | tr '\n' ' ')" = "0:1 1:4 2:9 " ]
# The pids the children print are the ones the parent gathered.
printed=$(grep -o 'here, pid [0-9]*' "$TMP/out" | tr -dc '0-9\n' | sort | tr '\n' ' ')
gathered=$(awk '/^child +pid/ { on = 1; next } on && NF == 0 { exit } on { print $2 }' "$TMP/out" | sort | tr '\n' ' ')
check "text: printed pids = gathered pids" [ -n "$printed" ] && [ "$printed" = "$gathered" ]

mpirun_n 2 "$S" --children 3 --format json >"$TMP/out" 2>"$TMP/err"
if command -v python3 >/dev/null; then
    check "json: valid, 3 children squared" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["square"] for c in d["children"]] == [1, 4, 9] and d["summary"][0]["all_ok"] == "yes"' "$TMP/out"
fi

# No free slot: one slot on the host, taken by the parent; the spawn must fail cleanly.
unset OMPI_MCA_rmaps_base_oversubscribe
timeout -k 5 "$TEST_TIMEOUT" mpirun -n 1 --host localhost:1 "$S" --children 2 >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && [ "$(grep -c '^spawn: error: cannot spawn 2 children' "$TMP/err")" = 1 ] && grep -q 'oversubscribe' "$TMP/err" && [ ! -s "$TMP/out" ]; then
    ok "no free slots: exit 1, one line naming the fix"
else
    not_ok "no free slots: exit $rc"
    grep -v '^ *$' "$TMP/err" | tail -n 5 | sed 's/^/#   /'
fi
timeout -k 5 "$TEST_TIMEOUT" mpirun -n 2 --host localhost:2 "$S" --children 1 >"$TMP/out" 2>"$TMP/err"
check "no free slots at 2 parents: exit 1, one line from rank 0 (no hang)" [ "$?:$(grep -c '^spawn: error: ' "$TMP/err")" = 1:1 ]
export OMPI_MCA_rmaps_base_oversubscribe=1

# Child mode is not for users.
timeout -k 5 "$TEST_TIMEOUT" mpirun -n 1 "$S" --child 0 >"$TMP/out" 2>"$TMP/err"
check "--child without a parent: exit 2" [ "$?:$(grep -c 'only for processes started by MPI_Comm_spawn' "$TMP/err")" = 2:1 ]

expect_error() {
    local name=$1 pattern=$2
    shift 2
    mpirun_n 3 "$S" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(grep -c '^spawn: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        ok "$name: exit 2, one line"
    else
        not_ok "$name: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "zero children" "out of range" --children 0
expect_error "too many children" "out of range" --children 1000
expect_error "bad format" "'xml' is not one of" --format xml
expect_error "positional argument" "" extra
mpirun_n 3 "$S" --help >"$TMP/out" 2>"$TMP/err"
check "--help exits 0, printed once" [ "$?:$(grep -c '^usage: spawn' "$TMP/out")" = 0:1 ]
finish
