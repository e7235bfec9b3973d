#!/usr/bin/env bash
# bench/arraystats.sh - arraystats (generate + chunked statistics) and HDF5 collective write/read.
#   SHAPE=20000x20000 CHUNKS=1000x1000 RANKS="1 2" REPEAT=3 IO_SHAPE=20000x20000 bench/arraystats.sh
# Prints one CSV line per run and the median per rank count. Timings are noisy on a shared VM:
# compare medians, not single runs. The scratch file goes to $BENCH_DIR (default: a temp dir).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
SHAPE=${SHAPE:-20000x20000}
CHUNKS=${CHUNKS:-1000x1000}
IO_SHAPE=${IO_SHAPE:-$SHAPE}
RANKS=${RANKS:-"1 2"}
REPEAT=${REPEAT:-3}
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mpikit-bench.XXXXXX")}
trap 'rm -f "$DIR"/io.h5' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
bytes_of() { echo "$1" | awk -Fx '{ printf "%.0f", $1 * $2 * 8 }'; }

echo "kind,ranks,shape,chunks,run,seconds,GB_s,peak_rss_MiB_per_rank"
for n in $RANKS; do
    extra=()
    [ "$n" -gt "$(nproc)" ] && extra=(--oversubscribe)
    : >"$DIR/gen.$n"
    for r in $(seq "$REPEAT"); do
        # summary CSV: ranks,bytes,seconds,GB_s,peak_rss
        line=$(mpirun -n "$n" "${extra[@]}" "$BIN/arraystats" --shape "$SHAPE" --chunks "$CHUNKS" --timing \
            --format csv --no-progress | awk -F, 'prev ~ /^ranks,bytes/ { print; exit } { prev = $0 }')
        echo "generate+stats,$n,$SHAPE,$CHUNKS,$r,$(echo "$line" | cut -d, -f3-5)"
        echo "$line" | cut -d, -f3 >>"$DIR/gen.$n"
    done
    : >"$DIR/w.$n"
    : >"$DIR/r.$n"
    for r in $(seq "$REPEAT"); do
        rm -f "$DIR/io.h5"
        s=$( { /usr/bin/time -f %e mpirun -n "$n" "${extra[@]}" "$BIN/datagen" --shape "$IO_SHAPE" --chunks "$CHUNKS" \
            -o "$DIR/io.h5" >/dev/null; } 2>&1 | tail -1)
        # datagen also generates: report the write rate net of generation separately below
        echo "datagen(generate+write),$n,$IO_SHAPE,$CHUNKS,$r,$s,$(awk -v b="$(bytes_of "$IO_SHAPE")" -v s="$s" 'BEGIN { printf "%.3f", b / 1e9 / s }'),"
        echo "$s" >>"$DIR/w.$n"
        line=$(mpirun -n "$n" "${extra[@]}" "$BIN/arraystats" --input "$DIR/io.h5:/x" --chunks "$CHUNKS" --timing \
            --format csv --no-progress)
        rd=$(echo "$line" | awk -F, '$1 == "read" { print $4 }')
        tot=$(echo "$line" | awk -F, 'prev ~ /^ranks,bytes/ { print $3 "," $4 "," $5; exit } { prev = $0 }')
        echo "read+stats,$n,$IO_SHAPE,$CHUNKS,$r,$tot"
        echo "$rd" >>"$DIR/r.$n"
    done
    b=$(bytes_of "$SHAPE")
    bio=$(bytes_of "$IO_SHAPE")
    g=$(median <"$DIR/gen.$n")
    w=$(median <"$DIR/w.$n")
    rd=$(median <"$DIR/r.$n")
    echo "# $n ranks: generate+stats median $g s ($(awk -v b="$b" -v s="$g" 'BEGIN { printf "%.2f", b / 1e9 / s }') GB/s);" \
        "datagen generate+write median $w s; collective read phase (max over ranks) median $rd s" \
        "($(awk -v b="$bio" -v s="$rd" 'BEGIN { printf "%.0f", b / 1e6 / s }') MB/s)"
done
