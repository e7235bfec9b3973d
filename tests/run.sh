#!/usr/bin/env bash
# tests/run.sh [unit|jobs|NAME...] - run the unit tests and the multi-rank job tests.
# NAME selects the tests whose name contains it (unit/test_x, jobs/x); 'unit' and 'jobs' select
# every test of that kind. Every test binary and script runs under a timeout; the last line is
# "N passed, N failed" (.ci/run adds these up).
# The job suites run TEST_JOBS (default: the cores, at most 2) at a time, the longest first:
# most of their time is rank start-up and waiting, not computing. Each has its own TMPDIR.
# Their PASS/FAIL lines come in name order whatever the order they finish in.
# One sampling seed for the whole run (MPIKIT_TEST_SEED, printed first) replays a failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD SANITIZE=${SANITIZE:-0}
# shellcheck source=scripts/mpikit-env.sh
. "$ROOT/scripts/mpikit-env.sh"
mpikit_mpi_env
TEST_JOBS=${TEST_JOBS:-$((MPIKIT_NCORES < 2 ? MPIKIT_NCORES : 2))}
export MPIKIT_TEST_SEED=${MPIKIT_TEST_SEED:-$(($(date +%s%N) / 1000 % 1000000))}

# The suites known to take longest (seconds, 2 at a time on 2 loaded cores): started first so the
# short ones fill the gaps at the end. $BUILD/tests/suite-times (written by the last run on
# this build) takes precedence when present.
SLOW=(pool_checkpoint:95 bad_args:90 huge_inputs:90 faults:65 hostile_inputs:65 wordcount_checkpoint:50
    findfiles:40 checkpoint_integrity:40 wordcount:40 table:35 lessons:35 docs_commands:30 pool:30)
# Suites that must not run at the same time: both build the lesson programs in $BUILD/lessons.
CONFLICTS=("docs_commands lessons")

want_unit=0 want_jobs=0
names=()
for a in "$@"; do
    case $a in
    unit) want_unit=1 ;;
    jobs) want_jobs=1 ;;
    *) names+=("$a") ;;
    esac
done
[ $# = 0 ] && want_unit=1 want_jobs=1
selected() { # KIND NAME: every test of a kind asked for by 'unit'/'jobs', else the names matching
    [ "$1" = unit ] && [ $want_unit = 1 ] && return 0
    [ "$1" = jobs ] && [ $want_jobs = 1 ] && return 0
    local n
    for n in "${names[@]+"${names[@]}"}"; do [[ $2 == *"$n"* ]] && return 0; done
    return 1
}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mpikit-run.XXXXXX")
chmod 711 "$RUN"   # suites run some cases as 'nobody', below their own TMPDIR
declare -a PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sanitizer reports go to per-test log directories, scanned by tests/asan-scan.sh after each test.
sanitizer_env() { # DIR
    mkdir -p "$1"
    [ "$SANITIZE" = 1 ] || return 0
    export ASAN_OPTIONS="detect_leaks=1:log_path=$1/asan:exitcode=99"
    export LSAN_OPTIONS="exitcode=0:suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98:log_path=$1/ubsan"
    # Keep Open MPI's and PMIx's plugins loaded so leak stacks stay readable.
    export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
    export PMIX_MCA_pdl=^pdlopen PMIX_MCA_pcompress_base_silence_warning=1
}
sanitizer_ok() { [ "$SANITIZE" = 1 ] || return 0; tests/asan-scan.sh "$1"; }

elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }
passed=0 failed=0 failures=()
run_start=$EPOCHREALTIME

if [ "${MPIKIT_TEST_FULL:-0}" = 1 ]; then
    echo "# full matrices (MPIKIT_TEST_FULL=1)"
else
    echo "# sampled matrices: MPIKIT_TEST_SEED=$MPIKIT_TEST_SEED (MPIKIT_TEST_FULL=1 runs every case)"
fi

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=unit/$(basename "$t")
    selected unit "$name" || continue
    start=$EPOCHREALTIME
    log=$RUN/$(basename "$t").log san=$RUN/$(basename "$t").san
    if (sanitizer_env "$san" && exec timeout -k 5 300 "$t") >"$log" 2>&1 && sanitizer_ok "$san" >>"$log"; then
        n=$(grep -c '^\[       OK \]' "$log")
        passed=$((passed + n))
        printf 'PASS %-32s %3d cases  %5.1fs\n' "$name" "$n" "$(elapsed "$start")"
    else
        n_ok=$(grep -c '^\[       OK \]' "$log")
        n_bad=$(grep -c '^\[  \(FAILED\|ERROR\) *\]' "$log")
        [ "$n_bad" = 0 ] && n_bad=1
        passed=$((passed + n_ok))
        failed=$((failed + n_bad))
        failures+=("$name")
        echo "FAIL $name"
        sed 's/^/    /' "$log" | tail -n 40
    fi
done

# ---- the job suites ----
suites=()   # names, in name order (the order of the report)
for s in tests/jobs/*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    selected jobs "jobs/$name" && suites+=("$name")
done
TIMES=$BUILD/tests/suite-times
expected_secs() { # NAME: the last run's time on this build, else the static guess, else 10
    local t=""
    [ -f "$TIMES" ] && t=$(awk -v n="$1" '$1 == n { print int($2) }' "$TIMES")
    if [ -z "$t" ]; then
        local e
        for e in "${SLOW[@]}"; do [ "${e%%:*}" = "$1" ] && t=${e#*:}; done
    fi
    echo "${t:-10}"
}
jobs_start=$EPOCHREALTIME
mapfile -t queue < <(for n in "${suites[@]+"${suites[@]}"}"; do echo "$(expected_secs "$n") $n"; done | sort -k1,1nr -k2 | cut -d' ' -f2)

declare -A state=() started=() name_of=()
running=()
conflicts_with_running() { # NAME
    local c r
    for c in "${CONFLICTS[@]}"; do
        [[ " $c " == *" $1 "* ]] || continue
        for r in "${running[@]+"${running[@]}"}"; do
            [ "$r" != "$1" ] && [[ " $c " == *" $r "* ]] && return 0
        done
    done
    return 1
}
start_suite() { # NAME
    local name=$1 d=$RUN/jobs/$1
    mkdir -p "$d/tmp"
    chmod 1777 "$d/tmp"   # like /tmp: cases run as 'nobody' start mpirun here too
    (
        # Open MPI keeps its session directories where they always were: a fresh, empty top
        # session directory per suite is removed and re-created between runs, and a run that
        # starts at that moment fails ("ORTE_ERROR_LOG ... session_dir.c").
        export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-${TMPDIR:-/tmp}}
        export TMPDIR=$d/tmp
        sanitizer_env "$d/san"
        exec timeout -k 10 "${SUITE_TIMEOUT:-1200}" bash "tests/jobs/$name.sh"
    ) >"$d/log" 2>&1 </dev/null &
    name_of[$!]=$name
    started[$name]=$EPOCHREALTIME
    state[$name]=running
    running+=("$name")
    PIDS+=("$!")
}
finish_suite() { # NAME RC: count the checks, write the report lines to $d/report
    local name=$1 rc=$2 d=$RUN/jobs/$1 n_ok n_bad secs
    secs=$(elapsed "${started[$name]}")
    if ! sanitizer_ok "$d/san" >>"$d/log"; then echo "not ok - sanitizers clean" >>"$d/log"; fi
    n_ok=$(grep -c '^ok - ' "$d/log")
    n_bad=$(grep -c '^not ok - ' "$d/log")
    if [ "$rc" != 0 ] && [ "$n_bad" = 0 ]; then n_bad=1; fi   # died or timed out
    passed=$((passed + n_ok))
    failed=$((failed + n_bad))
    echo "$name $secs" >>"$RUN/times"
    if [ "$n_bad" = 0 ]; then
        { printf 'PASS %-32s %3d checks %5.1fs\n' "jobs/$name" "$n_ok" "$secs"
          grep '^# SKIP' "$d/log" | sed 's/^/     /'; } >"$d/report"
    else
        failures+=("jobs/$name")
        { echo "FAIL jobs/$name (exit $rc, ${secs}s)"
          grep -v '^ok - ' "$d/log" | sed 's/^/    /' | tail -n 60; } >"$d/report"
    fi
    state[$name]="done"
    local p live=()   # forget the pid: it may be another process's by the time of a cleanup
    for p in "${PIDS[@]}"; do [ "${name_of[$p]}" != "$name" ] && live+=("$p"); done
    PIDS=("${live[@]+"${live[@]}"}")
    local r keep=()
    for r in "${running[@]}"; do [ "$r" != "$name" ] && keep+=("$r"); done
    running=("${keep[@]+"${keep[@]}"}")
}
printed=0
print_ready() { # the reports of the finished suites, in name order, up to the first unfinished one
    while [ "$printed" -lt "${#suites[@]}" ] && [ "${state[${suites[printed]}]:-}" = "done" ]; do
        cat "$RUN/jobs/${suites[printed]}/report"
        printed=$((printed + 1))
    done
}

while [ ${#queue[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
    # start what the slots allow, the longest first, skipping a suite whose partner is running
    while [ ${#running[@]} -lt "$TEST_JOBS" ] && [ ${#queue[@]} -gt 0 ]; do
        pick=-1
        for i in "${!queue[@]}"; do
            conflicts_with_running "${queue[i]}" || { pick=$i; break; }
        done
        [ "$pick" = -1 ] && break
        start_suite "${queue[pick]}"
        unset 'queue[pick]'
        queue=("${queue[@]+"${queue[@]}"}")
    done
    wait -n -p done_pid
    rc=$?
    if [ -z "${done_pid:-}" ] || [ -z "${name_of[$done_pid]:-}" ]; then continue; fi
    finish_suite "${name_of[$done_pid]}" "$rc"
    print_ready
done
PIDS=()

if [ ${#suites[@]} -gt 0 ]; then
    # this run's times replace the last ones of the same suites
    mkdir -p "$(dirname "$TIMES")" &&
        cat "$TIMES" "$RUN/times" 2>/dev/null | awk '{ t[$1] = $2 } END { for (n in t) print n, t[n] }' |
        sort >"$RUN/times.all" && cp "$RUN/times.all" "$TIMES"
    echo "# ${#suites[@]} job suites in $(elapsed "$jobs_start") s of wall time ($TEST_JOBS at a time;" \
        "their own times add up to $(awk '{ s += $2 } END { printf "%.1f", s }' "$RUN/times") s)"
fi
echo "# test run: $(elapsed "$run_start") s, load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
