#!/usr/bin/env bash
# bench/run.sh [NAME...] - run every benchmark (or the named ones: floor wordcount arraystats pool
# bigpower findfiles square table) into one results file, bench/results/<date>-<host>.csv.
# Environment: see bench/lib.sh (REPS, QUICK=1, OUT, BENCH_DIR), BENCH_NOTE, and each bench/NAME.sh.
# Then `make bench-report` (bench/report.sh) turns the newest results file into docs/benchmarks.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(floor wordcount arraystats pool bigpower findfiles square table)
# one results file for the whole run, even past midnight
# shellcheck source=bench/lib.sh
OUT=$(. "$here/lib.sh" && echo "$OUT") || exit 1
export OUT
# BENCH_NOTE: a line for the report (e.g. which sizes or repetitions were cut, and why)
[ -n "${BENCH_NOTE:-}" ] && echo "# note: $BENCH_NOTE" >>"$OUT"
status=0
for b in "${names[@]}"; do
    [ -x "$here/$b.sh" ] || { echo "bench: no bench/$b.sh" >&2; status=2; continue; }
    echo "== bench/$b.sh ($(date -u +%H:%M:%S))" >&2
    "$here/$b.sh" || { echo "bench: bench/$b.sh failed" >&2; status=1; }
done
echo "# finished: $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
echo "bench: results in $OUT" >&2
exit $status
