#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/bigpower.sh - bigpower (counter-based RNG, powers summed as the normals stream, memory
# bounded) against numpy as the tutorial writes it: mean(randn(N) ** p) for p in 1, 2, 12, 15,
# serially and with Pool(3); and the generator alone, one core: bench/normals.c (mk_rng_std_normals
# per kernel) against numpy's default_rng().standard_normal (into a mapped array, out=, and as a new
# array) and randn. N (default 1e7 normals per power; QUICK: 1e6). Peak memory is /usr/bin/time's.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py
n=${N:-$([ "$QUICK" = 1 ] && echo 1e6 || echo 1e7)}
bp_parse() {
    table_after n,ranks "$1" | awk -F, '{ print "inside_s", $5, "s"; print "normals_per_s_per_rank", $6, "1/s"; print "rank_rss", $7, "MiB" }'
}
case_begin bigpower "N=$n normals per power; powers 1 2 12 15"
for r in 1 2; do
    for split in data tasks; do
        mpi "$r"
        case_add "mpikit bigpower --split $split" "$r" bp_parse "${MPI[@]}" "$BIN/bigpower" --n "$n" --split "$split" --format csv
    done
    case_add "mpikit bigpower --shared-draws" "$r" bp_parse "${MPI[@]}" "$BIN/bigpower" --n "$n" --shared-draws --format csv
done
case_add "numpy mean(randn(N)**p) serial" 1 at_lines "$PY" "$peers" bigpower-numpy "$n"
case_add "numpy + Pool(3).map over powers" 3 at_lines "$PY" "$peers" bigpower-pool "$n" 3
case_add "numpy randn(N) alone" 1 at_lines "$PY" "$peers" randn "$n"
case_run

# The generator alone, single core, n normals; the peers in the same run.
normals_tool=$BENCH_ROOT/build/bench/normals
mkdir -p "$(dirname "$normals_tool")"
mpicc -std=c11 -O2 -D_GNU_SOURCE -I"$BENCH_ROOT/include" "$BENCH_ROOT/bench/normals.c" \
    "$BENCH_ROOT/build/lib/libmpikit.a" -lm -o "$normals_tool" || exit 1
numpy_normals='
import sys, time
import numpy as np
n, how = int(float(sys.argv[1])), sys.argv[2]
g = np.random.default_rng(1)
a = np.empty(n)
g.standard_normal(out=a)
t = time.perf_counter()
if how == "out":
    g.standard_normal(out=a)
elif how == "new":
    g.standard_normal(n)
else:
    np.random.randn(n)
print("@normals_per_s", n / (time.perf_counter() - t), "1/s")'
case_begin normals "N=$n standard normals, one core"
case_add "mpikit mk_rng_std_normals (per kernel)" 1 at_lines "$normals_tool" "$n"
case_add "numpy default_rng().standard_normal(out=a)" 1 at_lines "$PY" -c "$numpy_normals" "$n" out
case_add "numpy default_rng().standard_normal(n)" 1 at_lines "$PY" -c "$numpy_normals" "$n" new
case_add "numpy random.randn(n)" 1 at_lines "$PY" -c "$numpy_normals" "$n" randn
case_run
