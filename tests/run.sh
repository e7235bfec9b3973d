#!/usr/bin/env bash
# tests/run.sh [unit|jobs|NAME...] - run the unit tests and the multi-rank job tests.
# Every test binary and script runs under a timeout; the last line is "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD SANITIZE=${SANITIZE:-0}
# Sanitizer reports go to per-test log files, scanned by tests/asan-scan.sh after each test.
SANLOG=$(mktemp -d)
sanitizer_env() {
    rm -rf "$SANLOG" && mkdir -p "$SANLOG"
    [ "$SANITIZE" = 1 ] || return 0
    export ASAN_OPTIONS="detect_leaks=1:log_path=$SANLOG/asan:exitcode=99"
    export LSAN_OPTIONS="exitcode=0:suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98:log_path=$SANLOG/ubsan"
    # Keep Open MPI's and PMIx's plugins loaded so leak stacks stay readable.
    export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
    export PMIX_MCA_pdl=^pdlopen PMIX_MCA_pcompress_base_silence_warning=1
}
sanitizer_ok() { [ "$SANITIZE" = 1 ] || return 0; tests/asan-scan.sh "$SANLOG"; }
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

want_unit=1 want_jobs=1
names=()
for a in "$@"; do
    case $a in
    unit) want_jobs=0 ;;
    jobs) want_unit=0 ;;
    *) names+=("$a") ;;
    esac
done
selected() { # a name is selected when no names were given or it matches one
    [ ${#names[@]} = 0 ] && return 0
    local n
    for n in "${names[@]}"; do [[ $1 == *"$n"* ]] && return 0; done
    return 1
}

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
passed=0 failed=0 failures=()
log=$(mktemp)
trap 'rm -rf "$log" "$SANLOG"' EXIT

if [ $want_unit = 1 ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        name=unit/$(basename "$t")
        selected "$name" || continue
        start=$EPOCHREALTIME
        sanitizer_env
        if timeout -k 5 300 "$t" >"$log" 2>&1 && sanitizer_ok >>"$log"; then
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
fi

if [ $want_jobs = 1 ]; then
    for s in tests/jobs/*.sh; do
        [ -f "$s" ] || continue
        name=jobs/$(basename "$s" .sh)
        selected "$name" || continue
        start=$EPOCHREALTIME
        sanitizer_env
        timeout -k 10 "${SUITE_TIMEOUT:-1200}" bash "$s" >"$log" 2>&1
        rc=$?
        if ! sanitizer_ok >>"$log"; then echo "not ok - sanitizers clean" >>"$log"; fi
        n_ok=$(grep -c '^ok - ' "$log")
        n_bad=$(grep -c '^not ok - ' "$log")
        if [ $rc != 0 ] && [ "$n_bad" = 0 ]; then n_bad=1; fi   # died or timed out
        passed=$((passed + n_ok))
        failed=$((failed + n_bad))
        if [ "$n_bad" = 0 ]; then
            printf 'PASS %-32s %3d checks %5.1fs\n' "$name" "$n_ok" "$(elapsed "$start")"
            grep '^# SKIP' "$log" | sed 's/^/     /'
        else
            failures+=("$name")
            echo "FAIL $name (exit $rc)"
            grep -v '^ok - ' "$log" | sed 's/^/    /' | tail -n 60
        fi
    done
fi

for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
