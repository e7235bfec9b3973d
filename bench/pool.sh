#!/usr/bin/env bash
# bench/pool.sh - the pool map's speed items of issue 3, all at the ranks stated:
#   1. per-task dispatch cost (us/task, 2 ranks): slope of map time against items at cost 0,
#      from `overhead --costs 0 --items 10000,100000` (so the fixed cost per map call is excluded);
#   2. 10,000 trivial tasks end to end inside the program (mk_pool_map wall time, 2 ranks), against
#      Python's ProcessPoolExecutor.map and multiprocessing.Pool.map with 2 workers (bench/pool_peers.py,
#      standard library only), chunksize 1 and Pool.map's own ceil(n / 4 workers);
#   3. fastcore's 10 tasks x 1 s on 8 ranks (oversubscribed: sleep tasks need no core) per schedule;
#   4. the dynamic manager's design: the default 16-task example at 4 ranks, rank 0 computing or serving.
# Every measurement is repeated REPS times (default 3) as separate mpirun runs; median, min, max.
# The machine is shared: numbers are noisy, compare within one run of this script.
# Writes CSV to OUT (default bench/results/<date>-<host>-pool.csv) and prints it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
reps=${REPS:-3}
out=${OUT:-$root/bench/results/$(date +%Y-%m-%d)-$(hostname -s)-pool.csv}
mkdir -p "$(dirname "$out")"
export LC_ALL=C
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_minmax() { # reads numbers, prints "median,min,max"
    sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f,%.4f,%.4f", m, v[1], v[NR] }'
}
csv_table() { awk -v want="$1" 'BEGIN{RS=""; FS="\n"} $1 ~ "^"want {for (i = 2; i <= NF; i++) print $i}' "$2"; }
emit() { echo "$1,$2,$3,$4" | tee -a "$out"; }   # section, config, metric, "median,min,max"

echo "section,config,metric,median,min,max" >"$out"
echo "# $(date -u +%FT%TZ) $(hostname -s), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# 1 + 2: overhead at cost 0, chunksize 1 and the Pool.map rule (10000 / (4 * 2) = 1250).
for chunk in 1 1250; do
    for r in $(seq "$reps"); do
        mpirun -n 2 "$bin/overhead" --costs 0 --items 10000,100000 --repeat 5 --chunksize "$chunk" \
            --format csv >"$tmp/oh.$chunk.$r" 2>/dev/null
    done
    for sched in serial static cyclic dynamic dyn-serve; do
        if [ "$chunk" = 1 ] || [ "${sched#dyn}" != "$sched" ]; then
            v=$(for r in $(seq "$reps"); do csv_table schedule,per_task "$tmp/oh.$chunk.$r" | awk -F, -v s="$sched" '$1 == s {print $2}'; done | median_minmax)
            emit dispatch "2 ranks $sched chunksize $chunk" us_per_task "$v"
            v=$(for r in $(seq "$reps"); do csv_table cost, "$tmp/oh.$chunk.$r" | awk -F, -v s="$sched" '$3 == 10000 && $4 == s {print $5}'; done | median_minmax)
            emit trivial10k "2 ranks $sched chunksize $chunk" map_s "$v"
        fi
    done
done
if command -v python3 >/dev/null; then
    python3 "$root/bench/pool_peers.py" trivial 2 10000 5 | while IFS=, read -r peer w c _ startup med best _; do
        emit trivial10k "python $peer workers $w chunksize $c" map_s "$med,$best,"
        emit trivial10k "python $peer workers $w chunksize $c" startup_s "$startup,,"
    done
else
    echo "# python3 not found: no Python peer" >&2
fi

# 3: fastcore's case, 10 x 1 s on 8 ranks; the ideal with indivisible tasks is 2 s.
for cfg in "static" "cyclic" "dynamic --manager serves" "dynamic --manager computes"; do
    # shellcheck disable=SC2086
    v=$(for r in $(seq "$reps"); do
        mpirun -n 8 --oversubscribe "$bin/pool" --tasks 10 --sleep const:1 --schedule $cfg --format csv 2>/dev/null |
            csv_table ranks, /dev/stdin | cut -d, -f10
    done | median_minmax)
    emit fastcore "8 ranks $cfg" makespan_s "$v"
done
if command -v python3 >/dev/null; then
    python3 "$root/bench/pool_peers.py" sleep 8 10 1 | while IFS=, read -r peer w _ _ _ med best _; do
        emit fastcore "python $peer workers $w" makespan_s "$med,$best,"
    done
fi

# 4: the manager's role on the default example (16 tasks, uniform 0..1 s, seed 1) at 4 ranks.
for cfg in "static" "cyclic" "dynamic --manager serves --chunksize 1" "dynamic --manager serves --chunksize 0" \
    "dynamic --manager computes --chunksize 1"; do
    # shellcheck disable=SC2086
    v=$(for r in $(seq "$reps"); do
        mpirun -n 4 --oversubscribe "$bin/pool" --schedule $cfg --format csv 2>/dev/null |
            csv_table ranks, /dev/stdin | cut -d, -f10
    done | median_minmax)
    emit manager "4 ranks $cfg" makespan_s "$v"
done
echo "# written to $out" >&2
