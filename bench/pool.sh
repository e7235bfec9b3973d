#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/pool.sh - the pool map against Python's process pools:
#   dispatch cost per task (2 ranks, slope of map time over 10,000 and 100,000 items at cost 0,
#   from the overhead job), 10,000 trivial tasks (mk_pool_map inside the program vs
#   ProcessPoolExecutor.map and multiprocessing.Pool.map with 2 workers, chunksize 1 and
#   Pool.map's own ceil(n / (4 workers))), fastcore's 10 x 1 s sleeps on 8 workers (ideal 2 s),
#   and the 16 random sleeps (uniform 0..1 s) on 4 ranks = 3 workers and a manager.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py

# overhead: per-task slope per schedule, and the map time of 10,000 items per schedule
oh_parse() {
    table_after schedule,per_task "$1" | awk -F, '{ print "per_task_us_" $1, $2, "us" }'
    table_after cost, "$1" | awk -F, '$3 == 10000 { print "map10k_s_" $4, $5, "s" }'
}
# pool: the makespan
pool_parse() { table_after ranks,schedule "$1" | awk -F, '{ print "inside_s", $10, "s"; print "ideal_s", $9, "s" }'; }

case_begin pool "10000 trivial tasks on 2 workers"
for chunk in 1 1250; do
    case_add "mpikit overhead --chunksize $chunk" 2 oh_parse mpirun -n 2 "$BIN/overhead" --costs 0 \
        --items 10000,100000 --repeat 5 --chunksize "$chunk" --format json
    case_add "ProcessPoolExecutor.map chunksize $chunk" 2 at_lines "$PY" "$peers" ppe-trivial 10000 2 "$chunk"
    case_add "multiprocessing Pool.map chunksize $chunk" 2 at_lines "$PY" "$peers" pool-trivial 10000 2 "$chunk"
done
case_run

case_begin pool "10 x 1 s sleeps on 8 workers"
for cfg in "static" "dynamic --manager computes" "dynamic --manager serves"; do
    # shellcheck disable=SC2086 # cfg is several options
    case_add "mpikit pool --schedule $cfg" 8 pool_parse mpirun -n 8 --oversubscribe "$BIN/pool" --tasks 10 \
        --sleep const:1 --schedule $cfg --format json
done
case_add "ProcessPoolExecutor(8).map" 8 at_lines "$PY" "$peers" ppe-sleep 10 8 1
case_run "$REPS" 0

case_begin pool "16 random sleeps on 4 ranks"
for cfg in "static" "cyclic" "dynamic --manager serves --chunksize 1" "dynamic --manager computes --chunksize 1"; do
    # shellcheck disable=SC2086
    case_add "mpikit pool --schedule $cfg" 4 pool_parse mpirun -n 4 --oversubscribe "$BIN/pool" --schedule $cfg --format json
done
case_run "$([ "$QUICK" = 1 ] && echo 1 || echo 3)" 0

# Time against task grain: speedup of each schedule over the serial loop at 2 ranks, per task cost.
grain_parse() { table_after cost, "$1" | awk -F, '$4 != "serial" { print "speedup_" $4 "_" $2, $6, "x" }'; }
case_begin pool "task grain: 200 items on 2 ranks"
case_add "mpikit overhead (all schedules)" 2 grain_parse mpirun -n 2 "$BIN/overhead" --costs 0,1us,10us,100us,1ms \
    --items 200 --repeat 3 --format json
case_run "$([ "$QUICK" = 1 ] && echo 1 || echo 3)" 0
