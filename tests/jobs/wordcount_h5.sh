#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# wordcount --counts FILE.h5: every rank writes its shard of the word table in parallel, the words
# stored compactly (word_bytes back to back, word_offset, count). h5py (/usr/bin/python3) reads
# back every word and count, which must equal an independent count (grep -o | tr | sort | uniq -c)
# at 1, 2, 3, 4 and 7 ranks, including fewer distinct words than ranks (empty shards); h5dump
# reads the same. The file is as small as its words: a 10,000-letter token used to pad every
# word to 10,001 bytes (issue 13, defect 7: 258 MB for pg100 plus that token).
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
PY=/usr/bin/python3
D=$TMP/w
mkdir -p "$D"

h5vals() {
    h5dump -y -w 0 -d "$2" "$1" | awk '/^ *DATA \{/ { f = 1; next } f && /^ *\}/ { f = 0 } f' |
        tr ',' '\n' | sed 's/^ *//; /^$/d; s/"//g'
}
h5attr() { h5dump -a "/$2" "$1" | awk '/\(0\):/ { print $2 }'; }
# ref_counts FILE : "word,count" per distinct word, sorted: an independent count
# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
ref_counts() { grep -ahoE '[A-Za-z]+' "$1" | tr 'A-Z' 'a-z' | sort | uniq -c | awk '{ print $2 "," $1 }' | sort; }
# h5py_counts FILE.h5 : the same from the HDF5 file, read with h5py
h5py_counts() {
    "$PY" -c '
import sys, h5py
f = h5py.File(sys.argv[1], "r")
b, off, cnt = f["word_bytes"][:].tobytes(), f["word_offset"][:], f["count"][:]
assert len(off) == len(cnt) + 1 and off[0] == 0 and off[-1] == len(b), (len(off), len(cnt), len(b))
for i in range(len(cnt)):
    print("%s,%d" % (b[off[i]:off[i + 1]].decode("ascii"), cnt[i]))' "$1" | sort
}

"$BIN/textgen" --bytes 200000 --seed 5 -o "$D/text" >/dev/null 2>&1 ||
    mpirun_n 1 "$BIN/textgen" --bytes 200000 --seed 5 -o "$D/text" >/dev/null 2>&1
# long: 6 distinct words (fewer than 7 ranks), two of 301 letters, one of 10,000
long_a=$(head -c 300 /dev/zero | tr '\0' a)
{
    for _ in 1 2 3; do printf '%sx, b a b\n' "$long_a"; done
    printf '%sY the %s\n' "$long_a" "$(head -c 10000 /dev/zero | tr '\0' Q)"
} >"$D/long"
for f in text long; do
    ref_counts "$D/$f" >"$D/ref.sorted"
    distinct=$(wc -l <"$D/ref.sorted")
    tokens=$(awk -F, '{ s += $2 } END { print s }' "$D/ref.sorted")
    word_bytes=$(awk -F, '{ s += length($1) } END { print s }' "$D/ref.sorted")
    # the layout's size: the words' bytes, 8 + 8 bytes of offset and count per word, and 16 KiB
    # for HDF5's metadata and the provenance attributes (about 4 KiB measured); padded to the
    # longest word, long's 6 words took 60 KB
    bound=$((word_bytes + 16 * (distinct + 1) + 16384))
    for n in $RANKS; do
        mpirun_n "$n" "$WC" --counts "$D/c.h5" "$D/$f" >/dev/null 2>"$TMP/err"
        h5py_counts "$D/c.h5" >"$D/got.sorted" 2>"$TMP/py"
        same_file "$f at $n ranks: every (word, count) read by h5py equals grep|sort|uniq -c" "$D/ref.sorted" "$D/got.sorted"
        check "$f at $n ranks: attributes distinct=$distinct tokens=$tokens, ranks=$n" \
            [ "$(h5attr "$D/c.h5" distinct):$(h5attr "$D/c.h5" tokens):$(h5attr "$D/c.h5" ranks)" = "$distinct:$tokens:$n" ]
        size=$(stat -c %s "$D/c.h5")
        check "$f at $n ranks: $size bytes <= $bound ($word_bytes bytes of words, $distinct words)" [ "$size" -le "$bound" ]
    done
done
# h5dump reads the same words: the bytes dumped raw, cut at the offsets
h5dump -d /word_bytes -b -o "$D/bytes.bin" "$D/c.h5" >/dev/null
paste -d, <(h5vals "$D/c.h5" /word_offset | head -n -1) <(h5vals "$D/c.h5" /word_offset | tail -n +2) \
    <(h5vals "$D/c.h5" /count) |
    awk -F, -v bytes="$D/bytes.bin" 'BEGIN { getline s <bytes } { print substr(s, $1 + 1, $2 - $1) "," $3 }' |
    sort >"$D/got.sorted"
same_file "h5dump reads the same words and counts (7 ranks, long words)" "$D/ref.sorted" "$D/got.sorted"
check "h5ls lists count, word_bytes and word_offset" \
    bash -c "h5ls '$D/c.h5' | awk '{ print \$1 }' | tr '\n' ' ' | grep -qx 'count word_bytes word_offset '"
# no letters at all: empty datasets, word_offset = [0]
printf '123 456\n' >"$D/digits"
mpirun_n 3 "$WC" --counts "$D/d.h5" "$D/digits" >/dev/null 2>"$TMP/err"
rc=$?
check "no words at 3 ranks: exit $rc, empty table, word_offset [0]" \
    [ "$rc:$(h5py_counts "$D/d.h5" | wc -l):$(h5vals "$D/d.h5" /word_offset)" = "0:0:0" ]
check "no temporary left" [ -z "$(find "$D" -name '*.tmp-*')" ]
# the CSV branch is unchanged: still a header and word,count lines, most frequent first
printf 'b a b\n' >"$D/tiny"
mpirun_n 3 "$WC" --counts "$D/c.csv" "$D/tiny" >/dev/null 2>&1
check "CSV --counts unchanged" [ "$(tr '\n' ' ' <"$D/c.csv")" = "word,count b,2 a,1 " ]

finish
