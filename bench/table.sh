#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/table.sh - table's apply (scatter, K=(A+B)*C/4-D per row, gather) against pandas:
# df.apply(axis=1) (the tutorial's row function), the same with the tutorial's
# parallelize_dataframe (np.array_split + Pool.map + concat), and the vectorised column
# expression (what pandas is meant for).   ROWS (default 300000: pandas' apply runs ~10 us/row)
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py
rows=${ROWS:-$([ "$QUICK" = 1 ] && echo 30000 || echo 300000)}
# inside: scatter + apply + gather (max over ranks); the generated table's load is excluded
# like pandas' DataFrame construction
tb_parse() {
    table_after phase, "$1" | awk -F, '$1 == "scatter" || $1 == "apply" || $1 == "combine: gather to rank 0" { s += $4 }
        $1 == "apply" { print "apply_s", $4, "s" } END { print "inside_s", s, "s" }'
}
case_begin table "apply on $rows rows"
for r in 1 2; do
    mpi "$r"
    case_add "mpikit table --apply" "$r" tb_parse "${MPI[@]}" "$BIN/table" --rows "$rows" --apply 'K=(A+B)*C/4-D' \
        --head 0 --timing --format json
done
case_add "pandas df.apply(axis=1)" 1 at_lines "$PY" "$peers" pandas-apply "$rows"
case_add "pandas parallelize_dataframe Pool(2)" 2 at_lines "$PY" "$peers" pandas-parallel "$rows" 2
case_add "pandas vectorised columns" 1 at_lines "$PY" "$peers" pandas-vector "$rows"
case_run
