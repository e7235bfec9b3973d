#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# An output that is also an input is refused before anything is written (issue 13, defect 13):
# wordcount --counts, arraystats --save, table -o, whether the output names the input by the same
# path, another spelling, a symlink (either way round) or a hard link. One line, exit 1, the input
# byte for byte unchanged, nothing else left in the directory; a different output still works.
. "$(dirname "$0")/../lib.sh"
D=$TMP/s
mkdir -p "$D/sub"
cd "$D" || exit 1

printf 'the cat saw the dog\nand the dog saw the cat\n' >corpus.txt
printf 'A,B\n1,2\n3,4\n5,6\n' >t.csv
mpirun_n 2 "$BIN/datagen" --rows 6 --shape 5x4 -o d.h5 >/dev/null 2>&1
mpirun_n 1 "$BIN/table" --rows 7 --head 0 -o t.h5 >/dev/null 2>&1
ln -s corpus.txt link-to-corpus
ln -s "$D/d.h5" link-to-d.h5
ln -s t.h5 link-to-t.h5
ln corpus.txt hard-corpus
cp corpus.txt other.txt
check "set-up: d.h5 and t.h5 written" [ -s d.h5 ] && [ -s t.h5 ]
before=$(sha256sum corpus.txt t.csv d.h5 t.h5)
listing=$(ls -a . sub)

# Each case runs at the next of 1, 2, 3 ranks in turn (all three under MPIKIT_TEST_FULL=1): the
# check is made on every rank and agreed, so one rank count per case keeps the suite short.
CASE=0
# refused NAME PROG OUTPUT-AS-PRINTED INPUT-AS-PRINTED ARGS...
refused() {
    local name=$1 prog=$2 output=$3 input=$4 n ranks
    shift 4
    ranks=$((CASE % 3 + 1))
    [ "$TEST_FULL" = 1 ] && ranks="1 2 3"
    CASE=$((CASE + 1))
    for n in $ranks; do
        mpirun_n "$n" "$BIN/$prog" "$@" >"$TMP/out" 2>"$TMP/err"
        local rc=$?
        local want="$prog: error: $output is the same file as the input '$input'; refusing to overwrite an input"
        # one line from the job (mpirun adds its own note about the exit status)
        if [ "$rc" = 1 ] && [ "$(grep "^$prog: " "$TMP/err")" = "$want" ] && [ "$(sha256sum corpus.txt t.csv d.h5 t.h5)" = "$before" ] &&
            [ "$(ls -a . sub)" = "$listing" ]; then
            ok "$prog: $name at $n ranks: refused, one line, exit 1, inputs unchanged, nothing left"
        else
            not_ok "$prog: $name at $n ranks: exit $rc (want 1)"
            sed 's/^/#   /' "$TMP/err" | head -4
            diff <(echo "$listing") <(ls -a . sub) | head -4 | sed 's/^/#   /'
        fi
    done
}

refused "--counts F F" wordcount "--counts 'corpus.txt'" corpus.txt --counts corpus.txt corpus.txt
refused "--counts F among several inputs" wordcount "--counts 'corpus.txt'" corpus.txt --counts corpus.txt other.txt corpus.txt
refused "--counts through another spelling" wordcount "--counts 'sub/../corpus.txt'" "$D/corpus.txt" \
    --counts sub/../corpus.txt "$D/corpus.txt"
refused "--counts a symlink to the input" wordcount "--counts 'link-to-corpus'" corpus.txt --counts link-to-corpus corpus.txt
refused "the input a symlink to --counts" wordcount "--counts './corpus.txt'" link-to-corpus --counts ./corpus.txt link-to-corpus
refused "--counts a hard link of the input" wordcount "--counts 'hard-corpus'" corpus.txt --counts hard-corpus corpus.txt
refused "--counts .h5 that is the input" wordcount "--counts 'd.h5'" d.h5 --counts d.h5 corpus.txt d.h5
refused "--input F:/x --save F" arraystats "--save 'd.h5'" d.h5 --input d.h5:/x --save d.h5
refused "--input F --save ./F" arraystats "--save './d.h5'" d.h5 --input d.h5 --save ./d.h5
refused "--save a symlink to the input" arraystats "--save 'link-to-d.h5'" d.h5 --input d.h5:/x --save link-to-d.h5
refused "--input t.csv -o t.csv" table "--output 't.csv'" t.csv --input t.csv -o t.csv
refused "--input t.h5 -o a symlink to it" table "--output 'link-to-t.h5'" t.h5 --input t.h5 --head 0 -o link-to-t.h5

# Another file with the same bytes is not the same file: these still run and write.
mpirun_n 3 "$BIN/wordcount" --counts other.txt corpus.txt >/dev/null 2>"$TMP/err"
rc=$?
check "wordcount --counts over a copy of the input: runs (exit $rc), writes the counts" \
    [ "$rc:$(head -1 other.txt)" = "0:word,count" ]
mpirun_n 2 "$BIN/arraystats" --input d.h5:/x --save "$D/sub/saved.h5" >/dev/null 2>"$TMP/err"
check "arraystats --save to a new file beside the input: runs" [ -s sub/saved.h5 ]
mpirun_n 2 "$BIN/table" --input t.csv -o sub/t.csv --head 0 >/dev/null 2>"$TMP/err"
check "table -o a new CSV: runs" [ -s sub/t.csv ]
finish
