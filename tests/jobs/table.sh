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
# same_numbers REF OUT: the same lines and fields, numbers equal within 1e-12 relative (the job
# writes the shortest form that reads back to the double; references print %.17g; groupby sums
# are compensated and merged per rank, so the last bit may differ from a serial sum).
same_numbers() {
    awk -F, 'function abs(x) { return x < 0 ? -x : x }
        NR == FNR { ref[FNR] = $0; n = FNR; next }
        { m = FNR; split(ref[FNR], r, ","); if (NF != length(r)) bad = 1
          for (i = 1; i <= NF; i++) if ($i != r[i]) {
              if ($i + 0 != $i || r[i] + 0 != r[i]) { bad = 1; continue }
              d = abs($i - r[i]); s = abs(r[i]) > 1 ? abs(r[i]) : 1; if (d / s > 1e-12) bad = 1 } }
        END { exit bad || m != n }' "$1" "$2"
}

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
            check "groupby $key, $rows rows, $n ranks equals sort+awk" same_numbers "$D/gref.csv" "$D/g.csv"
        done
    done
done
# groupby on the applied column, and to HDF5
mpirun_n 3 "$TB" --input "$D/in1001.csv" --apply 'K=A/10' --groupby B --agg sum:K -o "$D/gk.csv" >/dev/null 2>&1
awk -F, 'NR > 1 { s[$2] += $1 / 10 } END { for (g in s) printf "%s,%.17g\n", g, s[g] }' "$D/in1001.csv" |
    sort -t, -k1,1n | sed '1i B,sum_K' >"$D/gkref.csv"
check "groupby over an applied column (K=A/10, non-integers) equals awk" same_numbers "$D/gkref.csv" "$D/gk.csv"
mpirun_n 4 "$TB" --input "$D/in1001.csv" --groupby B --agg sum:A,mean:C,count,min:D,max:D -o "$D/g.h5" >/dev/null 2>&1
mpirun_n 1 "$TB" --input "$D/in1001.csv" --groupby B --agg sum:A,mean:C,count,min:D,max:D -o "$D/g1.csv" >/dev/null 2>&1
good=1
for c in 1 2 3 4 5 6; do
    same_numbers <(csvcol "$D/g1.csv" $c) <(h5vals "$D/g.h5" "/$(head -1 "$D/g1.csv" | cut -d, -f$c)") || good=0
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
expect_error "unknown aggregation" 2 "unknown aggregation 'mode'" --groupby B --agg mode:A -o "$D/e.csv"
expect_error "unknown groupby column" 2 "unknown column 'Q'" --groupby Q -o "$D/e.csv"
expect_error "unknown second groupby column" 2 "unknown column 'Q'" --groupby A,Q -o "$D/e.csv"
expect_error "groupby column twice" 2 "'A' named twice" --groupby A,B,A -o "$D/e.csv"
expect_error "--where: unknown column" 2 "^table: error: --where: .*unknown column 'Q'" --where 'A > Q' -o "$D/e.csv"
expect_error "--where: dangling comparison" 2 "--where: .*at column 4" --where 'A >' -o "$D/e.csv"
expect_error "bad output suffix" 2 "expected a .csv" -o "$D/e.txt"
expect_error "missing input" 1 "cannot open '$D/nope.csv'" --input "$D/nope.csv" -o "$D/e.csv"
printf 'A,B\n1,2\n3\n' >"$D/short.csv"
expect_error "CSV: missing field" 1 "short.csv:3: expected 2 fields, found 1" --input "$D/short.csv" -o "$D/e.csv"
printf 'A,B\n1,x2\n' >"$D/text.csv"
expect_error "CSV: a text column in an expression" 2 "column 'B' is text" --input "$D/text.csv" --apply 'K=B*2' \
    -o "$D/e.csv"
expect_error "CSV: a text column to HDF5" 2 "column 'B' is text" --input "$D/text.csv" -o "$D/e.h5"
expect_error "unwritable CSV output" 1 "cannot write output '$D/no/dir/o.csv'" -o "$D/no/dir/o.csv"
expect_error "unwritable HDF5 output" 1 "cannot write '$D/no/dir/o.h5'" -o "$D/no/dir/o.h5"
check "no partial or temporary output left" [ -z "$(find "$D" -name 'e.*' -o -name '*.tmp-*' -o -name no)" ]

# ---- Real CSV files against pandas (issue 15): text columns, quotes, missing values, BOM, ';',
# CRLF, pandas' index column, records straddling rank edges; at a sample of rank counts.
PY=/usr/bin/python3
VEGA=$(dpkg -L python3-vega-datasets 2>/dev/null | grep '/seattle-weather.csv$' | xargs -r dirname)
if [ ! -x "$PY" ] || ! "$PY" -c 'import pandas' 2>/dev/null || [ -z "$VEGA" ]; then
    not_ok "pandas (/usr/bin/python3) and python3-vega-datasets are needed for the CSV parity tests"
else
    sample_banner
    # Hostile files: written by pandas (quotes, separators and newlines in fields, UTF-8, missing
    # cells, the unnamed index column) and by hand (BOM, ';', CRLF, quoted headers, NA spellings).
    "$PY" - "$D" <<'EOF'
import sys, random, numpy as np, pandas as pd
d = sys.argv[1]
rng = random.Random(15)
keys = ['plain', 'Smith, John', 'say "hi"', 'two\nlines', 'café ☕', ' lead', None]
rows = []
for i in range(400):
    text = rng.choice(['x', 'a,b', 'q"q', 'multi\nline\nfield' * rng.randint(1, 30), '', None])
    rows.append({'key': rng.choice(keys), 'x': rng.choice([rng.uniform(-1e3, 1e3), float('nan'), float('inf'), -0.0, 1e300]),
                 'n': rng.randint(-5, 5), 'note': text})
pd.DataFrame(rows).to_csv(f'{d}/h1.csv')                     # index column, QUOTE_MINIMAL
with open(f'{d}/h2.csv', 'wb') as f:                            # BOM, ';', CRLF, quoted header, NA spellings
    f.write('\ufeff"grp";"val";"w"\r\n'.encode())
    for i in range(300):
        g = ['a;b', 'NA', '', 'c', '"q"'][i % 5]
        g = '"' + g.replace('"', '""') + '"' if (';' in g or '"' in g) else g
        v = ['1.5', '', 'NaN', 'null', str(i), '-2e3'][i % 6]
        f.write(f'{g};{v};{i % 7}\r\n'.encode())
with open(f'{d}/h3.csv', 'w') as f:                              # tab, one row, no final newline, repeated names
    f.write('k\tv\tv\tv.1\nonly\t4.25\t1\t2')
EOF
    # file|sep|keys|aggs|apply (keys: one column or several, comma-separated)
    cat >"$D/cases" <<EOF
$VEGA/seattle-weather.csv||weather|mean:temp_max,sum:precipitation,count,std:wind,min:temp_min,max:wind,var:temp_max,median:wind,nunique:wind,first:temp_max,last:temp_min|K=temp_max-temp_min
$VEGA/stocks.csv||symbol|mean:price,count,max:price,std:price,median:price,first:price,last:price|K=price*2
$VEGA/airports.csv||state|mean:latitude,count:iata,min:longitude|K=latitude/2
$VEGA/iowa-electricity.csv||source,year|sum:net_generation,mean:net_generation|K=net_generation/1000
$D/h1.csv||n,key|sum:x,mean:n,count,count:note,min:x,max:x,std:n,median:x,nunique:x,first:x,last:x|K=n*x
$D/h2.csv|;|grp|sum:val,mean:val,count,count:val,std:w|K=w+val
$D/h3.csv||k,v.1|sum:v,count|K=v*2
EOF
    # every file at one rank count (the list rotated per file, so the sample differs), four more
    # cells of the file x ranks matrix, and two fixed ones
    matrix=()
    chosen=" seattle-weather.csv:3 h1.csv:7 "
    k=0
    ranks=(1 2 3 4 7)
    while IFS='|' read -r file _; do
        for n in "${ranks[@]}"; do matrix+=("$(basename "$file"):$n"); done
        rot=("${ranks[@]:k%5}" "${ranks[@]:0:k%5}")
        for n in $(sample 1 "${rot[@]}"); do chosen+="$(basename "$file"):$n "; done
        k=$((k + 1))
    done <"$D/cases"
    chosen+="$(sample 4 "${matrix[@]}" | tr '\n' ' ') "
    : >"$D/runs"
    i=0
    while IFS='|' read -r file sep key aggs apply; do
        for n in 1 2 3 4 7; do
            case "$chosen" in *" $(basename "$file"):$n "*) ;; *) continue ;; esac
            i=$((i + 1))
            # </dev/null: mpirun would read the rest of the case list from stdin
            mpirun_n "$n" "$TB" --input "$file" ${sep:+--sep "$sep"} --apply "$apply" -o "$D/p$i.csv" \
                </dev/null >/dev/null 2>"$TMP/err" || sed 's/^/#   /' "$TMP/err"
            printf 'rows|%s|%s|%s|%s|%s|%s|\n' "$(basename "$file") at $n ranks" "$file" "$D/p$i.csv" "$sep" "$apply" "" >>"$D/runs"
            mpirun_n "$n" "$TB" --input "$file" -g "$key" --agg "$aggs" -o "$D/g$i.csv" \
                </dev/null >/dev/null 2>"$TMP/err" || sed 's/^/#   /' "$TMP/err"
            printf 'groupby|%s|%s|%s|%s|%s|%s|\n' "$(basename "$file") at $n ranks" "$file" "$D/g$i.csv" "$sep" "$key" "$aggs" >>"$D/runs"
        done
    done <"$D/cases"
    # --where (comparisons, & | not, NaN false as in pandas' query), after --apply, before the
    # groupby: file|keys (empty: rows)|aggs or apply|where, each at one rank count in turn
    cat >"$D/wcases" <<EOF
$VEGA/seattle-weather.csv||K=temp_max-temp_min|K > 10 & precipitation == 0 | not wind < 6
$VEGA/stocks.csv|symbol|count,median:price,first:price|price > 100 | price <= 20
$D/h1.csv|key,n|count,sum:x,nunique:x|x > 0 and n != 2 or ~(x == x)
EOF
    while IFS='|' read -r file key what where; do
        rotate_ranks 1
        n=${PICKED[0]}
        i=$((i + 1))
        if [ -z "$key" ]; then
            mpirun_n "$n" "$TB" --input "$file" --apply "$what" --where "$where" -o "$D/w$i.csv" \
                </dev/null >/dev/null 2>"$TMP/err" || sed 's/^/#   /' "$TMP/err"
            printf 'rows|%s|%s|%s||%s||%s\n' "$(basename "$file") --where at $n ranks" "$file" "$D/w$i.csv" "$what" "$where" >>"$D/runs"
        else
            mpirun_n "$n" "$TB" --input "$file" --where "$where" -g "$key" --agg "$what" -o "$D/w$i.csv" \
                </dev/null >/dev/null 2>"$TMP/err" || sed 's/^/#   /' "$TMP/err"
            printf 'groupby|%s|%s|%s||%s|%s|%s\n' "$(basename "$file") --where at $n ranks" "$file" "$D/w$i.csv" "$key" "$what" "$where" >>"$D/runs"
        fi
    done <"$D/wcases"
    # One pandas run checks every output: read the input with pandas, compute the same thing,
    # read mpikit's output with pandas, compare (text exactly, numbers within 1e-12 relative).
    "$PY" - "$D/runs" >"$TMP/verdicts" 2>&1 <<'EOF'
import sys, numpy as np, pandas as pd
def same(exp, got):
    if list(exp.columns) != list(got.columns): return f'columns {list(got.columns)} != {list(exp.columns)}'
    if len(exp) != len(got): return f'{len(got)} rows != {len(exp)}'
    for c in exp.columns:
        a, b = exp[c].reset_index(drop=True), got[c].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            if not np.allclose(a.astype(float), b.astype(float), rtol=1e-12, atol=0, equal_nan=True):
                return f'column {c}: {b.tolist()[:5]} != {a.tolist()[:5]}'
        elif [None if pd.isna(v) else str(v) for v in a] != [None if pd.isna(v) else str(v) for v in b]:
            return f'column {c} differs'
    return None
for line in open(sys.argv[1]):
    kind, name, src, out, sep, what, aggs, where = line.rstrip('\n').split('|', 7)  # where may hold |
    try:
        if not sep:  # what table detects: the most frequent of , ; tab in the header line
            header = open(src, encoding='utf-8-sig').readline()
            sep = max([',', ';', '\t'], key=header.count)
        df = pd.read_csv(src, sep=sep)
        got = pd.read_csv(out)
        if kind == 'rows':
            col, expr = what.split('=', 1)
            df[col] = df.eval(expr)
            why = same(df.query(where) if where else df, got)
        else:
            df = df.query(where) if where else df
            g = df.groupby(what.split(',') if ',' in what else what)  # several keys: a list
            res = {}
            for item in aggs.split(','):
                fn, _, c = item.partition(':')
                # pandas 1.5's groupby sum is Kahan's, which turns inf + x into NaN (later pandas
                # fixed it): the reference sums each group with Series.sum, exact with inf
                res[f'{fn}_{c}' if c else 'count'] = (g[c].agg(lambda s: s.sum()) if fn == 'sum' else g[c].agg(fn)) if c else g.size()
            why = same(pd.DataFrame(res).reset_index(), got)
    except Exception as e:
        why = f'{type(e).__name__}: {e}'
    print(f'ok - {kind} {name} equals pandas' if why is None else f'not ok - {kind} {name} equals pandas: {why}')
EOF
    while IFS= read -r line; do
        case $line in
        "ok - "*) ok "${line#ok - }" ;;
        "not ok - "*) not_ok "${line#not ok - }" ;;
        *) echo "#   $line" ;;
        esac
    done <"$TMP/verdicts"
    # issue 13 #14: what table writes (NaN as empty, inf, quotes, newlines) it reads back: the
    # same bytes after a second pass
    mpirun_n 3 "$TB" --input "$D/h1.csv" --apply 'K=n*x' -o "$D/rt1.csv" >/dev/null 2>&1
    mpirun_n 2 "$TB" --input "$D/rt1.csv" --apply 'K=n*x' -o "$D/rt2.csv" >/dev/null 2>&1
    check "table reads back what it wrote (NaN, inf, quoted newlines): the same bytes" \
        bash -c "[ -s '$D/rt1.csv' ] && cmp -s '$D/rt1.csv' '$D/rt2.csv' && grep -q ',inf' '$D/rt1.csv'"
    # issue 13 #12: an HDF5 table whose datasets have 0 rows (h5py: contiguous, no storage)
    "$PY" -c "import h5py, numpy as np; f = h5py.File('$D/zero.h5', 'w'); f['A'] = np.zeros(0, 'i8'); f['B'] = np.zeros(0); f.close()"
    mpirun_n 2 "$TB" --input "$D/zero.h5" -o "$D/zero.csv" >/dev/null 2>"$TMP/err" || sed 's/^/#   /' "$TMP/err"
    check "HDF5 table with 0-row datasets (h5py) reads as 0 rows" cmp -s "$D/zero.csv" <(printf 'A,B,K\n')
    check "pandas checked every run, every case file at least once" \
        [ "$(grep -c '^\(not \)\?ok - ' "$TMP/verdicts"):$(cut -d'|' -f3 "$D/runs" | sort -u | wc -l)" = \
          "$(wc -l <"$D/runs"):$(wc -l <"$D/cases")" ]
fi

# Bad CSV files at 3 ranks: one line naming file:line, exit 1, no output. The defects sit late in
# the file, so the rank that finds them is not rank 0 and the line number is global.
awk 'BEGIN { print "a,b,c"; for (i = 2; i <= 300; i++) print i ",\"x\ny\"," i }' >"$D/good.csv" # 2 lines a row
{ cat "$D/good.csv"; echo '7,"never closed,8'; echo '9,9,9'; } >"$D/unclosed.csv"
{ head -401 "$D/good.csv"; echo '1,2,3,4'; tail -n +402 "$D/good.csv"; } >"$D/ragged.csv"
{ head -501 "$D/good.csv"; echo '1,ab"c,3'; tail -n +502 "$D/good.csv"; } >"$D/quote.csv"
expect_error "CSV: unclosed quote at the end" 1 "unclosed.csv:600: unclosed quote" --input "$D/unclosed.csv" -o "$D/e.csv"
expect_error "CSV: ragged row" 1 "ragged.csv:402: expected 3 fields, found 4" --input "$D/ragged.csv" -o "$D/e.csv"
expect_error "CSV: quote inside an unquoted field" 1 "quote.csv:502: quote inside" --input "$D/quote.csv" -o "$D/e.csv"
check "bad CSV files leave no output" [ ! -e "$D/e.csv" ]

# tutorial mode: 7 partitions on 4 ranks, both combine times and the serial time reported
mpirun_n 4 "$TB" --partitions 7 --timing -v >"$TMP/out" 2>&1
check "--timing reports load, gather and parallel write phases" \
    bash -c "grep -q 'combine: gather' '$TMP/out' && grep -q 'parallel HDF5 write' '$TMP/out' && grep -q '^ *load' '$TMP/out'"
check "--verbose: rank 3 holds partition 6 only" grep -q 'rank 3: partitions 6..7' "$TMP/out"

finish
