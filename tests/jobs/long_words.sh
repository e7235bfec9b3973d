#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Words longer than 255 bytes (issue 13, defect 9): the top-K table printed them cut at 255 bytes,
# so distinct long tokens showed as identical rows. Every format keeps them whole; the table equals
# an independent count (grep -o, tr, sort, uniq -c) at 1, 2 and 3 ranks.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
D=$TMP/lw
mkdir -p "$D"

# Two 301-letter words that differ only in their last letter, a 10,000-letter word, short words;
# counts 4, 3, 2 and 5 so that the order is fixed by count, not by the tie-break.
long_a=$(head -c 300 /dev/zero | tr '\0' a)
x="${long_a}x" y="${long_a}Y" z=$(head -c 10000 /dev/zero | tr '\0' Q)
{
    for _ in 1 2 3 4; do printf '%s, the cat\n' "$x"; done
    for _ in 1 2 3; do printf '%s the\n' "$y"; done
    printf '%s dog\n%s\n' "$z" "$z"
} >"$D/long.txt"
# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
grep -oE '[A-Za-z]+' "$D/long.txt" | tr 'A-Z' 'a-z' | sort | uniq -c | sort -k1,1nr -k2,2 |
    awk 'BEGIN { print "rank,word,count" } { print NR "," $2 "," $1 }' >"$D/want.csv"
check "set-up: the reference has 6 distinct words, the longest 10000 letters" \
    [ "$(wc -l <"$D/want.csv"):$(awk -F, '{ if (length($2) > m) m = length($2) } END { print m }' "$D/want.csv")" = "7:10000" ]

for n in 1 2 3; do
    mpirun_n "$n" "$WC" --mode words --format csv --top 10 "$D/long.txt" 2>"$TMP/err" |
        awk '/^rank,word,count$/ { on = 1 } on && /^$/ { exit } on' >"$D/got.csv"
    same_file "--format csv at $n ranks: the top-K rows hold whole words (301, 301, 10000 letters)" \
        "$D/want.csv" "$D/got.csv"
done
mpirun_n 2 "$WC" --mode words --top 10 "$D/long.txt" >"$D/got.txt" 2>"$TMP/err"
# shellcheck disable=SC2018,SC2019
lx=$(printf '%s' "$x" | tr 'A-Z' 'a-z') ly=$(printf '%s' "$y" | tr 'A-Z' 'a-z') lz=$(printf '%s' "$z" | tr 'A-Z' 'a-z')
check "text at 2 ranks: both 301-letter words and the 10000-letter word appear whole" \
    [ "$(grep -c -e " $lx " -e " $ly " -e " $lz " "$D/got.txt")" = 3 ]
mpirun_n 3 "$WC" --mode words --format json --top 10 "$D/long.txt" >"$D/got.json" 2>"$TMP/err"
check "json at 3 ranks: the top table equals the reference" /usr/bin/python3 -c "
import csv, json, sys
doc = json.load(open(sys.argv[1]))
want = [(int(r['rank']), r['word'], int(r['count'])) for r in csv.DictReader(open(sys.argv[2]))]
got = [(r['rank'], r['word'], r['count']) for r in doc['top']]
sys.exit(got != want)" "$D/got.json" "$D/want.csv"
finish
