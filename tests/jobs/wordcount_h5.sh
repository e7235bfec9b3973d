#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# wordcount --counts FILE.h5: every rank writes a block of rows of the word table in parallel;
# h5dump reads back every word and count, which must equal the CSV --counts (the gathered table)
# row for row, most frequent first, at 1, 2, 3, 4 and 7 ranks, including fewer distinct words
# than ranks (empty blocks).
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
D=$TMP/w
mkdir -p "$D"

h5vals() {
    h5dump -y -w 0 -d "$2" "$1" | awk '/^ *DATA \{/ && !seen { f = seen = 1; next } f && /^ *\}/ { f = 0 } f' |
        tr ',' '\n' | sed 's/^ *//; /^$/d; s/"//g'
}
h5attr() { h5dump -a "/$2" "$1" | awk '/\(0\):/ { print $2 }'; }

"$BIN/textgen" --bytes 200000 --seed 5 -o "$D/text" >/dev/null 2>&1 ||
    mpirun_n 1 "$BIN/textgen" --bytes 200000 --seed 5 -o "$D/text" >/dev/null 2>&1
printf 'b a b\n' >"$D/tiny"
for f in text tiny; do
    mpirun_n 1 "$WC" --counts "$D/ref.csv" "$D/$f" >/dev/null 2>&1
    tail -n +2 "$D/ref.csv" >"$D/ref.rows"
    sort "$D/ref.rows" >"$D/ref.sorted"
    distinct=$(wc -l <"$D/ref.sorted")
    tokens=$(awk -F, '{ s += $2 } END { print s }' "$D/ref.sorted")
    for n in $RANKS; do
        mpirun_n "$n" "$WC" --counts "$D/c.h5" "$D/$f" >/dev/null 2>"$TMP/err"
        paste -d, <(h5vals "$D/c.h5" /word) <(h5vals "$D/c.h5" /count) >"$D/got.rows"
        sort "$D/got.rows" >"$D/got.sorted"
        same_file "$f at $n ranks: every (word, count) in the HDF5 file equals the CSV" "$D/ref.sorted" "$D/got.sorted"
        same_file "$f at $n ranks: in the CSV's order, most frequent first" "$D/ref.rows" "$D/got.rows"
        check "$f at $n ranks: attributes distinct=$distinct tokens=$tokens, ranks=$n" \
            [ "$(h5attr "$D/c.h5" distinct):$(h5attr "$D/c.h5" tokens):$(h5attr "$D/c.h5" ranks)" = "$distinct:$tokens:$n" ]
    done
done
check "word is a fixed-length string dataset" bash -c "h5dump -H -d /word '$D/c.h5' | grep -q 'STRSIZE [0-9]'"
check "h5ls lists count and word" bash -c "h5ls '$D/c.h5' | awk '{ print \$1 }' | tr '\n' ' ' | grep -qx 'count word '"
check "no temporary left" [ -z "$(find "$D" -name '*.tmp-*')" ]
# the CSV branch is unchanged: still a header and word,count lines, most frequent first
mpirun_n 3 "$WC" --counts "$D/c.csv" "$D/tiny" >/dev/null 2>&1
check "CSV --counts unchanged" [ "$(tr '\n' ' ' <"$D/c.csv")" = "word,count b,2 a,1 " ]

finish
