#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# HDF5 failures: missing file, missing dataset, wrong type, wrong shape, corrupt and truncated
# files, unwritable outputs. Each gives one line from rank 0 (HDF5's own error stack silenced),
# a non-zero status, every rank exits, and no output or temporary is left behind. --debug shows
# HDF5's stack.
. "$(dirname "$0")/../lib.sh"
AS=$BIN/arraystats
DG=$BIN/datagen
D=$TMP/e
mkdir -p "$D" "$D/out"

mpirun_n 2 "$DG" --rows 10 --shape 6x4 -o "$D/good.h5" >/dev/null 2>&1
printf 'the cat the dog\n' >"$D/words.txt"
# a table with a column of fixed-length strings (wordcount's --counts .h5 stored its words so
# until it switched to bytes + offsets)
/usr/bin/python3 -c '
import sys, h5py, numpy
with h5py.File(sys.argv[1], "w") as f:
    f["word"] = numpy.array([b"the", b"cat", b"dog"], dtype="S3")
    f["count"] = numpy.array([2, 1, 1], dtype="u8")' "$D/words.h5"
head -c 5000 /dev/urandom >"$D/random.h5"
head -c 1500 "$D/good.h5" >"$D/truncated.h5"
printf 'not hdf5\n' >"$D/text.h5"

# expect_error PROG NAME STATUS PATTERN ARGS... : at 1 and 3 ranks
expect_error() {
    local prog=$1 name=$2 want=$3 pattern=$4
    shift 4
    for n in 1 3; do
        mpirun_n "$n" "$BIN/$prog" "$@" >"$TMP/out" 2>"$TMP/err"
        local rc=$?
        # one line from the job; HDF5's diagnostics (HDF5-DIAG, "#000: ...") silenced
        local lines
        lines=$(grep -c -E "^$prog: error: |HDF5-DIAG|^ *#[0-9]{3}:" "$TMP/err")
        if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && [ "$(grep -c "^$prog: error: " "$TMP/err")" = 1 ] &&
            grep -q -- "$pattern" "$TMP/err"; then
            ok "$prog: $name at $n ranks: exit $want, one line, no HDF5 stack"
        else
            not_ok "$prog: $name at $n ranks: exit $rc (want $want), $lines lines"
            sed 's/^/#   /' "$TMP/err" | head -8
        fi
    done
}

expect_error arraystats "missing file" 1 "cannot open '$D/nope.h5': No such file or directory" --input "$D/nope.h5:/x"
expect_error arraystats "missing dataset" 1 "no dataset '/y' in '$D/good.h5'" --input "$D/good.h5:/y"
expect_error arraystats "wrong type (strings)" 1 "dataset '/word' in '$D/words.h5' has string values, expected numeric" \
    --input "$D/words.h5:/word"
expect_error arraystats "wrong shape (1-D)" 1 "dataset '/A' in '$D/good.h5' has shape \[10\] (1-D), expected 2-D" \
    --input "$D/good.h5:/A"
expect_error arraystats "corrupt file (random bytes)" 1 "'$D/random.h5' is not an HDF5 file" --input "$D/random.h5"
expect_error arraystats "text file" 1 "'$D/text.h5' is not an HDF5 file" --input "$D/text.h5"
expect_error arraystats "truncated file" 1 "cannot open HDF5 file '$D/truncated.h5'" --input "$D/truncated.h5"
expect_error arraystats "directory" 1 "is a directory" --input "$D/out:/x"
expect_error arraystats "unwritable --save" 1 "cannot write '$D/no/dir/s.h5'" --shape 10x10 --save "$D/no/dir/s.h5"
expect_error arraystats "bad --shape" 2 "--shape '10y10'" --shape 10y10
expect_error table "missing file" 1 "cannot open '$D/nope.h5'" --input "$D/nope.h5"
expect_error table "wrong type (string column)" 1 "has string values, expected numeric" --input "$D/words.h5"
expect_error table "corrupt file" 1 "is not an HDF5 file" --input "$D/random.h5"
expect_error table "unwritable output" 1 "cannot write '$D/no/dir/t.h5'" -o "$D/no/dir/t.h5"
expect_error datagen "unwritable output" 1 "cannot write '$D/no/dir/d.h5'" --rows 5 -o "$D/no/dir/d.h5"
expect_error datagen "nothing to write" 2 "nothing to write" -o "$D/out/n.h5"
expect_error wordcount "unwritable --counts .h5" 1 "cannot write '$D/no/dir/c.h5'" --counts "$D/no/dir/c.h5" "$D/words.txt"

# A failure after the output was created (the input is bad) leaves nothing behind.
expect_error arraystats "bad input with --save" 1 "no dataset '/y'" --input "$D/good.h5:/y" --save "$D/out/s.h5"
printf 'A,B\n1\n' >"$D/short.csv"
expect_error table "bad CSV with HDF5 output" 1 "expected 2 fields" --input "$D/short.csv" -o "$D/out/t.h5"
check "no output or temporary left in the output directory" [ -z "$(ls -A "$D/out")" ]
check "no temporary left beside the inputs" [ -z "$(find "$D" -name '*.tmp-*')" ]

# A read-only directory: as root, permission checks do not apply; use a path under a file instead.
expect_error arraystats "output under a regular file" 1 "cannot write '$D/words.txt/s.h5': Not a directory" \
    --shape 4x4 --save "$D/words.txt/s.h5"

# --debug: HDF5's error stack is printed (more than the one line)
mpirun_n 1 "$AS" --debug --input "$D/truncated.h5" >/dev/null 2>"$TMP/err"
check "--debug shows HDF5's error stack" grep -q 'HDF5-DIAG' "$TMP/err"
mpirun_n 1 "$AS" --input "$D/truncated.h5" >/dev/null 2>"$TMP/err"
check "without --debug: no HDF5-DIAG lines" [ "$(grep -c 'HDF5-DIAG' "$TMP/err")" = 0 ]

finish
