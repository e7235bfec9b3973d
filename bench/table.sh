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

# Groupby of a real-sized CSV (issue 15): a text key k000..k999, two integer columns and a float
# with 3 decimals (BIG_ROWS, default 9,000,000 rows = 204 MB; QUICK: 200,000), made with awk;
# `table -i big.csv -g key --agg ...` against pandas read_csv + groupby.agg + to_csv and the same
# in dask.dataframe on 2 processes (bench/peers.py dask-groupby), whole
# process. Inside figures: the load phase (parallel CSV parse) as seconds and MB/s of CSV per
# second over all ranks; pandas' read_csv alone likewise. The harness records the load average.
big_rows=${BIG_ROWS:-$([ "$QUICK" = 1 ] && echo 200000 || echo 9000000)}
big=$BENCH_DIR/groupby-$big_rows.csv
if [ ! -s "$big" ]; then
    echo "bench: writing $big" >&2
    awk -v n="$big_rows" 'BEGIN { srand(15); print "key,a,b,c"
        for (i = 0; i < n; i++) printf "k%03d,%d,%d,%.3f\n", int(rand() * 1000), int(rand() * 1000000), int(rand() * 100), rand() * 1000 }' \
        >"$big.tmp" && mv "$big.tmp" "$big"
fi
big_mb=$(awk -v b="$(stat -c %s "$big")" 'BEGIN { printf "%.3f", b / 1e6 }')
tb_groupby_parse() {
    table_after phase, "$1" | awk -F, -v mb="$big_mb" '$1 == "load" { print "load_s", $4, "s"; if ($4 > 0) print "csv_mb_per_s", mb / $4, "MB/s" }
        $1 ~ /^groupby/ { print "groupby_s", $4, "s" }'
}
pandas_groupby='
import sys, time
import pandas as pd
path, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
df = pd.read_csv(path)
t1 = time.perf_counter()
g = df.groupby("key").agg(mean_a=("a", "mean"), sum_b=("b", "sum"), count=("a", "size"), std_c=("c", "std"))
g.to_csv(out)
t2 = time.perf_counter()
mb = float(sys.argv[3])
print(f"@inside_s {t2 - t0:.6g} s\n@load_s {t1 - t0:.6g} s\n@csv_mb_per_s {mb / (t1 - t0):.6g} MB/s")'
case_begin table "groupby $big_mb MB CSV, 1000 text keys"
for r in 1 2; do
    mpi "$r"
    case_add "mpikit table -i -g key" "$r" tb_groupby_parse "${MPI[@]}" "$BIN/table" -i "$big" -g key \
        --agg mean:a,sum:b,count,std:c -o "$BENCH_DIR/groupby-out.csv" --timing --format json --head 0
done
case_add "pandas read_csv + groupby.agg" 1 at_lines "$PY" -c "$pandas_groupby" "$big" "$BENCH_DIR/groupby-pd.csv" "$big_mb"
case_add "dask read_csv + groupby.agg, 2 processes" 2 at_lines "$PY" "$peers" dask-groupby "$big" "$BENCH_DIR/groupby-dask.csv" 2
case_run
