#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/bigpower.sh - bigpower (counter-based RNG, powers summed as the normals stream, memory
# bounded) against numpy as the tutorial writes it: mean(randn(N) ** p) for p in 1, 2, 12, 15,
# serially and with Pool(3), plus randn alone (numpy's normals per second on one core).
# N (default 1e7 normals per power; QUICK: 1e6). Peak memory is /usr/bin/time's largest process.
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
        case_add "mpikit bigpower --split $split" "$r" bp_parse "${MPI[@]}" "$BIN/bigpower" --n "$n" --split "$split" --format json
    done
done
case_add "numpy mean(randn(N)**p) serial" 1 at_lines "$PY" "$peers" bigpower-numpy "$n"
case_add "numpy + Pool(3).map over powers" 3 at_lines "$PY" "$peers" bigpower-pool "$n" 3
case_add "numpy randn(N) alone" 1 at_lines "$PY" "$peers" randn "$n"
case_run
