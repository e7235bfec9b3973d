#!/usr/bin/env bash
# bench/table.sh - table apply (scatter, apply, gather vs parallel HDF5 write, serial) and groupby
# (hash shuffle) on ROWS rows.   ROWS=10000000 RANKS="1 2" REPEAT=3 bench/table.sh
# One timing table per run (max over ranks); medians of the key phases at the end. Noisy VM: medians.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
ROWS=${ROWS:-10000000}
RANKS=${RANKS:-"1 2"}
REPEAT=${REPEAT:-3}
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mpikit-bench.XXXXXX")}
mkdir -p "$DIR"
trap 'rm -rf "$DIR"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "kind,ranks,rows,run,phase,max_s"
for n in $RANKS; do
    for r in $(seq "$REPEAT"); do
        mpirun -n "$n" "$BIN/table" --rows "$ROWS" --apply 'K=(A+B)*C/4-D' --head 0 --timing --format csv \
            -o "$DIR/out.h5" | awk -F, -v n="$n" -v rows="$ROWS" -v r="$r" 'NR > 1 { print "apply," n "," rows "," r "," $1 "," $4 }'
        mpirun -n "$n" "$BIN/table" --rows "$ROWS" --groupby B --agg sum:A,mean:C,count --head 0 --timing \
            --format csv | awk -F, -v n="$n" -v rows="$ROWS" -v r="$r" 'NR > 1 { print "groupby," n "," rows "," r "," $1 "," $4 }'
    done
done | tee "$DIR/all.csv"
for n in $RANKS; do
    for k in "apply,scatter" "apply,apply" "apply,combine: gather to rank 0" "apply,combine: parallel HDF5 write" \
        "apply,serial on rank 0 (check)" "groupby,groupby: shuffle+aggregate" "groupby,serial on rank 0 (check)"; do
        kind=${k%%,*} phase=${k#*,}
        m=$(awk -F, -v kind="$kind" -v n="$n" -v p="$phase" '$1 == kind && $2 == n && $5 == p { print $6 }' "$DIR/all.csv" | median)
        echo "# $n ranks, $kind: $phase median $m s"
    done
done
