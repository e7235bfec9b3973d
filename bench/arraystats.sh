#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/arraystats.sh - arraystats (generate normals chunk by chunk, sum/mean/std and row and
# column means) against dask on the same array, chunks and cores: the tutorial's
# da.random.normal(...).mean(axis=0).compute() and all of arraystats' statistics in one compute.
# SIZES (default "1000 10000 20000", the issue's two sizes after a small warm-up size; QUICK:
# "1000 4000"), CHUNK (default 1000; N/10 below 10 chunks),
# BIG_REPS (reps of the largest size; default REPS; it has no warm-up run: the smaller size warms
# the code paths).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py
sizes=${SIZES:-$([ "$QUICK" = 1 ] && echo "1000 4000" || echo "1000 10000 20000")}
chunk=${CHUNK:-1000}
as_parse() { table_after ranks,bytes "$1" | awk -F, '{ print "inside_s", $3, "s"; print "rank_rss", $5, "MiB" }'; }
last=${sizes##* }
for s in $sizes; do
    c=$chunk
    [ "$s" -lt $((10 * chunk)) ] && c=$((s / 10))   # at least 10 x 10 chunks, so both ranks work
    case_begin arraystats "${s}x${s} doubles in ${c}x${c} chunks"
    for r in 1 2; do
        mpi "$r"
        case_add "mpikit arraystats" "$r" as_parse "${MPI[@]}" "$BIN/arraystats" --shape "${s}x${s}" \
            --chunks "${c}x${c}" --timing --format csv --no-progress
    done
    case_add "dask mean(axis=0) (tutorial)" 2 at_lines "$PY" "$peers" dask-mean "$s" "$c"
    case_add "dask all statistics" 2 at_lines "$PY" "$peers" dask-stats "$s" "$c"
    if [ "$s" = "$last" ]; then case_run "${BIG_REPS:-$REPS}" 0; else case_run; fi
done
