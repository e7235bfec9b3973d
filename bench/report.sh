#!/usr/bin/env bash
# bench/report.sh [RESULTS.csv] - regenerate docs/benchmarks.md and docs/img/*.png from one results
# file of bench/run.sh: the one given, else the newest bench/results/*.csv in the current format.
# Python standard library only (/usr/bin/python3), plots with gnuplot (pngcairo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PY:-/usr/bin/python3}
results=${1:-}
if [ -z "$results" ]; then
    # shellcheck disable=SC2012 # names are ours: <date>-<host>.csv
    results=$(ls -t "$root"/bench/results/*.csv 2>/dev/null | while read -r f; do
        grep -q '^bench,case,impl,ranks,rep,metric,value,unit$' "$f" && { echo "$f"; break; }
    done)
fi
if [ -z "$results" ] || [ ! -f "$results" ]; then
    echo "bench/report.sh: no results file (run make bench first)" >&2
    exit 1
fi
doc=${DOC:-$root/docs/benchmarks.md}
img=${IMG:-$root/docs/img}
mkdir -p "$img"
"$py" "$root/bench/report.py" "$results" "$doc" "$img"
echo "bench/report.sh: $doc and $img/*.png from $results" >&2
