#!/usr/bin/env bash
# lessons/check.sh NAME [SRC]  - build SRC (default: the lesson's exercise.c) with warnings as
#                                errors, run it at 1, 2, 3, 4 and 7 ranks against an independent
#                                reference, print SUCCESS or one line saying what is wrong.
# lessons/check.sh --all       - every solution.c passes and every untouched exercise.c fails.
# NAME is a folder of lessons/ (03-square) or its name without the number (square).
# Environment: BUILD (default build), LESSON_RANKS ("1 2 3 4 7"), LESSON_TIMEOUT (60 s per run),
# LESSON_CFLAGS (-O2 -g), MPICC (mpicc). Exit status 0 only on SUCCESS (or, with --all, when
# every lesson behaves).
set -u
LESSONS=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$LESSONS")
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RANKS=${LESSON_RANKS:-"1 2 3 4 7"}
TIMEOUT=${LESSON_TIMEOUT:-60}
MPICC=${MPICC:-mpicc}
NCORES=$(nproc 2>/dev/null || echo 1)
export LC_ALL=C

# Open MPI refuses to start as root unless told; say so only when we are root.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One machine: the ob1 messaging layer starts in 0.03 s instead of 0.2 s (docs/learning-path.md).
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

# Find lessons/NAME or lessons/NN-NAME.
lesson_dir() {
    local d
    for d in "$LESSONS/$1" "$LESSONS"/[0-9][0-9]-"$1"; do
        if [ -f "$d/check.sh" ]; then echo "$d"; return 0; fi
    done
    return 1
}

lesson_names() { find "$LESSONS" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9]-*' -printf '%f\n' | sort | tr '\n' ' '; }

# join_ranks 1 2 3 -> "1, 2 and 3"
join_ranks() {
    local out=$1
    shift
    while [ $# -gt 1 ]; do out="$out, $1"; shift; done
    [ $# = 1 ] && out="$out and $1"
    echo "$out"
}
# "at 1 rank", "at 3 ranks"
at() { if [ "$1" = 1 ]; then echo "at 1 rank"; else echo "at $1 ranks"; fi; }

# run_lesson DIR SRC: print one line; exit status 0 only on SUCCESS.
run_lesson() {
    local dir=$1 src=$2 name
    name=$(basename "$dir")
    local label
    label="$name ($(basename "$src"))"
    [ -f "$src" ] || { echo "FAIL $label: no such file '$src'"; return 1; }

    # Each lesson's check.sh defines: ARGS (program arguments), setup, reference N,
    # normalize (stdin: the program's output), hint KEY N [EXPECTED_LINE GOT_LINE]; optionally CFLAGS_EXTRA,
    # LIBS_EXTRA, TOLERANCE (relative, for numbers), MPIRUN_ENV. setup, reference and
    # normalize run in a fresh directory; LESSON_DIR is the lesson's folder.
    ARGS=() CFLAGS_EXTRA="" LIBS_EXTRA="" TOLERANCE="" MPIRUN_ENV=()
    # shellcheck disable=SC2034 # read by the lessons' check.sh
    LESSON_DIR=$dir
    setup() { :; }
    normalize() { cat; }
    # shellcheck source=/dev/null
    . "$dir/check.sh"

    local out=$BUILD/lessons/$name
    mkdir -p "$out" || return 1
    local bin
    bin=$out/$(basename "$src" .c)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/lesson.XXXXXX")
    # shellcheck disable=SC2086  # CFLAGS_EXTRA and LIBS_EXTRA are word lists
    if ! "$MPICC" -std=c11 -Wall -Wextra -Wpedantic -Werror ${LESSON_CFLAGS:--O2 -g} $CFLAGS_EXTRA \
            -o "$bin" "$src" $LIBS_EXTRA -lm >"$WORK/cc" 2>&1; then
        cat "$WORK/cc" >&2
        echo "FAIL $label: does not compile: $(grep -m1 -E 'error|undefined' "$WORK/cc")"
        rm -rf "$WORK"
        return 1
    fi
    if ! (cd "$WORK" && setup) >"$WORK/setup.log" 2>&1; then
        echo "FAIL $label: the checker could not prepare its input: $(tail -n 1 "$WORK/setup.log")"
        rm -rf "$WORK"
        return 1
    fi

    local n verdict=""
    for n in $RANKS; do
        local extra=()
        [ "$n" -gt "$NCORES" ] && extra=(--oversubscribe)
        (cd "$WORK" && env "${MPIRUN_ENV[@]+"${MPIRUN_ENV[@]}"}" timeout -k 5 "$TIMEOUT" \
            mpirun -q -n "$n" "${extra[@]+"${extra[@]}"}" "$bin" "${ARGS[@]+"${ARGS[@]}"}") \
            >"$WORK/out" 2>"$WORK/err"
        local rc=$?
        if [ $rc = 124 ] || [ $rc = 137 ]; then
            verdict="$(at "$n"): no answer within $TIMEOUT s; some rank waits for a message or a collective that never comes (hint: $(hint timeout "$n"))"
            break
        elif [ $rc != 0 ]; then
            verdict="$(at "$n"): the program failed (exit $rc): $(grep -v '^ *$' "$WORK/err" | head -n 1)"
            break
        fi
        (cd "$WORK" && normalize <"$WORK/out") >"$WORK/got" 2>/dev/null
        (cd "$WORK" && reference "$n") >"$WORK/want" 2>"$WORK/ref.err" || {
            verdict="$(at "$n"): the reference failed: $(head -n 1 "$WORK/ref.err")"
            break
        }
        local diff
        diff=$(awk -v tol="${TOLERANCE:-0}" '
            function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
            function close_enough(a, b,   d, m) {
                if (a == b) return 1
                if (tol == 0 || !num(a) || !num(b)) return 0
                d = a - b; if (d < 0) d = -d
                m = (a < 0 ? -a : a); if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b); if (m < 1) m = 1
                return d <= tol * m
            }
            function same(x, y,   nx, ny, fx, fy, i) {
                if (x == y) return 1
                nx = split(x, fx, " "); ny = split(y, fy, " ")
                if (nx != ny) return 0
                for (i = 1; i <= nx; i++) if (!close_enough(fx[i], fy[i])) return 0
                return 1
            }
            NR == FNR { want[++nw] = $0; next }
            { got[++ng] = $0 }
            END {
                for (i = 1; i <= nw; i++) {
                    if (i > ng) { split(want[i], k, " "); printf "%s\t%s: expected \"%s\", got nothing (the output stops after %d lines)\t%s\t\n", k[1], k[1], want[i], ng, want[i]; exit }
                    if (!same(want[i], got[i])) { split(want[i], k, " "); printf "%s\t%s: expected \"%s\", got \"%s\"\t%s\t%s\n", k[1], k[1], want[i], got[i], want[i], got[i]; exit }
                }
                if (ng > nw) printf "extra\tan extra line \"%s\" after the expected output\t\t%s\n", got[nw + 1], got[nw + 1]
            }' "$WORK/want" "$WORK/got")
        if [ -n "$diff" ]; then
            local key message want_line got_line
            IFS=$'\t' read -r key message want_line got_line <<<"$diff"
            verdict="$(at "$n"): $message (hint: $(hint "$key" "$n" "$want_line" "$got_line"))"
            break
        fi
    done
    rm -rf "$WORK"
    if [ -n "$verdict" ]; then
        echo "FAIL $label $verdict"
        return 1
    fi
    # shellcheck disable=SC2086 # RANKS is a list of numbers
    echo "SUCCESS $label: matches the reference at $(join_ranks $RANKS) ranks"
}

# check_pair DIR: the solution passes and the untouched exercise fails (two lines).
check_pair() {
    local dir=$1 bad=0 line
    if ! (run_lesson "$dir" "$dir/solution.c"); then bad=1; fi
    if line=$(run_lesson "$dir" "$dir/exercise.c"); then
        echo "FAIL $(basename "$dir") (exercise.c): the untouched exercise passes; it must leave the lesson's MPI calls to the learner"
        bad=1
    else
        echo "ok   $(basename "$dir") (exercise.c) fails as it should: ${line#FAIL * (exercise.c) }"
    fi
    return $bad
}

if [ "${1:-}" = --pair ]; then
    check_pair "$2"
    exit
fi
if [ "${1:-}" = --all ]; then
    # LESSON_JOBS lessons at a time (default 2): much of a check is waiting for mpirun.
    out=$(mktemp -d "${TMPDIR:-/tmp}/lessons.XXXXXX")
    # shellcheck disable=SC2016 # the single-quoted script expands its own arguments
    for dir in "$LESSONS"/[0-9][0-9]-*/; do basename "$dir"; done |
        xargs -P "${LESSON_JOBS:-2}" -I{} sh -c '"$1" --pair "$2" >"$3/$4.out" 2>"$3/$4.err"; echo $? >"$3/$4.rc"' \
            _ "$0" "$LESSONS/{}" "$out" {}
    bad=0
    for dir in "$LESSONS"/[0-9][0-9]-*/; do
        name=$(basename "$dir")
        cat "$out/$name.out" 2>/dev/null
        [ "$(cat "$out/$name.rc" 2>/dev/null)" = 0 ] || bad=$((bad + 1))
    done
    rm -rf "$out"
    [ $bad = 0 ] && echo "lessons: every solution passes and every exercise fails" || echo "lessons: $bad lesson(s) with problems"
    [ $bad = 0 ]
    exit
fi

if [ $# -lt 1 ] || [ -z "$1" ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    echo "lessons: $(lesson_names)"
    [ $# -ge 1 ] && [ -n "$1" ]
    exit
fi
dir=$(lesson_dir "$1") || { echo "FAIL: no lesson '$1' (try: $(lesson_names))"; exit 2; }
src=${2:-$dir/exercise.c}
case $src in /*) ;; *) [ -f "$src" ] || src=$dir/$src ;; esac
run_lesson "$dir" "$src"
