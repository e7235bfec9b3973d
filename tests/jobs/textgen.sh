#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# textgen: the bytes depend only on the options, never on the rank count; sizes that are
# not whole pages keep their remainder; bad arguments and unwritable outputs fail cleanly.
. "$(dirname "$0")/../lib.sh"
TG=$BIN/textgen
D=$TMP/gen
mkdir -p "$D"

for size in 0 1 65535 65536 200001; do
    mpirun_n 1 "$TG" --bytes "$size" --seed 3 -o "$D/ref" >/dev/null 2>&1
    check "size $size: exactly $size bytes" [ "$(stat -c %s "$D/ref")" = "$size" ]
    for n in 2 3 4 7; do
        mpirun_n "$n" "$TG" --bytes "$size" --seed 3 -o "$D/got" >/dev/null 2>"$TMP/err"
        same_file "size $size: identical at $n ranks" "$D/ref" "$D/got"
    done
done

# Text properties that the word-count tests rely on: ASCII letters, spaces, punctuation, newlines.
mpirun_n 2 "$TG" --bytes 300000 --seed 9 -o "$D/text" >/dev/null 2>&1
check "only printable ASCII and newlines" [ "$(tr -d '\n -~' <"$D/text" | wc -c)" = 0 ]
# shellcheck disable=SC2018,SC2019
check "most frequent word is 'the'" [ "$(grep -oE '[A-Za-z]+' "$D/text" | tr 'A-Z' 'a-z' | sort | uniq -c | sort -k1,1nr | awk 'NR == 1 { print $2 }')" = the ]
mpirun_n 2 "$TG" --bytes 300000 --seed 10 -o "$D/other" >/dev/null 2>&1
differs() { ! cmp -s "$1" "$2"; }
check "another seed gives other text" differs "$D/text" "$D/other"

# Errors: one line from rank 0, the right status, no output or temporary left behind.
expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    mpirun_n 3 "$TG" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(grep -c '^textgen: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err"; then
        ok "$name: exit $want, one line"
    else
        not_ok "$name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
}
expect_error "bad size suffix" 2 "10X" --bytes 10X -o "$D/x"
expect_error "missing --bytes" 2 "bytes" -o "$D/x"
expect_error "missing output" 2 "output" --bytes 10
expect_error "unwritable directory" 1 "$D/no/such" --bytes 1000 -o "$D/no/such/file"
check "no partial files left" [ -z "$(find "$D" -name "*.tmp-*" -o -name x)" ]

finish
