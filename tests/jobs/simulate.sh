#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# simulate: the simulated build (make SIM=1, build/sim; issue 20, docs/scaling.md) computes what
# the real one does. Each job runs under SimGrid's smpirun at 4 and 16 simulated ranks on
# sim/platforms/cluster.xml and its RESULTS are checked against the references the real suites
# use (wc, find, awk sums and group-bys, the task order) or against the real build's output of
# the same command (arraystats, bigpower, textgen), so the two builds cannot drift apart.
# Predicted times are printed as comments, never asserted. SKIP when SimGrid is not installed.
. "$(dirname "$0")/../lib.sh"
SIM_BIN=$ROOT/build/sim/bin
PLATFORM=$ROOT/sim/platforms/cluster.xml
SIM_RANKS="4 16"

if ! command -v smpirun >/dev/null; then
    echo "# SKIP simulate: smpirun is not installed (scripts/install-deps.sh test: libsimgrid-dev)"
    finish
    exit $?
fi
if [ ! -f "$SIM_BIN/hello" ]; then
    not_ok "the simulated build is missing ($SIM_BIN: make SIM=1, or make tests)"
    finish
    exit 1
fi

# simrun N JOB ARGS... : JOB's simulated run at N ranks (16 cores per node, node-0 first), with
# scripts/simulate.sh's settings (see there for why); its
# output on stdout, SMPI's log in $TMP/smpi.log, the predicted time in $TMP/predicted.
simrun() {
    local n=$1 job=$2
    shift 2
    awk -v n="$n" 'BEGIN { for (r = 0; r < n; r++) printf "node-%d\n", int(r / 16) % 64 }' >"$TMP/hosts"
    timeout -k 5 "$TEST_TIMEOUT" smpirun -np "$n" -hostfile "$TMP/hosts" -platform "$PLATFORM" \
        --cfg=smpi/host-speed:16.8Gf --cfg=smpi/privatization:no --cfg=smpi/display-timing:yes \
        --cfg=smpi/iprobe:1e-7 --cfg=smpi/test:1e-7 --cfg=smpi/async-small-thresh:65536 \
        --log=root.thres:warning --log=smpi_utils.thres:info "$SIM_BIN/$job" "$@" 2>"$TMP/smpi.log"
    local rc=$?
    sed -n 's/.*Simulated time: \([0-9.e+-]*\) seconds.*/\1/p' "$TMP/smpi.log" | tail -n 1 >"$TMP/predicted"
    return $rc
}
predicted() { echo "# $1: predicted $(cat "$TMP/predicted") s (reported, not checked)"; }
csv_table() { awk -v want="$1" 'BEGIN{RS=""; FS="\n"} $1 ~ "^"want {for (i = 2; i <= NF; i++) print $i}' "$2"; }
D=$TMP/data
mkdir -p "$D"

# ---- hello: one row per rank, in rank order, from SMPI ----------------------------------------
for n in $SIM_RANKS; do
    simrun "$n" hello --format csv >"$TMP/out"
    rc=$?
    ranks=$(awk -F, 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$TMP/out" | paste -sd' ')
    check "hello at $n ranks: rows for ranks 0..$((n - 1)) in order (exit $rc)" \
        [ "$rc" = 0 ] && [ "$ranks" = "$(seq 0 $((n - 1)) | paste -sd' ')" ] && grep -q SMPI "$TMP/out"
done

# ---- square: every square right and the sum equals awk's ----------------------------------------
for n in $SIM_RANKS; do
    simrun "$n" square --n 1001 --show 1001 --repeat 1 --format csv >"$TMP/out"
    rc=$?
    rows=$(csv_table i, "$TMP/out" | wc -l)
    bad=$(csv_table i, "$TMP/out" | awk -F, '$3 != $2 * $2' | wc -l)
    sum=$(csv_table n, "$TMP/out" | cut -d, -f8)
    want=$(csv_table i, "$TMP/out" | awk -F, '{s += $3} END {printf "%d", s}')
    check "square at $n ranks: 1001 squares right, sum $sum = awk's $want" \
        [ "$rc" = 0 ] && [ "$rows" = 1001 ] && [ "$bad" = 0 ] && [ "$sum" = "$want" ]
    predicted "square at $n ranks"
done

# ---- pool: sleep tasks (simulated sleeps), results in task order, every task run once ----------
EXPECT=$(printf '%s\n' A B C D E F G H I J K L M N O P Q R S T | paste -sd' ')
for n in $SIM_RANKS; do
    for sched in static dynamic; do
        simrun "$n" pool --tasks 20 --sleep uniform:0:20ms --schedule "$sched" --chunksize 2 --format csv >"$TMP/out"
        rc=$?
        got=$(csv_table item, "$TMP/out" | cut -d, -f4 | paste -sd' ')
        tasks=$(csv_table rank, "$TMP/out" | awk -F, '{s += $2} END {print s + 0}')
        check "pool $sched at $n ranks: results A..T in order, 20 tasks run (exit $rc)" \
            [ "$rc" = 0 ] && [ "$got" = "$EXPECT" ] && [ "$tasks" = 20 ]
        predicted "pool $sched at $n ranks"
    done
done

# ---- queue: the job's own ledger (every item once, in producer order) ---------------------------
for n in $SIM_RANKS; do
    simrun "$n" queue --items 300 --producers 2 >"$TMP/out"
    rc=$?
    check "queue at $n ranks: every item exactly once, in producer order (exit $rc)" \
        [ "$rc" = 0 ] && grep -qE '^none +single +2 +300 +300 +0 +0 +0 +0 .* ok$' "$TMP/out"
done

# ---- textgen: byte-identical to the real build's file; wordcount: wc parity ---------------------
if [ -x "$BIN/textgen" ]; then
    mpirun_n 1 "$BIN/textgen" --bytes 300001 --seed 3 -o "$D/real.txt" >/dev/null 2>&1
fi
for n in $SIM_RANKS; do
    rm -f "$D/sim.txt"
    simrun "$n" textgen --bytes 300001 --seed 3 -o "$D/sim.txt" >/dev/null
    rc=$?
    if [ -f "$D/real.txt" ]; then
        check "textgen at $n ranks: the same 300001 bytes as the real build (exit $rc)" \
            [ "$rc" = 0 ] && cmp -s "$D/real.txt" "$D/sim.txt"
    else
        check "textgen at $n ranks: 300001 bytes (exit $rc)" [ "$rc" = 0 ] && [ "$(wc -c <"$D/sim.txt")" = 300001 ]
    fi
done
printf 'one two  three\r\nfour\tfive\n\nsix' >"$D/edge.txt"
LC_ALL=C wc "$D/sim.txt" "$D/edge.txt" >"$TMP/wc.ref"
for n in $SIM_RANKS; do
    simrun "$n" wordcount --mode wc --chunk-size 4096 "$D/sim.txt" "$D/edge.txt" >"$TMP/wc.out"
    rc=$?
    if [ "$rc" = 0 ]; then
        same_file "wordcount --mode wc at $n ranks equals wc" "$TMP/wc.ref" "$TMP/wc.out"
    else
        not_ok "wordcount --mode wc at $n ranks exited $rc"
    fi
    predicted "wordcount at $n ranks"
done
# The word table: total tokens equal wc -w, the top word's count equals grep's.
simrun 16 wordcount --format csv "$D/sim.txt" >"$TMP/out"
top=$(awk -F, 'NR == 2 { print $2 }' "$TMP/out")
top_n=$(awk -F, 'NR == 2 { print $3 }' "$TMP/out")
ref_n=$(tr -s ' \t\r\n' '\n' <"$D/sim.txt" | grep -cxF -- "$top")
check "wordcount at 16 ranks: top word '$top' counted $top_n times, as tr+grep count $ref_n" \
    [ -n "$top" ] && [ "$top_n" = "$ref_n" ]

# ---- findfiles: the paths find finds, work stealing and manager -------------------------------
T=$D/tree
for i in 1 2 3 4 5 6; do
    mkdir -p "$T/d$i/sub/deeper"
    for j in $(seq 1 $((i * 3))); do : >"$T/d$i/f$j.py"; done
    : >"$T/d$i/sub/x.txt"
    : >"$T/d$i/sub/deeper/y$i.py"
done
find "$T" -name '*.py' -type f -print0 | sort -z >"$TMP/want"
for n in $SIM_RANKS; do
    for s in steal manager; do
        simrun "$n" findfiles --strategy "$s" --name '*.py' --type f --print0 "$T" >"$TMP/got"
        rc=$?
        check "findfiles $s at $n ranks: the same $(tr -cd '\0' <"$TMP/want" | wc -c) paths as find (exit $rc)" \
            [ "$rc" = 0 ] && cmp -s "$TMP/want" "$TMP/got"
    done
done

# ---- table: CSV group-by equals sort+awk (the table suite's reference) ------------------------
awk 'BEGIN { srand(11); print "A,B,C,D"; for (i = 0; i < 1001; i++) printf "%d,%d,%d,%d\n", int(rand() * 100), int(rand() * 7), int(rand() * 100), int(rand() * 100) }' >"$D/in.csv"
tail -n +2 "$D/in.csv" | awk -F, '{ g = $2; s[g] += $1; c[g]++; sc[g] += $3
        if (!(g in mn) || $4 < mn[g]) mn[g] = $4; if (!(g in mx) || $4 > mx[g]) mx[g] = $4 }
    END { for (g in c) printf "%s,%.17g,%.17g,%d,%s,%s\n", g, s[g], sc[g] / c[g], c[g], mn[g], mx[g] }' |
    sort -t, -k1,1n | sed '1i B,sum_A,mean_C,count,min_D,max_D' |
    # numbers as table writes them: the shortest spelling that reads back to the same double
    /usr/bin/python3 -c 'import sys
for i, line in enumerate(sys.stdin):
    f = line.rstrip("\n").split(",")
    if i: f = [str(int(float(x))) if float(x).is_integer() else repr(float(x)) for x in f]
    print(",".join(f))' >"$D/gref.csv"
for n in $SIM_RANKS; do
    rm -f "$D/g.csv"
    simrun "$n" table --input "$D/in.csv" --groupby B --agg sum:A,mean:C,count,min:D,max:D -o "$D/g.csv" >/dev/null
    rc=$?
    if [ "$rc" = 0 ]; then
        same_file "table group-by at $n ranks equals sort+awk" "$D/gref.csv" "$D/g.csv"
    else
        not_ok "table group-by at $n ranks exited $rc"
    fi
done

# ---- arraystats and bigpower: the numbers of the real build (at 4 real ranks) -----------------
# close A B : two CSV tables of the same shape, text fields equal, numbers within 1e-9 relative
# (a sum over another decomposition may round differently in its last digits).
close() {
    awk -F, 'NR == FNR { a[FNR] = $0; n = FNR; next }
        { if (!(FNR in a)) exit 1; split(a[FNR], x, ","); if (length(x) != NF) exit 1
          for (i = 1; i <= NF; i++) { if (x[i] == $i) continue
              d = x[i] - $i; m = (x[i] < 0 ? -x[i] : x[i]) + 1e-300
              if ($i !~ /^-?[0-9]/ || (d < 0 ? -d : d) / m > 1e-9) exit 1 } }
        END { if (FNR != n || n == 0) exit 1 }' "$1" "$2"
}
# same_as_real NAME TABLE CUT JOB ARGS... : the rows under the header starting TABLE, fields CUT
same_as_real() {
    local name=$1 table=$2 fields=$3 job=$4
    shift 4
    if [ ! -x "$BIN/$job" ]; then
        echo "# SKIP $name: no real build ($BIN/$job) to compare with"
        return
    fi
    mpirun_n 4 "$BIN/$job" "$@" 2>/dev/null | csv_table "$table" /dev/stdin | cut -d, -f"$fields" >"$TMP/real"
    for n in $SIM_RANKS; do
        simrun "$n" "$job" "$@" | csv_table "$table" /dev/stdin | cut -d, -f"$fields" >"$TMP/sim"
        check "$name at $n ranks: the numbers of the real build at 4 ranks" close "$TMP/real" "$TMP/sim"
        predicted "$name at $n ranks"
    done
}
same_as_real "arraystats 301x207 (sum, mean, std, first column and row means)" shape, 4-8 \
    arraystats --shape 301x207 --chunks 50x50 --format csv
same_as_real "bigpower --n 100001 (means of the powers, z scores)" power, 1-4 bigpower --n 100001 --format csv

# ---- HDF5 is compiled out: one clear line, non-zero, no file -----------------------------------
simrun 4 arraystats --shape 30x30 --save "$D/x.h5" >/dev/null 2>"$TMP/err.out"
rc=$?
lines=$(grep -c 'HDF5 is not available in the simulated build' "$TMP/smpi.log")
check "arraystats --save in the simulated build: exit $rc, one line saying HDF5 is not available, no file" \
    [ "$rc" != 0 ] && [ "$lines" = 1 ] && [ ! -e "$D/x.h5" ] && [ -z "$(find "$D" -name 'x.h5*')" ]

finish
