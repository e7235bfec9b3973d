#!/usr/bin/env bash
# scripts/trace-overhead.sh [ROUNDS] - what mktrace adds to each MPI call (docs/tracing.md):
#   ping-pong  2 ranks, 8-byte messages (tests/tools/trace_cases bench): each round trip
#              has 4 traced calls, so the time added per call is (traced - plain) / 4; the
#              median round trip is the typical one, the mean also carries every moment a
#              rank lost its processor to other load
#   self loop  1 rank, Isend to itself + Recv + Wait (trace_cases selfbench): every call on
#              one process's critical path; the figure is per call
#   wordcount  the job on the corpus (or 64 MB of generated text), 2 ranks, whole run
# Each case runs plain and traced alternately ROUNDS times (default 5); the minimum of each
# is kept, the least disturbed by other load. Wall-clock time and the processor time of the
# measuring thread are both shown: on a loaded machine the processor is taken away now and
# then, which inflates the first. A timing, never a test: the machine's load is printed
# beside it (uptime).
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

# field NAME FILE : the number after NAME in a program's output
field() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || (b != "" && b < a)) ? b : a }'; }
seconds() { local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'; }

echo "# $(uptime)"
echo "# $(nproc) cores; $ROUNDS alternating rounds, minimum of each"
declare -A best
keep() { best[$1]=$(smaller "${best[$1]:-}" "$2"); }
K=20000
if corpus=$("$ROOT/scripts/find-corpus.sh" 2>/dev/null); then :; else
    corpus=$WORK/text.txt
    mpirun -n 1 "$BUILD/bin/textgen" --bytes 64M -o "$corpus" >/dev/null 2>&1
fi
for _ in $(seq 1 "$ROUNDS"); do
    for mode in plain traced; do
        pre=()
        [ $mode = traced ] && pre=("$MK" -o "$WORK/t-$mode" --limit 1000000000 --)
        mpirun -n 2 "${pre[@]}" "$CASES" bench $K 8 >"$WORK/pp" 2>/dev/null
        keep "pp-$mode" "$(field roundtrip_us "$WORK/pp")"
        keep "ppmed-$mode" "$(field roundtrip_median_us "$WORK/pp")"
        mpirun -n 1 "${pre[@]}" "$CASES" selfbench $K >"$WORK/sb" 2>/dev/null
        keep "sb-$mode" "$(field per_call_us "$WORK/sb")"
        keep "sbcpu-$mode" "$(field per_call_cpu_us "$WORK/sb")"
    done
    keep wc-plain "$(seconds mpirun -n 2 "$BUILD/bin/wordcount" "$corpus")"
    keep wc-traced "$(seconds mpirun -n 2 "$MK" -o "$WORK/t3" -- "$BUILD/bin/wordcount" "$corpus")"
done
calls=$(grep -c '"ph":"X"' "$WORK/t3/trace.json")
row() { # LABEL PLAIN TRACED PER : the times and the difference divided by PER
    awk -v l="$1" -v a="$2" -v b="$3" -v per="$4" 'BEGIN { printf "%-44s %9.3f us %9.3f us %11.3f us\n", l, a, b, (b - a) / per }'
}
printf '%-44s %12s %12s %14s\n' "case (minimum over the rounds)" "plain" "traced" "added per call"
row "ping-pong round trip, median" "${best[ppmed-plain]}" "${best[ppmed-traced]}" 4
row "ping-pong round trip, mean" "${best[pp-plain]}" "${best[pp-traced]}" 4
row "self loop, one call, wall clock" "${best[sb-plain]}" "${best[sb-traced]}" 1
row "self loop, one call, processor time" "${best[sbcpu-plain]}" "${best[sbcpu-traced]}" 1
awk -v a="${best[wc-plain]}" -v b="${best[wc-traced]}" -v calls="$calls" 'BEGIN {
    printf "%-44s %10.3f s %10.3f s %+13.1f%%   (%d calls, whole run incl. writing the trace)\n",
        "wordcount, 2 ranks", a, b, 100 * (b - a) / a, calls }'
