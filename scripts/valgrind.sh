#!/usr/bin/env bash
# scripts/valgrind.sh [NAME...] - the unit tests and single-rank job runs under Valgrind memcheck.
# Every cmocka binary in $BUILD/tests/test_* and every job in $BUILD/bin runs once or more on a
# small real input as an MPI singleton (1 rank). A run passes when the program succeeds and
# memcheck reports no error and no definite or possible leak; only Open MPI/PMIx/hwloc/HDF5
# internals are suppressed (openmpi-valgrind.supp, tests/valgrind.supp). With NAME, only the
# runs whose name contains NAME. One line per run (VG_JOBS at a time, reported in order); the
# last line is "N passed, N failed".
# The Shakespeare corpus, when found (CORPUS, MPIKIT_DATA or data/), adds a wordcount run on it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
export LC_ALL=C
# shellcheck source=scripts/mpikit-env.sh
. "$ROOT/scripts/mpikit-env.sh"
mpikit_mpi_env
# Keep Open MPI's and PMIx's plugins loaded so that suppressions can name their frames.
export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
export PMIX_MCA_pdl=^pdlopen PMIX_MCA_pcompress_base_silence_warning=1
# hwloc's x86 CPUID backend cannot work under Valgrind (it says so on every start).
export HWLOC_COMPONENTS=-x86

if ! command -v valgrind >/dev/null; then
    echo "valgrind: not installed (scripts/install-deps.sh check)"
    echo "0 passed, 1 failed"
    exit 1
fi
supp=(--suppressions="$ROOT/tests/valgrind.supp")
[ -f /usr/share/openmpi/openmpi-valgrind.supp ] && supp+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)
VG=(valgrind --tool=memcheck --error-exitcode=1 --leak-check=full "--errors-for-leak-kinds=definite,possible"
    "--show-leak-kinds=definite,possible" --num-callers=50 "${supp[@]}")
VG_TIMEOUT=${VG_TIMEOUT:-600}

names=("$@")
selected() {
    [ ${#names[@]} = 0 ] && return 0
    local n
    for n in "${names[@]}"; do [[ $1 == *"$n"* ]] && return 0; done
    return 1
}

T=$(mktemp -d "${TMPDIR:-/tmp}/mpikit-valgrind.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0 failed=0 failures=()
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Runs go VG_JOBS (default: the cores, at most 2) at a time: memcheck runs one thread at a time,
# so a second run uses the second core. Their lines come in the order the runs were started.
VG_JOBS=${VG_JOBS:-$((MPIKIT_NCORES < 2 ? MPIKIT_NCORES : 2))}
order=()
printed=0

# vg NAME PROGRAM ARGS... : start a run under memcheck (output in $T/NAME.out, report in
# $T/NAME.vg, its PASS/FAIL lines in $T/NAME.report once it is done).
vg() {
    local name=$1
    shift
    selected "$name" || return 0
    while [ "$(jobs -rp | wc -l)" -ge "$VG_JOBS" ]; do wait -n; done
    order+=("$name")
    vg_one "$name" "$@" </dev/null &
    print_ready
}
vg_one() {
    local name=$1
    shift
    local start=$EPOCHREALTIME log=$T/${name//\//_}
    timeout -k 10 "$VG_TIMEOUT" "${VG[@]}" --log-file="$log.vg" "$@" >"$log.out" 2>&1
    local rc=$? errors
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log.vg" | tail -n 1)
    if [ "$rc" = 0 ] && [ "${errors:-x}" = 0 ]; then
        printf 'PASS valgrind/%-40s %6.1fs\n' "$name" "$(elapsed "$start")" >"$log.part"
    else
        {
            printf 'FAIL valgrind/%-40s %6.1fs (exit %s, %s memcheck errors)\n' "$name" "$(elapsed "$start")" "$rc" "${errors:-?}"
            grep -v '^==[0-9]*== *$' "$log.vg" | grep -v -E '^==[0-9]+== (Memcheck|Copyright|Using Valgrind|Command|Parent PID)' |
                head -n 60 | sed 's/^/    /'
            tail -n 10 "$log.out" | sed 's/^/    out: /'
        } >"$log.part"
    fi
    mv "$log.part" "$log.report"
}
# print_ready: the reports of the finished runs, in start order, up to the first unfinished one.
print_ready() {
    local name report
    while [ "$printed" -lt "${#order[@]}" ]; do
        name=${order[printed]}
        report=$T/${name//\//_}.report
        [ -f "$report" ] || return 0
        cat "$report"
        if head -n 1 "$report" | grep -q '^PASS'; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            failures+=("$name")
        fi
        printed=$((printed + 1))
    done
}

# The unit tests: every cmocka binary.
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    vg "unit/$(basename "$t")" "$t"
done

# Inputs are made without valgrind, small: memcheck runs programs about 30x slower.
make_inputs() {
    "$BIN/textgen" --bytes 200K --seed 7 -o "$T/text.txt" >/dev/null &&
        "$BIN/datagen" --rows 500 --shape 60x40 --chunks 16x16 -o "$T/in.h5" >/dev/null &&
        "$BIN/datagen" --rows 500 -o "$T/in.csv" >/dev/null &&
        printf '0.001\n0.002\n0.001\n0\n' >"$T/durations.txt"
}
if ! make_inputs >"$T/inputs.log" 2>&1; then
    echo "FAIL valgrind/inputs (textgen/datagen without valgrind failed)"
    sed 's/^/    /' "$T/inputs.log" | tail -n 10
    failed=$((failed + 1))
fi

vg jobs/hello "$BIN/hello"
vg jobs/hello-json "$BIN/hello" --format json
vg jobs/textgen "$BIN/textgen" --bytes 100K --seed 3 -o "$T/gen.txt"
vg jobs/wordcount "$BIN/wordcount" "$T/text.txt"
vg jobs/wordcount-counts-csv "$BIN/wordcount" --chunk-size 16K --counts "$T/counts.csv" --timing "$T/text.txt" "$T/text.txt"
vg jobs/wordcount-counts-h5 "$BIN/wordcount" --counts "$T/counts.h5" --format json "$T/text.txt"
vg jobs/wordcount-checkpoint "$BIN/wordcount" --chunk-size 32K --checkpoint "$T/wc.ckpt" "$T/text.txt"
if corpus=$(mpikit_find_corpus t8.shakespeare.txt); then
    vg jobs/wordcount-shakespeare "$BIN/wordcount" "$corpus"
fi
vg jobs/table "$BIN/table" --rows 1000 --partitions 3 --verbose
vg jobs/table-groupby "$BIN/table" --rows 1000 --groupby A --agg sum:B,mean:C,count --format csv
vg jobs/table-csv "$BIN/table" --input "$T/in.csv" --apply 'E=(A+B)*C/2' -o "$T/out.csv" --timing
vg jobs/table-h5 "$BIN/table" --input "$T/in.h5" -o "$T/out.h5" --format json
vg jobs/arraystats "$BIN/arraystats" --shape 90x70 --chunks 20x30 --save "$T/a.h5" --timing
vg jobs/arraystats-input "$BIN/arraystats" --input "$T/in.h5:/x" --chunks 16x16 --format csv
vg jobs/datagen "$BIN/datagen" --rows 300 --shape 40x30 --chunks 10x10 -o "$T/dg.h5"
vg jobs/datagen-csv "$BIN/datagen" --rows 300 -o "$T/dg.csv"
vg jobs/findfiles "$BIN/findfiles" --name '*.c' --stats "$ROOT/src" "$ROOT/jobs"
vg jobs/findfiles-manager "$BIN/findfiles" --strategy manager --type d --format json "$ROOT"
vg jobs/findfiles-static "$BIN/findfiles" --strategy static --count --min-size 1K "$ROOT/src"
vg jobs/pool "$BIN/pool" --tasks 8 --sleep const:1ms --gantt "$T/g.svg"
vg jobs/pool-static "$BIN/pool" --tasks 6 --sleep uniform:0:2ms --schedule static --format json
vg jobs/pool-file "$BIN/pool" --sleep "file:$T/durations.txt" --schedule cyclic --verbose
vg jobs/square "$BIN/square" --n 2000 --repeat 2 --show 3
vg jobs/bigpower "$BIN/bigpower" --n 20000 --block 4096
vg jobs/bigpower-tasks "$BIN/bigpower" --n 10000 --split tasks --format csv
vg jobs/queue "$BIN/queue" --items 10
vg jobs/queue-blocking "$BIN/queue" --items 10 --blocking --format json
vg jobs/overhead "$BIN/overhead" --costs 0,10us --items 20 --repeat 1 --max-serial 10ms

wait
print_ready
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: valgrind/$f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
