#!/usr/bin/env bash
# bench/wordcount.sh - wordcount throughput against LC_ALL=C wc and the grep|tr|sort|uniq
# pipeline, on t8.shakespeare.txt and a generated 1 GiB corpus, at 1 and 2 ranks.
# Times are taken two ways: inside the program (--timing: after MPI_Init, so mpirun
# start-up is excluded) and for the whole process (including mpirun start-up).
# Each measurement: one warm-up, then REPS runs (default 5); median and min-max reported.
# Writes bench/results/<date>-<host>-wordcount.csv and prints a Markdown table.
# Environment: REPS, BIG_BYTES (default 1G), BENCH_DIR (scratch, default /tmp/mpikit-bench),
# PIPELINE_BIG=1 to also time the grep|sort pipeline on the big corpus (minutes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
reps=${REPS:-5}
big_bytes=${BIG_BYTES:-1G}
scratch=${BENCH_DIR:-/tmp/mpikit-bench}
mkdir -p "$scratch" "$root/bench/results"
out=$root/bench/results/$(date +%Y-%m-%d)-$(hostname -s)-wordcount.csv
export LC_ALL=C
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
ncores=$(nproc)

inputs=()
if corpus=$("$root/scripts/find-corpus.sh"); then inputs+=("$corpus"); fi
big=$scratch/generated-$big_bytes.txt
if [ ! -f "$big" ]; then
    echo "bench: generating $big_bytes corpus at $big" >&2
    mpirun -n 2 "$bin/textgen" --bytes "$big_bytes" --seed 1 -o "$big" >/dev/null
fi
inputs+=("$big")

now() { echo "$EPOCHREALTIME"; }
median_minmax() { # reads numbers, prints "median min max"
    sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f %.4f %.4f", m, v[1], v[NR] }'
}

echo "input,bytes,tool,ranks,inside_s_median,inside_s_min,inside_s_max,process_s_median,process_s_min,process_s_max,MB_s_inside,MB_s_process,peak_rss_MiB" >"$out"

# run_tool LABEL RANKS CMD... : time REPS runs; CMD prints wordcount CSV when RANKS > 0.
measure() {
    local input=$1 label=$2 ranks=$3
    shift 3
    local bytes inside=() process=() rss=0
    bytes=$(stat -c %s "$input")
    cat "$input" >/dev/null   # page cache warm
    "$@" >/dev/null 2>&1 || true   # warm-up
    for _ in $(seq "$reps"); do
        local t0 t1
        t0=$(now)
        "$@" >"$scratch/run.out" 2>/dev/null || echo "bench: $label failed" >&2
        t1=$(now)
        process+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
        if [ "$ranks" -gt 0 ]; then
            inside+=("$(awk -F, '/^ranks,bytes,kernel/ { getline; print $4 }' "$scratch/run.out")")
            rss=$(awk -F, '/^ranks,bytes,kernel/ { getline; print $7 }' "$scratch/run.out")
        fi
    done
    local p i
    p=$(printf '%s\n' "${process[@]}" | median_minmax)
    if [ "$ranks" -gt 0 ]; then i=$(printf '%s\n' "${inside[@]}" | median_minmax); else i="$p"; rss=""; fi
    read -r im imin imax <<<"$i"
    read -r pm pmin pmax <<<"$p"
    local mbi mbp
    mbi=$(awk -v b="$bytes" -v t="$im" 'BEGIN { printf "%.1f", b / 1e6 / t }')
    mbp=$(awk -v b="$bytes" -v t="$pm" 'BEGIN { printf "%.1f", b / 1e6 / t }')
    echo "$(basename "$input"),$bytes,$label,$ranks,$im,$imin,$imax,$pm,$pmin,$pmax,$mbi,$mbp,$rss" | tee -a "$out"
}

mpirun_n() {
    local n=$1
    shift
    if [ "$n" -gt "$ncores" ]; then mpirun -n "$n" --oversubscribe "$@"; else mpirun -n "$n" "$@"; fi
}
# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
pipeline() { grep -oE '[A-Za-z]+' "$1" | tr 'A-Z' 'a-z' | sort | uniq -c | sort -k1,1nr -k2,2; }

for input in "${inputs[@]}"; do
    measure "$input" "GNU wc" 0 wc "$input"
    for n in 1 2; do
        measure "$input" "wordcount --mode wc" "$n" mpirun_n "$n" "$bin/wordcount" --mode wc --timing --format csv "$input"
        measure "$input" "wordcount (wc + top 10)" "$n" mpirun_n "$n" "$bin/wordcount" --timing --format csv "$input"
        # 1 MiB chunks stay in L2, so counting does not re-read the buffer from DRAM.
        measure "$input" "wordcount --mode wc --chunk-size 1M" "$n" mpirun_n "$n" "$bin/wordcount" --mode wc \
            --chunk-size 1M --timing --format csv "$input"
        measure "$input" "wordcount --progress (wc + top 10)" "$n" mpirun_n "$n" "$bin/wordcount" --progress \
            --timing --format csv "$input"
    done
    if [ "$input" != "$big" ] || [ "${PIPELINE_BIG:-0}" = 1 ]; then
        reps_saved=$reps
        [ "$input" = "$big" ] && reps=1
        measure "$input" "grep|tr|sort|uniq -c" 0 pipeline "$input"
        reps=$reps_saved
    fi
done
# mpirun start-up alone: the floor under every whole-process time.
measure /dev/null "mpirun start-up (true)" 0 mpirun_n 2 true
echo "bench: results in $out" >&2
