#!/usr/bin/env bash
# scripts/trace-overhead.sh [ROUNDS] - what mktrace adds to each MPI call (docs/tracing.md):
#   ping-pong  2 ranks, 8-byte messages (tests/tools/trace_cases bench): each round trip
#              has 4 traced calls, so the time added per call is (traced - plain) / 4
#   self loop  1 rank, Isend to itself + Recv + Wait (trace_cases selfbench): every call on
#              one process's critical path; the figure is per call
#   wordcount  the job on the corpus (or 64 MB of generated text), 2 ranks, whole run
# Each case runs plain and traced alternately ROUNDS times (default 5); the minimum of each
# is kept, the least disturbed by other load. A timing, never a test: the machine's load is
# printed beside it (uptime).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
ROUNDS=${1:-5}
MK=$BUILD/bin/mktrace
CASES=$BUILD/tests/tools/trace_cases
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
for f in "$MK" "$CASES" "$BUILD/bin/wordcount"; do
    [ -x "$f" ] || { echo "trace-overhead: $f is missing (make all tests)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mpikit-overhead.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

# min_of CMD... : run the command, print the number on its last line (the smaller kept by caller)
value() { "$@" 2>/dev/null | awk 'END { print $NF }'; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
seconds() { local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'; }

echo "# $(uptime)"
echo "# $(nproc) cores; $ROUNDS alternating rounds, minimum of each"
pp_plain="" pp_traced="" sb_plain="" sb_traced="" wc_plain="" wc_traced=""
K=20000
if corpus=$("$ROOT/scripts/find-corpus.sh" 2>/dev/null); then :; else
    corpus=$WORK/text.txt
    mpirun -n 1 "$BUILD/bin/textgen" --bytes 64M -o "$corpus" >/dev/null 2>&1
fi
for _ in $(seq 1 "$ROUNDS"); do
    pp_plain=$(smaller "$pp_plain" "$(value mpirun -n 2 "$CASES" bench $K 8)")
    pp_traced=$(smaller "$pp_traced" "$(value mpirun -n 2 "$MK" -o "$WORK/t1" --limit 1000000000 -- "$CASES" bench $K 8)")
    sb_plain=$(smaller "$sb_plain" "$(value mpirun -n 1 "$CASES" selfbench $K)")
    sb_traced=$(smaller "$sb_traced" "$(value mpirun -n 1 "$MK" -o "$WORK/t2" --limit 1000000000 -- "$CASES" selfbench $K)")
    wc_plain=$(smaller "$wc_plain" "$(seconds mpirun -n 2 "$BUILD/bin/wordcount" "$corpus")")
    wc_traced=$(smaller "$wc_traced" "$(seconds mpirun -n 2 "$MK" -o "$WORK/t3" -- "$BUILD/bin/wordcount" "$corpus")")
done
calls=$(grep -c '"ph":"X"' "$WORK/t3/trace.json")
awk -v pp0="$pp_plain" -v pp1="$pp_traced" -v sb0="$sb_plain" -v sb1="$sb_traced" -v wc0="$wc_plain" \
    -v wc1="$wc_traced" -v calls="$calls" -v k=$K 'BEGIN {
    printf "%-34s %12s %12s %14s\n", "case", "plain", "traced", "added per call"
    printf "%-34s %9.3f us %9.3f us %11.3f us\n", "ping-pong round trip (" k ", 8 B)", pp0, pp1, (pp1 - pp0) / 4
    printf "%-34s %9.3f us %9.3f us %11.3f us\n", "one call, self loop (" 3 * k ")", sb0, sb1, sb1 - sb0
    printf "%-34s %10.3f s %10.3f s %+13.1f%%   (%d calls traced, whole run incl. writing the trace)\n",
        "wordcount, 2 ranks", wc0, wc1, 100 * (wc1 - wc0) / wc0, calls
}'
