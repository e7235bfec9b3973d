#!/usr/bin/env bash
# scripts/fuzz.sh SECONDS [HARNESS...] - build and run the libFuzzer harnesses of tests/fuzz/.
#
# Each tests/fuzz/fuzz_NAME.c is built with clang (-fsanitize=fuzzer,address,undefined) against
# the library sources compiled with clang into build/fuzz/ (never the gcc build), then runs for
# SECONDS seconds starting from its checked-in seeds tests/fuzz/corpus/fuzz_NAME/ plus a scratch
# working corpus build/fuzz/work/fuzz_NAME/ (emptied first; new inputs go there only, so the
# checked-in corpus never grows by itself). One line per harness: executions, exec/s, corpus
# size, result. Crash, leak and timeout inputs are kept in build/fuzz/artifacts/fuzz_NAME/.
# Exit status: 0 when every harness ran clean, 1 otherwise, 2 for a usage error.
#   SECONDS=0 only builds.   HARNESS: fuzz_wc or wc (default: every harness).
# Environment: FUZZ_CC (clang), FUZZ_KEEP_CORPUS=1 (keep the working corpus between runs),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2"), BUILD (build).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

usage() { echo "usage: scripts/fuzz.sh SECONDS [HARNESS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
SECONDS_EACH=$1
shift
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || usage

CC=${FUZZ_CC:-clang}
OUT=${BUILD:-build}/fuzz
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found (scripts/install-deps.sh check installs clang and libclang-rt-14-dev)" >&2
    exit 1
fi

# Flags: the project's (C11, warnings, defines) plus MPI and HDF5 headers taken from the
# wrappers, so no gcc-specific flag reaches clang.
read -r -a MPI_CFLAGS <<<"$(mpicc --showme:compile)"
read -r -a MPI_LIBS <<<"$(mpicc --showme:link)"
read -r -a H5_CFLAGS <<<"$(pkg-config --cflags hdf5-openmpi 2>/dev/null)"
read -r -a H5_LIBS <<<"$(pkg-config --libs hdf5-openmpi 2>/dev/null)"
COMMON=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter
        -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DMK_VERSION='"fuzz"' -Iinclude
        "${MPI_CFLAGS[@]}" "${H5_CFLAGS[@]}")
SAN=("-fsanitize=address,undefined" -fno-sanitize-recover=undefined)

# Harnesses to run.
harnesses=()
if [ $# -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
else
    for h in "$@"; do
        h=${h%.c}
        h=fuzz_${h#fuzz_}
        [ -f "tests/fuzz/$h.c" ] || { echo "fuzz: no harness tests/fuzz/$h.c" >&2; exit 2; }
        harnesses+=("$h")
    done
fi

# Library: every src/*.c as a coverage-instrumented object, rebuilt when it or a header
# changed, archived so each harness links only what it uses.
mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/artifacts" "$OUT/work" "$OUT/logs"
newest_header=include/mpikit
for hdr in include/mpikit/*.h; do [ "$hdr" -nt "$newest_header" ] && newest_header=$hdr; done
objs=() rebuilt=0
for src in src/*.c; do
    obj=$OUT/obj/$(basename "$src" .c).o
    objs+=("$obj")
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        echo "fuzz: CC $src"
        "$CC" "${COMMON[@]}" "${SAN[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || exit 1
        rebuilt=1
    fi
done
lib=$OUT/libmpikit-fuzz.a
if [ $rebuilt = 1 ] || [ ! -f "$lib" ]; then
    rm -f "$lib"
    ar rcs "$lib" "${objs[@]}" || exit 1
fi

for h in "${harnesses[@]}"; do
    bin=$OUT/bin/$h
    if [ ! -f "$bin" ] || [ "tests/fuzz/$h.c" -nt "$bin" ] || [ "$lib" -nt "$bin" ]; then
        echo "fuzz: CC tests/fuzz/$h.c"
        "$CC" "${COMMON[@]}" "${SAN[@]}" -fsanitize=fuzzer "tests/fuzz/$h.c" "$lib" \
            "${H5_LIBS[@]}" "${MPI_LIBS[@]}" -lm -o "$bin" || exit 1
    fi
done
[ "$SECONDS_EACH" -eq 0 ] && exit 0

# Run. Inputs taking over 10 s count as hangs; every libFuzzer stop is a failure.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
read -r -a EXTRA <<<"${FUZZ_ARGS:-}"
failed=0
start_all=$(date +%s)
for h in "${harnesses[@]}"; do
    work=$OUT/work/$h seeds=tests/fuzz/corpus/$h art=$OUT/artifacts/$h log=$OUT/logs/$h.log
    [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$work"
    mkdir -p "$work" "$art" "$seeds"
    t0=$(date +%s)
    "$OUT/bin/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/" "${EXTRA[@]}" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    t1=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work" "$seeds" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        failed=1
        kind=$(grep -o -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error|ALARM: working on the last Unit|out-of-memory' "$log" |
            head -1)
        # the harness's own diagnosis ("fuzz_csv: value differs"), when it gave one
        said=$(grep -m1 -E "^$h: " "$log" | cut -c1-100)
        [ -n "$said" ] && kind="$kind: ${said#"$h": }"
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        result="FAIL (${kind:-exit $rc}) artifact ${artifact:-none}, log $log"
    fi
    printf '%-16s %4ss %10s execs %8s exec/s  corpus %5s  %s\n' "$h" "$((t1 - t0))" "${execs:-?}" "${rate:-?}" \
        "$corpus" "$result"
done
echo "fuzz: ${#harnesses[@]} harnesses, $(($(date +%s) - start_all)) s"
exit $failed
