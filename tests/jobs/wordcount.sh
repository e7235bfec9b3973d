#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# wordcount at 1, 2, 3, 4 and 7 ranks: lines/words/bytes equal `LC_ALL=C wc`, and word
# frequencies equal `grep -oE '[A-Za-z]+' | tr A-Z a-z | sort | uniq -c`, on crafted files,
# generated corpora and (when present) the Shakespeare corpora.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
sample_banner

# Reference word table, as wordcount --counts writes it: "word,count", most frequent first.
# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
ref_counts() {
    echo "word,count"
    grep -ahoE '[A-Za-z]+' "$@" | tr 'A-Z' 'a-z' | sort | uniq -c |
        awk '{ print $2 "," $1 }' | sort -t, -k2,2nr -k1,1
}

# run_case NAME CHUNK FILE... : wc parity and the full word table at the rank counts in turn.
run_case() {
    local name=$1 chunk=$2
    shift 2
    LC_ALL=C wc "$@" >"$TMP/wc.ref"
    ref_counts "$@" >"$TMP/counts.ref"
    rotate_ranks 2   # sampled: 2 rank counts a case, in turn (MPIKIT_TEST_FULL=1: all)
    for n in "${PICKED[@]}"; do
        if mpirun_n "$n" "$WC" --mode wc --chunk-size "$chunk" "$@" >"$TMP/wc.out" 2>"$TMP/err"; then
            same_file "$name: wc parity at $n ranks (chunk $chunk)" "$TMP/wc.ref" "$TMP/wc.out"
        else
            not_ok "$name: wc at $n ranks exited non-zero"
            sed 's/^/#   /' "$TMP/err" | head -5
        fi
        rm -f "$TMP/counts.out"
        if mpirun_n "$n" "$WC" --mode words --top 0 --chunk-size "$chunk" --counts "$TMP/counts.out" "$@" \
            >/dev/null 2>"$TMP/err"; then
            same_file "$name: word table at $n ranks (chunk $chunk)" "$TMP/counts.ref" "$TMP/counts.out"
        else
            not_ok "$name: words at $n ranks exited non-zero"
            sed 's/^/#   /' "$TMP/err" | head -5
        fi
    done
}

D=$TMP/in
mkdir -p "$D"
: >"$D/empty"
printf 'a' >"$D/one-byte"
printf '\n' >"$D/one-newline"
printf 'no final newline here' >"$D/no-final-newline"
printf 'first line\r\nsecond  line\r\n\r\nthird\r\n' >"$D/crlf"
printf ' \t\n\v\f\r  \n\n\t' >"$D/only-whitespace"
printf 'ab\0cd \0\0 \x80\xffef\x7fgh\n\xc3\xa9t\xc3\xa9 caf\xc3\xa9\n' >"$D/nul-and-high"
"$TOOLS/bytes" letters 3 5000 >"$D/one-long-line"          # one 5000-byte word, no newline
"$TOOLS/bytes" edgy 11 20011 >"$D/edgy"
"$TOOLS/bytes" binary 12 30011 >"$D/binary"
"$TOOLS/bytes" text 13 40009 >"$D/text"
# A word interrupted by a long run of control bytes crossing every rank edge: whether a
# later rank opens inside a word depends on bytes many ranks before it.
{ printf 'x'; head -c 9000 /dev/zero | tr '\0' '\001'; printf 'y z\n'; } >"$D/control-run"
{ printf 'x '; head -c 9000 /dev/zero | tr '\0' '\200'; printf 'y z\n'; } >"$D/high-run-after-space"
printf 'hi' >"$D/two-bytes"   # fewer bytes than 7 ranks

for f in empty one-byte one-newline no-final-newline crlf only-whitespace nul-and-high two-bytes; do
    run_case "$f" 1 "$D/$f"
done
for f in one-long-line edgy binary text control-run high-run-after-space; do
    run_case "$f" 997 "$D/$f"
done
run_case "several files" 4096 "$D/text" "$D/empty" "$D/edgy" "$D/one-byte" "$D/crlf" "$D/binary"

# A generated corpus from the project's own text generator, default chunk size.
if mpirun_n 2 "$BIN/textgen" --bytes 3M --seed 7 -o "$D/gen.txt" >/dev/null 2>"$TMP/err"; then
    run_case "generated 3M" 64M "$D/gen.txt"
    run_case "generated 3M, small chunks" 65537 "$D/gen.txt"
else
    not_ok "textgen produced the generated corpus"
    sed 's/^/#   /' "$TMP/err" | head -5
fi

# The real corpora, when present (../shared/data, $MPIKIT_DATA or data/).
for name in t8.shakespeare.txt pg100.txt; do
    if corpus=$(find_corpus "$name"); then
        run_case "$name" 1M "$corpus"
        # Top-10 table equals the head of the reference, identical at every rank count.
        ref_counts "$corpus" | sed -n '2,11p' | awk -F, '{ print NR "," $1 "," $2 }' >"$TMP/top.ref"
        rotate_ranks 2
        for n in "${PICKED[@]}"; do
            mpirun_n "$n" "$WC" --format csv "$corpus" >"$TMP/all.csv" 2>/dev/null
            awk '/^rank,word,count$/ { on = 1; next } on && NF == 0 { on = 0 } on' "$TMP/all.csv" >"$TMP/top.out"
            same_file "$name: top 10 at $n ranks" "$TMP/top.ref" "$TMP/top.out"
        done
    else
        echo "# SKIP $name not found (set MPIKIT_DATA or run 'make corpus')"
    fi
done

# ---- wc habits (issue 17): -l/-w/-c select counts and the layout is wc's, byte for byte -----
# Each selection against LC_ALL=C wc with the same flags, on one file (wc pads nothing when one
# count of one file is printed) and several (padded to the byte total's width, a total line):
# /usr/share/doc, this repository's sources and the corpus, at 1, 2 and 3 ranks in turn.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
habit_sets=("$REPO/README.md" "$REPO/src/wc.c $REPO/jobs/wordcount.c $REPO/docs/wordcount.md"
    "$(find /usr/share/doc -maxdepth 2 -name copyright -type f 2>/dev/null | LC_ALL=C sort | head -n 5 | tr '\n' ' ')"
    "$D/crlf $D/empty $D/edgy")
if corpus=$(find_corpus t8.shakespeare.txt); then habit_sets+=("$corpus" "$corpus $D/text"); fi
for flags in -l -w -c -lc "-w -l" -lwc "-c -w"; do
    pick 1 "${habit_sets[@]}"
    read -r -a files <<<"${PICKED[0]}"
    rotate 1 1 2 3
    n=${PICKED[0]}
    # shellcheck disable=SC2086 # the flags are words
    LC_ALL=C wc $flags "${files[@]}" >"$TMP/wc.ref"
    # shellcheck disable=SC2086
    mpirun_n "$n" "$WC" $flags "${files[@]}" >"$TMP/wc.out" 2>"$TMP/err"
    same_file "wordcount $flags = wc $flags on ${#files[@]} file(s) ($(basename "${files[0]}")...) at $n ranks" \
        "$TMP/wc.ref" "$TMP/wc.out"
done
mpirun_n 2 "$WC" -l -c --format csv "$D/text" "$D/crlf" >"$TMP/lc.csv" 2>/dev/null
want=$(LC_ALL=C wc -l -c "$D/text" "$D/crlf" | awk 'BEGIN { print "file,lines,bytes" } $3 != "total" { print $3 "," $1 "," $2 }')
check "-l -c --format csv: the file table has only the selected columns" [ "$(cat "$TMP/lc.csv")" = "$want" ]
mpirun_n 2 "$WC" - <"$D/text" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "'-' (stdin): exit 2, one line that says why" [ "$rc:$(grep -c 'standard input' "$TMP/err"):$(wc -c <"$TMP/out")" = 2:1:0 ]

# JSON output is one object with the sections; totals equal wc.
mpirun_n 3 "$WC" --format json --timing "$D/text" "$D/crlf" >"$TMP/out.json" 2>/dev/null
total=$(LC_ALL=C wc "$D/text" "$D/crlf" | awk '$4 == "total" { print $1 "," $2 "," $3 }')
got=$(tr -d ' \n' <"$TMP/out.json" | sed -n 's/.*"total":\[{"lines":\([0-9]*\),"words":\([0-9]*\),"bytes":\([0-9]*\)}\].*/\1,\2,\3/p')
check "json total equals wc ($total)" [ "$got" = "$total" ]
check "json has top, timing and summary sections" grep -q '"summary"' "$TMP/out.json"

# --verbose: one line per rank, printed by rank 0 in rank order.
mpirun_n 4 "$WC" --verbose --top 1 "$D/text" >"$TMP/verbose" 2>/dev/null
check "verbose lines in rank order" [ "$(grep -o '^rank [0-9]*:' "$TMP/verbose" | tr '\n' ' ')" = "rank 0: rank 1: rank 2: rank 3: " ]

finish
