#!/usr/bin/env bash
# scripts/timelines.sh [ENTRY...] - trace programs with mktrace and keep their timelines:
# one directory per entry under $TIMELINE_OUT (default $BUILD/timelines), each holding
# trace.json, timeline.svg and summary.txt (docs/tracing.md explains how to read them).
#
#   ENTRY  a recipe below (no entry: every recipe), or
#          an executable, run without arguments on $TIMELINE_NP ranks (a lesson), or
#          NAME=COMMAND ARGS..., one word with the spaces in it, on $TIMELINE_NP ranks
#
# Recipes: one small run of each job, sized to show its pattern in a few hundred calls.
# Knobs: BUILD (default build), TIMELINE_NP (4), TIMELINE_OUT, TIMELINE_DOCS=1 (also copy the
# SVGs that docs/tracing.md shows into docs/img/timeline-NAME.svg). More ranks than cores are
# oversubscribed: sleep tasks do not need a core, and the timelines show waiting, not speed.
# Run as root, the Open MPI consent variables are set here, as in the tests.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
NP=${TIMELINE_NP:-4}
OUT=${TIMELINE_OUT:-$BUILD/timelines}
DOCS=${TIMELINE_DOCS:-0}
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_rmaps_base_oversubscribe=1

# The timelines docs/tracing.md shows (and TIMELINE_DOCS=1 refreshes).
DOC_RECIPES="pool-static pool-dynamic wordcount"

if [ ! -x "$BIN/mktrace" ]; then
    echo "timelines: $BIN/mktrace is missing (make all)" >&2
    exit 1
fi
mkdir -p "$OUT" || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mpikit-timelines.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

# A small text for the text jobs, in $OUT (recipes run there, so titles show a short name):
# 4 MB of the Shakespeare corpus, else generated.
corpus() {
    local c=$OUT/corpus-4M.txt
    if [ ! -f "$c" ]; then
        local src
        if src=$("$ROOT/scripts/find-corpus.sh" 2>/dev/null); then
            head -c 4000000 "$src" >"$c"
        else
            mpirun -n 1 "$BIN/textgen" --bytes 4M -o "$c" >/dev/null 2>&1
        fi
    fi
    echo "corpus-4M.txt"
}

# recipe NAME: "RANKS COMMAND..." for a named recipe, or nothing.
recipe() {
    case $1 in
    hello) echo "$NP $BIN/hello" ;;
    square) echo "$NP $BIN/square --n 100000 --repeat 1" ;;
    # the job's default example: 16 tasks of 0-1 s (docs/pool.md compares its makespans)
    pool-static) echo "4 $BIN/pool --schedule static" ;;
    pool-cyclic) echo "4 $BIN/pool --schedule cyclic" ;;
    pool-dynamic) echo "4 $BIN/pool --schedule dynamic" ;;
    queue) echo "$NP $BIN/queue --items 10" ;;
    wordcount) echo "4 $BIN/wordcount --chunk-size 1M $(corpus)" ;;
    bigpower) echo "$NP $BIN/bigpower --n 2e6" ;;
    arraystats) echo "$NP $BIN/arraystats --shape 400x400 --chunks 100x100" ;;
    table) echo "$NP $BIN/table --rows 2000 --groupby A --agg sum:B,count" ;;
    findfiles) echo "$NP $BIN/findfiles --name *.c $ROOT/src" ;;
    spawn) echo "2 $BIN/spawn --children 2" ;;
    esac
}
ALL="hello square pool-static pool-cyclic pool-dynamic queue wordcount bigpower arraystats table findfiles spawn"

failed=0
run() { # NAME RANKS COMMAND... (in the current directory)
    local name=$1 ranks=$2
    shift 2
    local dir=$OUT/$name
    if timeout 300 mpirun -n "$ranks" "$BIN/mktrace" -o "$dir" -- "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
        printf '%-14s %2d ranks  %s\n' "$name" "$ranks" "$(grep -o '[0-9]* calls' "$WORK/$name.err" | head -n 1) -> $dir/timeline.svg"
    else
        echo "timelines: $name failed:" >&2
        tail -n 5 "$WORK/$name.err" | sed 's/^/    /' >&2
        failed=1
        return 1
    fi
}

# shellcheck disable=SC2086 # the list of recipe names
[ $# -gt 0 ] || set -- $ALL
for entry in "$@"; do
    if spec=$(cd "$OUT" && recipe "$entry") && [ -n "$spec" ]; then
        # shellcheck disable=SC2086 # the recipe is words: ranks, program, arguments
        (cd "$OUT" && run "$entry" $spec) || failed=1
    elif [[ $entry == *=* ]]; then
        # shellcheck disable=SC2086 # NAME=COMMAND ARGS: the command's words
        run "${entry%%=*}" "$NP" ${entry#*=}
    elif [ -x "$entry" ]; then
        run "$(basename "$entry")" "$NP" "$entry"
    else
        echo "timelines: '$entry' is neither a recipe ($ALL) nor an executable" >&2
        failed=1
    fi
done

if [ "$DOCS" = 1 ]; then
    for name in $DOC_RECIPES; do
        if [ -f "$OUT/$name/timeline.svg" ]; then
            cp "$OUT/$name/timeline.svg" "$ROOT/docs/img/timeline-$name.svg"
            echo "docs/img/timeline-$name.svg: $(wc -c <"$ROOT/docs/img/timeline-$name.svg") bytes"
        fi
    done
fi
exit $failed
