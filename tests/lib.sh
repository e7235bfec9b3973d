# shellcheck shell=bash disable=SC2034
# tests/lib.sh - shared helpers for the multi-rank job tests (sourced, not run).
# Each check prints "ok - NAME" or "not ok - NAME"; tests/run.sh counts them.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
TOOLS=$BUILD/tests/tools
RANKS=${RANKS:-"1 2 3 4 7"}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
export LC_ALL=C

# Root consent (only as root) and the ob1 PML: scripts/mpikit-env.sh, shared with bench and scripts.
# shellcheck source=scripts/mpikit-env.sh
. "$ROOT/scripts/mpikit-env.sh"
mpikit_mpi_env
# Quiet Open MPI's "N more processes have sent help message" aggregation noise.
export OMPI_MCA_orte_base_help_aggregate=0
# When a rank exits non-zero, mpirun sends the ranks SIGTERM, waits odls_base_sigkill_timeout
# (1 s) and sends SIGKILL, even when every rank has already exited: 1-2 s of nothing per failing
# run, most of the time of the error suites. The checkpoint suites, the suites that stop ranks
# with signals (pool and wordcount save a checkpoint in their handlers; those suites say "kill")
# and the SLURM tests (scancel, requeue) keep the grace period: a rank may still be saving.
case $0 in
*checkpoint*) ;;
*tests/jobs/*) grep -qwE 'p?kill' "$0" || export OMPI_MCA_odls_base_sigkill_timeout=0 ;;
esac

NCORES=$MPIKIT_NCORES

# Exhaustive matrices run in full only under MPIKIT_TEST_FULL=1 (make test-full); make test runs
# a seeded sample, and the seed is printed so a failure can be replayed with MPIKIT_TEST_SEED=N.
TEST_FULL=${MPIKIT_TEST_FULL:-0}
TEST_SEED=${MPIKIT_TEST_SEED:-$(($(date +%s%N) / 1000 % 1000000))}

# sample K ITEM... : every item under TEST_FULL=1, else K of them chosen by TEST_SEED (in order).
sample() {
    local k=$1
    shift
    if [ "$TEST_FULL" = 1 ] || [ "$#" -le "$k" ]; then
        printf '%s\n' "$@"
        return 0
    fi
    local i=0 item
    for item in "$@"; do printf '%d\t%s\n' "$i" "$item"; i=$((i + 1)); done |
        awk -v seed="$TEST_SEED" 'BEGIN { srand(seed) } { print rand() "\t" $0 }' |
        sort -k1,1g | head -n "$k" | cut -f2- | sort -k1,1n | cut -f2-
}
# pick K ITEM... : sets PICKED to K of the items (every item under TEST_FULL=1), like sample but
# a new draw at every call: the calls of a suite come in a fixed order, so TEST_SEED replays them.
PICK_CALLS=0
pick() {
    local k=$1
    shift
    PICK_CALLS=$((PICK_CALLS + 1))
    if [ "$TEST_FULL" = 1 ] || [ "$#" -le "$k" ]; then
        PICKED=("$@")
        return 0
    fi
    mapfile -t PICKED < <(TEST_SEED=$((TEST_SEED * 7 + PICK_CALLS)) sample "$k" "$@")
}
# rotate K ITEM... : sets PICKED to the next K items of the list (every item under TEST_FULL=1),
# going on where the last call with the same list stopped, from a place TEST_SEED chooses: the
# calls of a loop cover the whole list (e.g. every rank count) between them.
declare -A ROTATE_AT=()
rotate() {
    local k=$1
    shift
    if [ "$TEST_FULL" = 1 ] || [ "$#" -le "$k" ]; then
        PICKED=("$@")
        return 0
    fi
    local rotate_items=("$@") rotate_key="$*" i at
    at=${ROTATE_AT[$rotate_key]:-$((TEST_SEED % $#))}
    PICKED=()
    for ((i = 0; i < k; i++)); do PICKED+=("${rotate_items[(at + i) % $#]}"); done
    ROTATE_AT[$rotate_key]=$(((at + k) % $#))
}
# rotate_ranks K : rotate K of the rank counts in $RANKS.
rotate_ranks() {
    local rank_list
    read -r -a rank_list <<<"$RANKS"
    rotate "$1" "${rank_list[@]}"
}
# Say once per suite how it was sampled, so a failing sample can be rerun exactly.
sample_banner() {
    if [ "$TEST_FULL" = 1 ]; then echo "# full matrix (MPIKIT_TEST_FULL=1)"
    else echo "# sampled: MPIKIT_TEST_SEED=$TEST_SEED (MPIKIT_TEST_FULL=1 runs every case)"; fi
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mpikit-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0

# mpirun_n N PROGRAM ARGS... : run on N ranks under a timeout; oversubscribe only past the cores.
mpirun_n() {
    local n=$1
    shift
    local MPIRUN
    mpikit_mpirun "$n"
    timeout -k 5 "$TEST_TIMEOUT" "${MPIRUN[@]}" "$@"
}

ok() { echo "ok - $*"; PASSED=$((PASSED + 1)); }
not_ok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }

# check NAME COMMAND... : ok when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# run_agreed N OUTPUT PROGRAM ARGS... : a run that must fail on every rank by agreement. mpirun
# is told not to abort the others, and a wrapper records each rank's own exit status, so a rank
# that did not learn of the error hangs until TEST_TIMEOUT. Sets AGREED_WHY to what went wrong
# ("" when every rank exited 1 by itself, with one error line, nothing at OUTPUT and no
# OUTPUT.tmp-* left) and AGREED_LINE to the error line; the streams are $TMP/agreed.{out,err}.
run_agreed() {
    local n=$1 output=$2 job
    shift 2
    job=$(basename "$1")
    rm -f "$TMP/status"
    # shellcheck disable=SC2016 # $0, $@ and $? belong to the wrapper shell
    mpirun_n "$n" --mca orte_abort_on_non_zero_status 0 \
        sh -c '"$0" "$@"; echo "$OMPI_COMM_WORLD_RANK $?" >>"'"$TMP/status"'"' "$@" </dev/null \
        >"$TMP/agreed.out" 2>"$TMP/agreed.err"
    local rc=$? statuses want lines tmps
    AGREED_WHY=""
    statuses=$(sort -n "$TMP/status" 2>/dev/null | awk '{ printf "%s%s", sep, $2; sep = "," }')
    want=$(seq 1 "$n" | awk '{ printf "%s1", sep; sep = "," }')
    [ "$rc" = 124 ] && AGREED_WHY="$AGREED_WHY hung (killed after ${TEST_TIMEOUT} s);"
    [ "$statuses" = "$want" ] || AGREED_WHY="$AGREED_WHY rank exit statuses '$statuses' (want $want);"
    lines=$(grep -c "^$job: error: " "$TMP/agreed.err")
    [ "$lines" = 1 ] || AGREED_WHY="$AGREED_WHY $lines error lines;"
    [ -e "$output" ] && AGREED_WHY="$AGREED_WHY $output exists;"
    tmps=$(find "$(dirname "$output")" -maxdepth 1 -name "$(basename "$output").tmp-*" -printf '%f ' 2>/dev/null)
    [ -n "$tmps" ] && AGREED_WHY="$AGREED_WHY temporary left: $tmps;"
    AGREED_LINE=$(grep "^$job: error: " "$TMP/agreed.err" | head -n 1 | cut -c1-90)
}

# same_file NAME EXPECTED ACTUAL : ok when identical, else show the first differences.
same_file() {
    if cmp -s "$2" "$3"; then
        ok "$1"
    else
        not_ok "$1"
        diff "$2" "$3" | head -n 10 | sed 's/^/#   /'
    fi
}

# json_table NAME FILE : the rows of table NAME of a --format json document as CSV lines without
# a header, for runs whose checks need several tables at once (--format csv prints one).
json_table() {
    python3 -c '
import csv, json, sys
w = csv.writer(sys.stdout, lineterminator="\n")
for row in json.load(open(sys.argv[2], encoding="utf-8")).get(sys.argv[1], []):
    w.writerow(["" if v is None else v for v in row.values()])' "$1" "$2"
}

# json_tables FILE : every table of a --format json document as CSV, header first, a blank
# line between tables: the layout suites that check several tables of one run read.
json_tables() {
    python3 -c '
import csv, json, sys
w = csv.writer(sys.stdout, lineterminator="\n")
for i, (name, rows) in enumerate(json.load(open(sys.argv[1], encoding="utf-8")).items()):
    if i:
        print(flush=True)
    if rows:
        w.writerow(rows[0].keys())
    for row in rows:
        w.writerow(["" if v is None else v for v in row.values()])
    sys.stdout.flush()' "$1"
}

# The corpus, when present: $CORPUS, $MPIKIT_DATA/..., data/... (scripts/mpikit-env.sh).
find_corpus() { mpikit_find_corpus "$@"; }

finish() {
    echo "# $PASSED passed, $FAILED failed in $(basename "$0")"
    [ "$FAILED" = 0 ]
}
