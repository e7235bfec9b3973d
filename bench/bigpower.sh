#!/usr/bin/env bash
# bench/bigpower.sh - normals per second per rank: bigpower (counter-based RNG, Box-Muller with
# log/sqrt/cos per normal, powers summed as they stream) against numpy's randn on this machine.
# Each measurement: one warm-up, then REPS runs (default 5); the median and min-max are reported.
# bigpower times are taken inside the program (after MPI_Init). The machine is shared, so the
# numbers are noisy: compare medians, and rerun before drawing fine conclusions.
# Environment: REPS, N (default 2e7 for bigpower), NP_N (default 1e7 for numpy), PYTHON.
# Writes bench/results/<date>-<host>-bigpower.csv and prints a Markdown table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
reps=${REPS:-5}
n=${N:-2e7}
np_n=${NP_N:-1e7}
mkdir -p "$root/bench/results"
out=$root/bench/results/$(date +%Y-%m-%d)-$(hostname -s)-bigpower.csv
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

stats() { # reads numbers, prints "median min max"
    sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4g %.4g %.4g\n", m, v[1], v[NR] }'
}

echo "tool,what,ranks,n,normals_per_s_per_rank_median,min,max" >"$out"
bigpower() { # RANKS SPLIT : REPS values of normals/s/rank
    local ranks=$1 split=$2 extra=()
    [ "$ranks" -gt "$(nproc)" ] && extra=(--oversubscribe)
    mpirun -n "$ranks" "${extra[@]}" "$bin/bigpower" --n "$n" --split "$split" --format csv >/dev/null
    for _ in $(seq "$reps"); do
        mpirun -n "$ranks" "${extra[@]}" "$bin/bigpower" --n "$n" --split "$split" --format csv |
            awk -F, '/^n,ranks/ { getline; print $6 }'
    done
}
for ranks in 1 2; do
    for split in data tasks; do
        read -r med lo hi < <(bigpower "$ranks" "$split" | stats)
        echo "bigpower,$split (4 powers),$ranks,$n,$med,$lo,$hi" >>"$out"
    done
done

# The first python with numpy: $PYTHON, python3 on PATH (may be a pyenv shim), Debian's.
py=
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
    if "$cand" -c 'import numpy' 2>/dev/null; then py=$cand; break; fi
done
if [ -n "$py" ]; then
    # numpy: randn alone (legacy MT19937 + polar method), default_rng().standard_normal
    # (PCG64 + ziggurat), and the tutorial's whole job per normal: randn then mean(a**p) for 4 powers.
    "$py" - "$reps" "$np_n" >>"$out" <<'PY'
import sys, time, statistics
import numpy as np
reps, n = int(sys.argv[1]), int(float(sys.argv[2]))
def bench(label, f):
    f()
    rates = []
    for _ in range(reps):
        t = time.perf_counter(); f(); rates.append(n / (time.perf_counter() - t))
    print(f"numpy {np.__version__},{label},1,{n},{statistics.median(rates):.4g},{min(rates):.4g},{max(rates):.4g}")
bench("np.random.randn", lambda: np.random.randn(n))
rng = np.random.default_rng(1)
bench("default_rng().standard_normal", lambda: rng.standard_normal(n))
def tutorial():
    a = np.random.randn(n)
    return [np.mean(a ** p) for p in (1, 2, 12, 15)]
bench("randn + mean(a**p) for 4 powers", tutorial)
PY
else
    echo "# numpy not installed (apt-get install python3-numpy): skipped" >&2
fi

echo "| tool | what | ranks | normals/s/rank median (min-max) |"
echo "|---|---|---:|---|"
tail -n +2 "$out" | awk -F, '{ printf "| %s | %s | %s | %.3g (%.3g-%.3g) |\n", $1, $2, $3, $5, $6, $7 }'
echo "(written to $out)"
