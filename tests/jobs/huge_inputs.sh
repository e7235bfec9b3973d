#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Huge inputs: a 5 GiB sparse file (per-rank ranges above 2 GiB, offsets past 2^31 and 2^32),
# more than 2^31 lines, and HDF5 transfers split in pieces. Expected values never come from
# the program under test: the sparse file's counts come from `LC_ALL=C wc` on a small model
# (the same text pieces with short NUL runs where the holes are; a run of NULs counts alike
# at any length), its size from stat; the newline file is checked against `wc -l`.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
CASES=0
D=$TMP/huge
mkdir -p "$D"

# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
ref_counts() {
    echo "word,count"
    grep -ahoE '[A-Za-z]+' "$@" | tr 'A-Z' 'a-z' | sort | uniq -c |
        awk '{ print $2 "," $1 }' | sort -t, -k2,2nr -k1,1
}

# The values of a dataset, one per line (as tests/jobs/wordcount_h5.sh reads them).
h5vals() {
    h5dump -y -w 0 -d "$2" "$1" | awk '/^ *DATA \{/ && !seen { f = seen = 1; next } f && /^ *\}/ { f = 0 } f' |
        tr ',' '\n' | sed 's/^ *//; /^$/d; s/"//g'
}

# "word,count" lines of wordcount's --counts .h5, where word i = word_bytes[word_offset[i] :
# word_offset[i + 1]] (the bytes dumped raw, then cut at the offsets).
h5words() {
    h5dump -d /word_bytes -b -o "$1.bytes" "$1" >/dev/null
    paste -d, <(h5vals "$1" /word_offset | head -n -1) <(h5vals "$1" /word_offset | tail -n +2) \
        <(h5vals "$1" /count) |
        awk -F, -v bytes="$1.bytes" 'BEGIN { getline s <bytes } { print substr(s, $1 + 1, $2 - $1) "," $3 }'
}

free_bytes() { df -P -B1 "$1" | awk 'NR == 2 { print $4 }'; }

echo "# ${SECONDS}s"
# ---- a 5 GiB sparse file with text at the start, around 2^31, the rank edges, 2^32, the end
SIZE=$((5 * 1024 * 1024 * 1024))
BIG=$D/sparse.txt
MODEL=$D/model.txt
truncate -s "$SIZE" "$BIG"
# offset and text of each piece, in increasing offset order
PIECES=(
    0 "Alpha beta\ngamma"
    $((2147483648 - 3)) "crossing two gigs\n"
    $((SIZE / 3 - 2)) "xyzzy plugh\n"
    $((SIZE / 2 - 4)) "boundary word between ranks\n"
    $((2 * SIZE / 3 - 3)) "third edge\n"
    $((4294967296 - 4)) "four gig line\n"
    $((SIZE - 8)) "the end\n"
)
: >"$MODEL"
prev_end=0
for ((i = 0; i < ${#PIECES[@]}; i += 2)); do
    off=${PIECES[i]}
    text=${PIECES[i + 1]}
    # shellcheck disable=SC2059 # the pieces are format strings on purpose (\n)
    printf "$text" | dd of="$BIG" conv=notrunc bs=1M oflag=seek_bytes seek="$off" status=none
    if [ "$off" -gt "$prev_end" ]; then printf '\0\0\0' >>"$MODEL"; fi
    # shellcheck disable=SC2059
    printf "$text" >>"$MODEL"
    # shellcheck disable=SC2059
    prev_end=$((off + $(printf "$text" | wc -c)))
done
if [ "$prev_end" -lt "$SIZE" ]; then printf '\0\0\0' >>"$MODEL"; fi

read -r ref_lines ref_words _ < <(LC_ALL=C wc "$MODEL")
ref_bytes=$(stat -c %s "$BIG")
ref_counts "$MODEL" >"$TMP/counts.ref"
check "sparse file is $SIZE bytes and sparse (< 1 MiB on disk)" \
    [ "$ref_bytes:$(($(du -k "$BIG" | cut -f1) < 1024))" = "$SIZE:1" ]

# 1 rank reads all 5 GiB (a range > 2 GiB), 2 ranks 2.5 GiB each (largest chunk too), 3 ranks.
# Sampled: two of the three in turn (MPIKIT_TEST_FULL=1: all three).
sample_banner
rotate 2 1 2 3
for n in "${PICKED[@]}"; do
    extra=()
    if [ "$n" = 2 ]; then extra=(--chunk-size 1G); fi
    rm -f "$D/counts.csv"
    if mpirun_n "$n" "$WC" "${extra[@]}" -f csv --table files --top 0 --counts "$D/counts.csv" "$BIG" >"$TMP/out" 2>"$TMP/err"; then
        got=$(awk -F, 'NR == 2 { print $2, $3, $4 }' "$TMP/out")
        check "5 GiB sparse at $n ranks ${extra[*]}: lines words bytes = $ref_lines $ref_words $ref_bytes (got $got)" \
            [ "$got" = "$ref_lines $ref_words $ref_bytes" ]
        same_file "5 GiB sparse at $n ranks: word table" "$TMP/counts.ref" "$D/counts.csv"
    else
        not_ok "5 GiB sparse at $n ranks exited non-zero"
        grep -v -e '^--' -e '^ ' -e '^$' "$TMP/err" | sed 's/^/#   /' | head -5
    fi
    CASES=$((CASES + 1))
done

# JSON carries the 64-bit counts unchanged (no 32-bit printf on the way); text is wc's layout.
mpirun_n 3 "$WC" --mode wc -f json "$BIG" >"$TMP/out" 2>"$TMP/err"
check "JSON at 3 ranks: total lines $ref_lines, words $ref_words, bytes $ref_bytes" \
    grep -q "{\"lines\": $ref_lines, \"words\": $ref_words, \"bytes\": $ref_bytes}" "$TMP/out"
mpirun_n 2 "$WC" --mode wc "$BIG" >"$TMP/out" 2>"$TMP/err"
check "text at 2 ranks: $ref_lines $ref_words $ref_bytes" \
    [ "$(awk 'NR == 1 { print $1, $2, $3 }' "$TMP/out")" = "$ref_lines $ref_words $ref_bytes" ]
CASES=$((CASES + 2))

# findfiles: sizes past 4 GiB in the size filters and the byte total (against find and stat).
for n in 1 3; do
    mpirun_n "$n" "$BIN/findfiles" --min-size 4G -f csv --count "$D" >"$TMP/out" 2>"$TMP/err"
    want="$(find "$D" -type f -size +4194304k | wc -l),$ref_bytes"
    got=$(awk -F, 'NR == 2 { print $4 "," $5 }' "$TMP/out")
    check "findfiles --min-size 4G at $n ranks: matched,bytes = $want (got $got)" [ "$got" = "$want" ]
    mpirun_n "$n" "$BIN/findfiles" --max-size 4G --type f "$D" >"$TMP/out" 2>"$TMP/err"
    check "findfiles --max-size 4G at $n ranks leaves the 5 GiB file out" \
        [ "$(cat "$TMP/out")" = "$(find "$D" -type f -size -4194305k | sort)" ]
    CASES=$((CASES + 2))
done

# table reads CSV on rank 0: a 5 GiB sparse "CSV" stops at the first NUL with one clear line.
rm -f "$BIG"
truncate -s "$SIZE" "$D/sparse.csv"
printf 'A,B\n1,2\n3,4\n' | dd of="$D/sparse.csv" conv=notrunc status=none
for n in 1 3; do
    mpirun_n "$n" "$BIN/table" --input "$D/sparse.csv" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    check "table on a 5 GiB sparse CSV at $n ranks: exit 1, one line naming the NUL" \
        [ "$rc:$(grep -c "^table: error: '$D/sparse.csv' has a NUL byte at offset 12" "$TMP/err")" = 1:1 ]
    CASES=$((CASES + 1))
done
rm -f "$BIG" "$D/sparse.csv" "$MODEL"

echo "# ${SECONDS}s"
# ---- more than 2^31 lines: 2^31 + 1000 newlines (a real 2 GiB file, deleted afterwards)
NL=$((2147483648 + 1000))
if [ "$(free_bytes "$TMP")" -lt $((NL + 1073741824)) ]; then
    echo "# SKIP more than 2^31 lines: less than 3 GiB free in $TMP"
else
    head -c "$NL" /dev/zero | tr '\0' '\n' >"$D/newlines"
    want=$(LC_ALL=C wc -l <"$D/newlines")
    for n in 1 3; do
        mode="all"
        if [ "$n" = 3 ]; then mode="wc"; fi
        mpirun_n "$n" "$WC" --mode "$mode" -f csv --table files "$D/newlines" >"$TMP/out" 2>"$TMP/err"
        got=$(awk -F, 'NR == 2 { print $2 }' "$TMP/out")
        check "2^31+1000 lines at $n ranks (mode $mode): $want (got $got)" [ "$got" = "$want" ]
        CASES=$((CASES + 1))
    done
    rm -f "$D/newlines"
fi

echo "# ${SECONDS}s"
# ---- HDF5 transfers split in pieces: MPIKIT_H5_MAX_TRANSFER lowers the 1 GiB limit to 4 KiB,
# so every write and read below is cut in many pieces (ranks with fewer pieces take part
# empty); the files and results must equal the unsplit ones.
split_env() { MPIKIT_H5_MAX_TRANSFER=4096 "$@"; }
mpirun_n 1 "$BIN/datagen" --shape 301x203 --chunks 64x203 --rows 1000 -o "$D/ref.h5" >/dev/null 2>"$TMP/err"
# the grid column (field 3) depends on the rank count; the statistics must not
mpirun_n 1 "$BIN/arraystats" --input "$D/ref.h5:/x" --shape 301x203 --chunks 64x50 -f csv 2>>"$TMP/err" |
    cut -d, -f3 --complement >"$TMP/stats.ref"
mpirun_n 1 "$BIN/table" --input "$D/ref.h5" --head 0 -o "$D/tref.h5" >/dev/null 2>>"$TMP/err"
for n in 1 3; do
    rm -f "$D/split.h5" "$D/save.h5" "$D/t.h5"
    split_env mpirun_n "$n" "$BIN/datagen" --shape 301x203 --chunks 64x203 --rows 1000 -o "$D/split.h5" >/dev/null 2>"$TMP/err"
    check "datagen, transfers split, $n ranks: /x and table equal the unsplit file" \
        h5diff "$D/ref.h5" "$D/split.h5" /x /x
    check "  ... /A equal" h5diff "$D/ref.h5" "$D/split.h5" /A /A
    split_env mpirun_n "$n" "$BIN/arraystats" --input "$D/split.h5:/x" --shape 301x203 --chunks 64x50 -f csv \
        --save "$D/save.h5" 2>"$TMP/err" | cut -d, -f3 --complement >"$TMP/stats.out"
    same_file "arraystats, split reads and --save writes, $n ranks: same statistics" "$TMP/stats.ref" "$TMP/stats.out"
    # the values, every bit (h5diff would also compare the datasets' description attributes)
    check "  ... saved /x equals the input" \
        cmp -s <(h5dump -y -w 0 -m '%.17g' -A 0 -d /x "$D/ref.h5" | sed 1d) <(h5dump -y -w 0 -m '%.17g' -A 0 -d /x "$D/save.h5" | sed 1d)
    split_env mpirun_n "$n" "$BIN/table" --input "$D/split.h5" --head 0 -o "$D/t.h5" >/dev/null 2>"$TMP/err"
    same=1
    for ds in $(h5ls "$D/tref.h5" | awk '{ print $1 }'); do
        h5diff -q "$D/tref.h5" "$D/t.h5" "/$ds" "/$ds" || same=0
    done
    check "table .h5 in and out, split, $n ranks: every column equals the unsplit one" [ "$same" = 1 ]
    CASES=$((CASES + 3))
done
"$TOOLS/bytes" text 7 300000 >"$D/words.txt"
ref_counts "$D/words.txt" >"$TMP/counts.ref"
for n in 1 3; do
    rm -f "$D/c.h5"
    split_env mpirun_n "$n" "$WC" --top 0 --counts "$D/c.h5" "$D/words.txt" >/dev/null 2>"$TMP/err"
    {
        echo "word,count"
        h5words "$D/c.h5" | sort -t, -k2,2nr -k1,1
    } >"$TMP/counts.out"
    same_file "wordcount --counts .h5, split writes, $n ranks: every word and count" "$TMP/counts.ref" "$TMP/counts.out"
    CASES=$((CASES + 1))
done

echo "# ${SECONDS}s"
echo "# huge-input cases: $CASES"
finish
