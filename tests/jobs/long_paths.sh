#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Long paths through MPI-IO (issue 13, defect 4): Open MPI 4.1's sharedfp/lockedfile component
# overflowed a fixed buffer for any path of 245 bytes or more ("buffer overflow detected",
# exit 134) in every MPI_File_open, wordcount's input and every HDF5 file included. Jobs now
# leave that component out at start-up (src/job.c). Here: a 300-byte input path for wordcount
# and a 300-byte .h5 output (written, then read back by another job), each at 2 and 3 ranks,
# compared with an independent count; nothing but the output left in the directory.
. "$(dirname "$0")/../lib.sh"
# two directory levels (a name is at most 255 bytes) that bring the files' paths to 300 bytes
pad=$((300 - ${#TMP} - 1 - 100 - 1 - 8))
DIR=$TMP/$(printf '%*s' 100 '' | tr ' ' c)/$(printf '%*s' "$pad" '' | tr ' ' d)
mkdir -p "$DIR"
IN=$DIR/in.text
OUT=$DIR/outs.h5
[ "${#IN}" -ge 300 ] || { not_ok "set-up: input path is ${#IN} bytes, want >= 300"; finish; exit; }
"$TOOLS/bytes" text 11 200000 >"$IN"
# the reference: wc's totals, and the tokens (letter runs, lowercased) counted by tr/sort/uniq
read -r want_lines want_words want_bytes < <(wc "$IN" | awk '{ print $1, $2, $3 }')
tr -cs '[:alpha:]' '\n' <"$IN" | tr '[:upper:]' '[:lower:]' | grep -v '^$' | sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort >"$TMP/ref"

for n in 2 3; do
    mpirun_n "$n" "$BIN/wordcount" --mode wc "$IN" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    got=$(awk 'NR == 1 { print $1, $2, $3 }' "$TMP/out")
    if [ "$rc" = 0 ] && [ "$got" = "$want_lines $want_words $want_bytes" ]; then
        ok "wordcount --mode wc, ${#IN}-byte input path, $n ranks: $got as wc"
    else
        not_ok "wordcount --mode wc, ${#IN}-byte input path, $n ranks: exit $rc, '$got' (wc: $want_lines $want_words $want_bytes)"
        head -n 3 "$TMP/err" | sed 's/^/#   /'
    fi

    rm -f "$OUT"
    mpirun_n "$n" "$BIN/wordcount" --counts "$OUT" "$IN" >/dev/null 2>"$TMP/err"
    rc=$?
    /usr/bin/python3 - "$OUT" >"$TMP/got" 2>>"$TMP/err" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:  # words: word_bytes[word_offset[i]:word_offset[i + 1]]
    b, off, cnt = f["word_bytes"][:].tobytes(), f["word_offset"][:], f["count"][:]
    for i, c in enumerate(cnt):
        print(b[off[i]:off[i + 1]].decode("latin-1") + "\t" + str(int(c)))
EOF
    sort "$TMP/got" -o "$TMP/got"
    if [ "$rc" = 0 ] && [ -s "$TMP/got" ] && cmp -s "$TMP/ref" "$TMP/got"; then
        ok "wordcount --counts to a ${#OUT}-byte .h5 path, $n ranks: every word's count as tr|sort|uniq"
    else
        not_ok "wordcount --counts to a ${#OUT}-byte .h5 path, $n ranks: exit $rc"
        head -n 3 "$TMP/err" | sed 's/^/#   /'
    fi

    # the long .h5 path as an output and then an input (MPI-IO read-only open)
    mpirun_n "$n" "$BIN/arraystats" --shape 7x5 --chunks 3x2 --save "$OUT" >"$TMP/as" 2>>"$TMP/err"
    rc2=$?
    mpirun_n "$n" "$BIN/arraystats" --input "$OUT:/x" --chunks 3x2 >"$TMP/as2" 2>>"$TMP/err"
    rc3=$?
    if [ "$rc2" = 0 ] && [ "$rc3" = 0 ] && [ "$(awk 'NR == 2 { print $4, $5, $6 }' "$TMP/as")" = \
        "$(awk 'NR == 2 { print $4, $5, $6 }' "$TMP/as2")" ]; then
        ok "arraystats --save then --input at a ${#OUT}-byte path, $n ranks: same sum, mean, std"
    else
        not_ok "arraystats --save/--input at a ${#OUT}-byte path, $n ranks: exits $rc2 $rc3"
        head -n 3 "$TMP/err" | sed 's/^/#   /'
    fi
done
left=$(find "$DIR" -mindepth 1 -printf '%f ')
check "nothing but the input and the output left: $left" [ "$left" = "in.text outs.h5 " ] || [ "$left" = "outs.h5 in.text " ]
finish
