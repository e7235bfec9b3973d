#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# arraystats: the same statistics, bit for bit, at 1, 2, 3, 4 and 7 ranks (2-D grids 2x1, 3x1,
# 2x2, 7x1), shapes smaller than and not divisible by the ranks and the chunks; every saved value
# read back by h5dump; results against an independent serial computation in awk (tolerance below).
. "$(dirname "$0")/../lib.sh"
sample_banner
AS=$BIN/arraystats
DG=$BIN/datagen
D=$TMP/a
mkdir -p "$D"

h5vals() {
    h5dump -y -w 0 -m '%.17g' -d "$2" "$1" | awk '/^ *DATA \{/ && !seen { f = seen = 1; next } f && /^ *\}/ { f = 0 } f' |
        tr ',' '\n' | sed 's/^ *//; /^$/d'
}
stats() { grep -v '^shape' "$1"; } # the CSV line: shape,chunks,grid,sum,mean,std,col_mean_0,row_mean_0
nogrid() { cut -d, -f1,2,4- "$1"; }

for case in "237x151 20x30" "5x3 2x2" "1x1 100x100" "7x13 3x5" "64x64 64x64"; do
    read -r shape chunks <<<"$case"
    R=${shape%x*} C=${shape#*x}
    mpirun_n 1 "$AS" --shape "$shape" --chunks "$chunks" --format csv --save "$D/ref.h5" >"$D/ref.txt" 2>"$TMP/err"
    h5vals "$D/ref.h5" /x >"$D/ref.x"
    check "$shape: /x holds all $((R * C)) values, none left zero" \
        [ "$(wc -l <"$D/ref.x"):$(grep -c -x -E -- '-?0' "$D/ref.x")" = "$((R * C)):0" ]
    rotate 2 2 3 4 7   # sampled: 2 rank counts per shape, in turn (MPIKIT_TEST_FULL=1: all four)
    for n in "${PICKED[@]}"; do
        mpirun_n "$n" "$AS" --shape "$shape" --chunks "$chunks" --format csv --save "$D/got.h5" >"$D/got.txt" 2>"$TMP/err"
        check "$shape chunks $chunks at $n ranks: sum, mean, std, means bit-identical to 1 rank" \
            cmp -s <(nogrid "$D/ref.txt") <(nogrid "$D/got.txt")
        good=1
        for ds in /x /col_mean /row_mean; do cmp -s <(h5vals "$D/ref.h5" $ds) <(h5vals "$D/got.h5" $ds) || good=0; done
        check "$shape at $n ranks: every saved value (/x, /col_mean, /row_mean) equals 1 rank's" [ $good = 1 ]
        # the array written by datagen (1-D row blocks) equals the one arraystats saved
        mpirun_n "$n" "$DG" --shape "$shape" --chunks "$chunks" -o "$D/dg.h5" >/dev/null 2>&1
        check "$shape: datagen at $n ranks writes the same /x" cmp -s "$D/ref.x" <(h5vals "$D/dg.h5" /x)
        mpirun_n "$n" "$AS" --input "$D/dg.h5:/x" --chunks "$chunks" --format csv >"$D/in.txt" 2>"$TMP/err"
        if cmp -s <(nogrid "$D/ref.txt") <(nogrid "$D/in.txt"); then
            ok "$shape: --input at $n ranks gives the generated results"
        else
            not_ok "$shape: --input at $n ranks gives the generated results"
            sed 's/^/#   /' "$D/in.txt" | head -8
        fi
    done
    # Independent serial computation: awk over h5dump's values, in plain row-major order.
    # Tolerance: 1e-12 relative (or absolute near 0); the job adds chunk by chunk, awk row by row.
    h5vals "$D/ref.h5" /col_mean >"$D/cm"
    h5vals "$D/ref.h5" /row_mean >"$D/rm"
    # shellcheck disable=SC2016 # single quotes on purpose: $N are the awk program's fields
    check "$shape: column/row means, sum, mean, std agree with awk within 1e-12" \
        awk -v R="$R" -v C="$C" -v stats="$(stats "$D/ref.txt")" '
            function close_enough(a, b) { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; return d <= 1e-12 * (m > 1 ? m : 1) }
            FILENAME == ARGV[1] { x[NR - 1] = $1 + 0; next }
            FILENAME == ARGV[2] { cm[FNR - 1] = $1 + 0; next }
            { rm[FNR - 1] = $1 + 0 }
            END {
                ok = 1
                for (j = 0; j < C; j++) { s = 0; for (i = 0; i < R; i++) s += x[i * C + j]; if (!close_enough(cm[j], s / R)) ok = 0 }
                for (i = 0; i < R; i++) { s = 0; for (j = 0; j < C; j++) s += x[i * C + j]; if (!close_enough(rm[i], s / C)) ok = 0 }
                t = 0; for (k = 0; k < R * C; k++) t += x[k]; mean = t / (R * C)
                v = 0; for (k = 0; k < R * C; k++) v += (x[k] - mean) ^ 2
                split(stats, f, ",")
                if (!close_enough(f[4], t) || !close_enough(f[5], mean) || !close_enough(f[6], sqrt(v / (R * C)))) ok = 0
                exit !ok
            }' "$D/ref.x" "$D/cm" "$D/rm"
done

# The default is the Dask example: 1000x1000 in 100x100 chunks; 2x2 grid at 4 ranks.
mpirun_n 1 "$AS" --format csv >"$D/d1.txt" 2>"$TMP/err"
mpirun_n 4 "$AS" --format csv >"$D/d4.txt" 2>"$TMP/err"
check "default 1000x1000, 100x100 chunks: 4 ranks (grid 2x2) equals 1 rank" cmp -s <(nogrid "$D/d1.txt") <(nogrid "$D/d4.txt")
check "grid at 4 ranks is 2x2" grep -q ',2x2,' "$D/d4.txt"
# shellcheck disable=SC2016 # single quotes on purpose: $N are the awk program's fields
check "standard normals: |mean| < 0.01, |std - 1| < 0.01" \
    awk -F, 'NR == 2 { exit !($5 < 0.01 && $5 > -0.01 && $6 > 0.99 && $6 < 1.01) }' "$D/d1.txt"
mpirun_n 2 "$AS" --shape 300x200 --chunks 100x100 --progress --save "$D/p.h5" >/dev/null 2>"$D/progress"
check "--progress counts chunks on stderr" grep -q 'chunks' "$D/progress"
check "saved file has provenance and statistics attributes" \
    bash -c "h5dump -A '$D/p.h5' | grep -c -E 'ATTRIBUTE \"(program|version|command|ranks|time|sum|mean|std)\"' | grep -qx 8"
check "/x is chunked 100x100" bash -c "h5dump -p -H -d /x '$D/p.h5' | grep -q 'CHUNKED ( 100, 100 )'"
check "h5ls lists /x, /col_mean, /row_mean" \
    bash -c "h5ls '$D/p.h5' | awk '{ print \$1 }' | sort | tr '\n' ' ' | grep -qx 'col_mean row_mean x '"

finish
