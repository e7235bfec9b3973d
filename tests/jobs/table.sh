#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# table: split-apply-combine and groupby at 1, 2, 3, 4 and 7 ranks, with row counts smaller than
# and not divisible by the rank count and partition counts above it. Every value is checked:
# the applied column against awk on the CSV, HDF5 outputs with h5dump (an independent reader),
# groupby against sort + awk.
. "$(dirname "$0")/../lib.sh"
# The rank-count loops are sampled (rotate_ranks: 2 of $RANKS a time, every count once in 3 turns);
# MPIKIT_TEST_FULL=1 runs every rank count everywhere.
sample_banner
TB=$BIN/table
DG=$BIN/datagen
D=$TMP/t
mkdir -p "$D"

# h5vals FILE DATASET: the dataset's values, one per line, as h5dump prints them (its first DATA
# block: the attributes' DATA blocks follow).
h5vals() {
    h5dump -y -w 0 -m '%.17g' -d "$2" "$1" | awk '/^ *DATA \{/ && !seen { f = seen = 1; next } f && /^ *\}/ { f = 0 } f' |
        tr ',' '\n' | sed 's/^ *//; /^$/d'
}
# csvcol FILE N: column N (1-based) of a CSV without its header.
csvcol() { awk -F, -v c="$2" 'NR > 1 { print $c }' "$1"; }

for rows in 1 2 5 100 1001; do
    mpirun_n 1 "$DG" --rows "$rows" --seed 7 -o "$D/in$rows.csv" >/dev/null 2>"$TMP/err" || cat "$TMP/err"
    # the reference: K = 2*A and Z = (A+B)*C/4-D computed by awk, in doubles like the job
    awk -F, 'NR == 1 { print $0 ",K"; next } { printf "%s,%.17g\n", $0, 2 * $1 }' "$D/in$rows.csv" >"$D/ref$rows.csv"
    awk -F, 'NR == 1 { print $0 ",Z"; next } { printf "%s,%.17g\n", $0, ($1 + $2) * $3 / 4 - $4 }' "$D/in$rows.csv" \
        >"$D/refz$rows.csv"
    rotate_ranks 2
    for n in "${PICKED[@]}"; do
        for p in "" 13; do
            mpirun_n "$n" "$TB" --input "$D/in$rows.csv" ${p:+--partitions $p} -o "$D/out.csv" >/dev/null 2>"$TMP/err"
            same_file "$rows rows, $n ranks, partitions ${p:-$n}: K=2*A equals awk" "$D/ref$rows.csv" "$D/out.csv"
        done
        # combine by parallel HDF5 write: every column, every value, read back by h5dump
        mpirun_n "$n" "$TB" --input "$D/in$rows.csv" --apply 'Z=(A+B)*C/4-D' --partitions 7 -o "$D/out.h5" \
            >/dev/null 2>"$TMP/err"
        good=1
        for c in 1 2 3 4 5; do
            name=$(head -1 "$D/refz$rows.csv" | cut -d, -f$c)
            cmp -s <(csvcol "$D/refz$rows.csv" $c) <(h5vals "$D/out.h5" "/$name") || good=0
        done
        check "$rows rows, $n ranks: HDF5 columns A,B,C,D,Z read back by h5dump equal awk" [ $good = 1 ]
    done
done

# Generated tables do not depend on the rank count; the default run is the tutorial's 100x4 + K.
mpirun_n 1 "$TB" --rows 1000 --seed 3 -o "$D/gen1.csv" >/dev/null 2>&1
for n in 2 3 4 7; do
    mpirun_n "$n" "$TB" --rows 1000 --seed 3 --partitions 7 -o "$D/gen.csv" >/dev/null 2>&1
    same_file "generated 1000 rows at $n ranks equals 1 rank" "$D/gen1.csv" "$D/gen.csv"
done
mpirun_n 1 "$DG" --rows 1000 --seed 3 -o "$D/gen_dg.csv" >/dev/null 2>&1
check "datagen table equals table's generated input" cmp -s <(cut -d, -f1-4 "$D/gen1.csv") "$D/gen_dg.csv"
mpirun_n 4 "$TB" --partitions 7 --head 100 --format csv >"$D/default.csv" 2>/dev/null
# shellcheck disable=SC2016 # single quotes on purpose: $N are the awk program's fields
check "default: 100 rows, columns A,B,C,D,K, values 0..99, K=2A" \
    awk -F, 'NR == 1 { ok = $0 == "A,B,C,D,K"; next } { n++; for (i = 1; i <= 4; i++) if ($i < 0 || $i > 99 || $i != int($i)) ok = 0; if ($5 != 2 * $1) ok = 0 } END { exit !(ok && n == 100) }' "$D/default.csv"

# CSV without --head is the whole result (text shows 5 rows), equal to the -o file's rows;
# --verbose's rank lines go to stderr, --table timing is the timing table alone.
mpirun_n 3 "$TB" --rows 57 --partitions 4 --format csv --verbose -o "$D/all.csv" >"$D/stdout.csv" 2>"$TMP/err"
check "csv: every one of the 57 rows, as -o wrote them, rank lines on stderr" \
    [ "$(wc -l <"$D/stdout.csv"):$(grep -c '^rank ' "$TMP/err")" = "58:3" ]
check "csv: the values are -o's values" cmp -s <(tail -n +2 "$D/all.csv") <(tail -n +2 "$D/stdout.csv")
mpirun_n 2 "$TB" --rows 10 --timing --format csv --table timing >"$TMP/out" 2>"$TMP/err"
check "csv --table timing: one table, phases" [ "$(head -n 1 "$TMP/out" | cut -d, -f1):$(grep -c '^$' "$TMP/out")" = phase:0 ]

# HDF5 input: datagen writes in parallel; table reads it; the same result as the CSV input.
rotate_ranks 2
for n in "${PICKED[@]}"; do
    mpirun_n "$n" "$DG" --rows 1001 --seed 7 -o "$D/in.h5" >/dev/null 2>"$TMP/err"
    good=1
    for c in 1 2 3 4; do
        cmp -s <(csvcol "$D/in1001.csv" $c) <(h5vals "$D/in.h5" "/$(echo ABCD | cut -c$c)") || good=0
    done
    check "datagen 1001 rows at $n ranks: every value read back by h5dump" [ $good = 1 ]
    mpirun_n 3 "$TB" --input "$D/in.h5" -o "$D/out.csv" >/dev/null 2>&1
    same_file "table --input (datagen at $n ranks).h5 equals the CSV run" "$D/ref1001.csv" "$D/out.csv"
done
check "HDF5 table columns are int64" bash -c "h5dump -H -d /A '$D/in.h5' | grep -q H5T_STD_I64LE"
check "provenance attributes" bash -c "h5dump -A '$D/out.h5' | grep -c -E 'ATTRIBUTE \"(program|version|command|ranks|time)\"' | grep -qx 5"

# groupby vs sort + awk: keys in order, sums in row order, means as sum/count, min, max.
for rows in 1 5 1001; do
    for key in B D; do
        awk -F, -v k="$key" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            { g = $col[k]; s[g] += $1; c[g]++; sc[g] += $3;
              if (!(g in mn) || $4 < mn[g]) mn[g] = $4; if (!(g in mx) || $4 > mx[g]) mx[g] = $4 }
            END { for (g in c) printf "%s,%.17g,%.17g,%d,%s,%s\n", g, s[g], sc[g] / c[g], c[g], mn[g], mx[g] }' \
            "$D/in$rows.csv" | sort -t, -k1,1n | sed "1i $key,sum_A,mean_C,count,min_D,max_D" >"$D/gref.csv"
        rotate_ranks 2
        for n in "${PICKED[@]}"; do
            mpirun_n "$n" "$TB" --input "$D/in$rows.csv" --groupby "$key" --agg sum:A,mean:C,count,min:D,max:D \
                -o "$D/g.csv" >/dev/null 2>"$TMP/err"
            same_file "groupby $key, $rows rows, $n ranks equals sort+awk" "$D/gref.csv" "$D/g.csv"
        done
    done
done
# groupby on the applied column, and to HDF5
mpirun_n 3 "$TB" --input "$D/in1001.csv" --apply 'K=A/10' --groupby B --agg sum:K -o "$D/gk.csv" >/dev/null 2>&1
awk -F, 'NR > 1 { s[$2] += $1 / 10 } END { for (g in s) printf "%s,%.17g\n", g, s[g] }' "$D/in1001.csv" |
    sort -t, -k1,1n | sed '1i B,sum_K' >"$D/gkref.csv"
same_file "groupby over an applied column (K=A/10, non-integers) equals awk" "$D/gkref.csv" "$D/gk.csv"
mpirun_n 4 "$TB" --input "$D/in1001.csv" --groupby B --agg sum:A,mean:C,count,min:D,max:D -o "$D/g.h5" >/dev/null 2>&1
mpirun_n 1 "$TB" --input "$D/in1001.csv" --groupby B --agg sum:A,mean:C,count,min:D,max:D -o "$D/g1.csv" >/dev/null 2>&1
good=1
for c in 1 2 3 4 5 6; do
    cmp -s <(csvcol "$D/g1.csv" $c) <(h5vals "$D/g.h5" "/$(head -1 "$D/g1.csv" | cut -d, -f$c)") || good=0
done
check "groupby to HDF5 at 4 ranks: every value read back by h5dump" [ $good = 1 ]

# Expression language and option errors: exit 2, one line, nothing written.
expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    mpirun_n 3 "$TB" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^table: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err"; then
        ok "$name: exit $want, one line"
    else
        not_ok "$name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "unknown column in expression" 2 "unknown column 'Q'" --apply 'K=A*Q' -o "$D/e.csv"
expect_error "dangling operator" 2 "at column 3" --apply 'K=A*' -o "$D/e.csv"
expect_error "unbalanced parenthesis" 2 "expected ')'" --apply 'K=(A+B' -o "$D/e.csv"
expect_error "function calls are not allowed" 2 "bad expression" --apply 'K=system(A)' -o "$D/e.csv"
expect_error "no assignment" 2 "NAME=EXPRESSION" --apply 'A*2' -o "$D/e.csv"
expect_error "unknown aggregation" 2 "unknown aggregation 'median'" --groupby B --agg median:A -o "$D/e.csv"
expect_error "unknown groupby column" 2 "unknown column 'Q'" --groupby Q -o "$D/e.csv"
expect_error "bad output suffix" 2 "expected a .csv" -o "$D/e.txt"
expect_error "missing input" 1 "cannot open '$D/nope.csv'" --input "$D/nope.csv" -o "$D/e.csv"
printf 'A,B\n1,2\n3\n' >"$D/short.csv"
expect_error "CSV: missing field" 1 "short.csv:3: expected 2 fields, found 1" --input "$D/short.csv" -o "$D/e.csv"
printf 'A,B\n1,x2\n' >"$D/nan.csv"
expect_error "CSV: not a number" 1 "'x2' in column B is not a number" --input "$D/nan.csv" -o "$D/e.csv"
expect_error "unwritable CSV output" 1 "cannot write output '$D/no/dir/o.csv'" -o "$D/no/dir/o.csv"
expect_error "unwritable HDF5 output" 1 "cannot write '$D/no/dir/o.h5'" -o "$D/no/dir/o.h5"
check "no partial or temporary output left" [ -z "$(find "$D" -name 'e.*' -o -name '*.tmp-*' -o -name no)" ]

# tutorial mode: 7 partitions on 4 ranks, both combine times and the serial time reported
mpirun_n 4 "$TB" --partitions 7 --timing -v >"$TMP/out" 2>&1
check "--timing reports gather, parallel write and serial phases" \
    bash -c "grep -q 'combine: gather' '$TMP/out' && grep -q 'parallel HDF5 write' '$TMP/out' && grep -q 'serial on rank 0' '$TMP/out'"
check "--verbose: rank 3 holds partition 6 only" grep -q 'rank 3: partitions 6..7' "$TMP/out"

finish
