#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Hostile inputs for every job that takes a path (wordcount, table, arraystats, findfiles) or
# writes one (textgen, wordcount --counts, table -o, arraystats --save, datagen -o): odd bytes
# (NUL, invalid UTF-8, CRLF, a 1 GiB line), a file that changes while it is read, FIFOs and
# devices, odd path names, a directory, an unreadable file, an empty and a missing file.
# Each case at 1 and 3 ranks under a timeout (sampled: an error case at one of them, in turn;
# MPIKIT_TEST_FULL=1: both): exit 0 with the values of an independent reference (wc, grep,
# find, awk), or exit 1 with exactly one error line from rank 0 that names the problem, and no
# output or temporary left behind.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
CASES=0
sample_banner
D=$TMP/h
mkdir -p "$D" "$D/out"
NL=$'\n'

# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
ref_counts() {
    echo "word,count"
    grep -ahoE '[A-Za-z]+' "$@" | tr 'A-Z' 'a-z' | sort | uniq -c |
        awk '{ print $2 "," $1 }' | sort -t, -k2,2nr -k1,1
}

# No output and no temporary may be left in $D/out after a failed run.
leftovers() { find "$D/out" -mindepth 1 -name '*.tmp-*' -o -mindepth 1 -newer "$D/stamp" -type f; }

# expect_error NAME JOB PATTERN ARGS... : exit 1 (EXPECT_RC to change), exactly one line
# "JOB: error: ..." containing PATTERN (fixed string), nothing new in $D/out; 1 and 3 ranks.
expect_error() {
    local name=$1 job=$2 pattern=$3 want=${EXPECT_RC:-1}
    shift 3
    rotate 1 1 3   # sampled: 1 and 3 ranks in turn (MPIKIT_TEST_FULL=1: both)
    for n in "${PICKED[@]}"; do
        touch "$D/stamp"
        mpirun_n "$n" "$BIN/$job" "$@" >"$TMP/out" 2>"$TMP/err"
        local rc=$? lines left
        lines=$(grep -c "^$job: error: " "$TMP/err")
        left=$(leftovers)
        if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep "^$job: error: " "$TMP/err" | grep -qF -- "$pattern" &&
            [ -z "$left" ]; then
            ok "$name: $job at $n ranks: exit $want, one line"
        else
            not_ok "$name: $job at $n ranks: exit $rc (want $want), $lines error lines, left: ${left:-nothing}"
            grep -v -e '^--' -e '^ ' -e '^$' "$TMP/err" | sed 's/^/#   /' | head -4
            echo "#   wanted: $pattern"
        fi
        CASES=$((CASES + 1))
    done
}

# wc_case NAME FILE : wordcount's lines/words/bytes equal `LC_ALL=C wc <FILE` and its word
# table equals grep's, at 1 and 3 ranks (the file name may hold any byte).
wc_case() {
    local name=$1 f=$2
    local want
    want=$(LC_ALL=C wc <"$f" | awk '{ print $1 "," $2 "," $3 }')
    ref_counts "$f" >"$TMP/counts.ref"
    for n in 1 3; do
        rm -f "$D/counts.csv"
        if mpirun_n "$n" "$WC" -f csv --table total --top 0 --counts "$D/counts.csv" "$f" >"$TMP/out" 2>"$TMP/err"; then
            local got
            got=$(awk '/^lines,words,bytes$/ { getline; print; exit }' "$TMP/out")
            check "$name: wordcount at $n ranks: $want (got $got)" [ "$got" = "$want" ]
            same_file "$name: word table at $n ranks" "$TMP/counts.ref" "$D/counts.csv"
        else
            not_ok "$name: wordcount at $n ranks exited non-zero"
            grep -v -e '^--' -e '^ ' -e '^$' "$TMP/err" | sed 's/^/#   /' | head -4
        fi
        CASES=$((CASES + 1))
    done
}

echo "# ${SECONDS}s"
# ---- content: NUL bytes, invalid UTF-8, CRLF, empty (wordcount against wc and grep)
printf 'ab\0cd \0\0 ef\n\0gh\0' >"$D/nul.txt"
printf '\xff\xfe caf\xc3\xa9 \xc3\x28 na\xe2\x82ve \xf0\x9f\x98\x80ok\n\xc0\xafend' >"$D/bad-utf8.txt"
printf 'one two\r\nthree\r\n\r\nfour \r\n' >"$D/crlf.txt"
: >"$D/empty.txt"
wc_case "NUL bytes" "$D/nul.txt"
wc_case "invalid UTF-8" "$D/bad-utf8.txt"
wc_case "CRLF" "$D/crlf.txt"
wc_case "empty file" "$D/empty.txt"

# table: CRLF rows parse (checked with awk: K = 2*A), NUL / bad bytes / empty are refused.
printf 'A,B\r\n1,2\r\n3.5,-4\r\n\r\n-7,0\r\n' >"$D/crlf.csv"
awk -F, 'BEGIN { print "A,B,K" } { sub(/\r$/, "") } NR > 1 && NF == 2 { print $1 "," $2 "," 2 * $1 }' \
    "$D/crlf.csv" >"$TMP/table.ref"
for n in 1 3; do
    rm -f "$D/t.csv"
    mpirun_n "$n" "$BIN/table" --input "$D/crlf.csv" -o "$D/t.csv" >/dev/null 2>"$TMP/err"
    same_file "CRLF CSV: table at $n ranks equals awk" "$TMP/table.ref" "$D/t.csv"
    CASES=$((CASES + 1))
done
printf 'A,B\n1,2\n3\0,4\n' >"$D/nul.csv"
printf 'A,B\n1,2\n\xff\xfe,4\n' >"$D/bad-utf8.csv"
: >"$D/empty.csv"
expect_error "NUL in CSV" table "'$D/nul.csv' has a NUL byte at offset 9" --input "$D/nul.csv"
# invalid UTF-8 is text (issue 15: text columns keep their bytes exactly), written back unchanged
mpirun_n 3 "$BIN/table" --input "$D/bad-utf8.csv" --groupby B --agg count:A -o "$D/t.csv" >/dev/null 2>"$TMP/err"
check "invalid UTF-8 in a CSV text column: kept byte for byte" \
    cmp -s "$D/t.csv" <(printf 'B,count_A\n2,1\n4,1\n')
mpirun_n 3 "$BIN/table" --input "$D/bad-utf8.csv" --apply 'K=B*2' -o "$D/t.csv" >/dev/null 2>"$TMP/err"
check "invalid UTF-8 in a CSV text column: rows written back byte for byte" \
    cmp -s "$D/t.csv" <(printf 'A,B,K\n1,2,4\n\xff\xfe,4,8\n')
expect_error "empty CSV" table "empty.csv:1: empty header" --input "$D/empty.csv"
printf 'not hdf5\n' >"$D/fake.h5"
: >"$D/empty.h5"
expect_error "empty HDF5 file" arraystats "'$D/empty.h5' is not an HDF5 file" --input "$D/empty.h5:/x"
expect_error "text file as HDF5" table "'$D/fake.h5' is not an HDF5 file" --input "$D/fake.h5"

echo "# ${SECONDS}s"
# ---- a single line of 1 GiB (words, no newline until the end), built by doubling
LINE=$D/line-1g.txt
printf 'lorem ipsum dol ' >"$LINE"
for _ in $(seq 26); do cat "$LINE" "$LINE" >"$LINE.2" && mv "$LINE.2" "$LINE"; done
printf '\n' >>"$LINE"
# lines and bytes from wc; words = 3 per 16-byte pattern, 2^26 patterns (wc -w is slow here)
read -r want_lines want_bytes < <(LC_ALL=C wc -lc <"$LINE")
want_words=$(($(printf 'lorem ipsum dol ' | wc -w) << 26))
# the totals and the top words of one run: JSON holds both (json_tables: tests/lib.sh)
mpirun_n 1 "$WC" -f json --top 5 "$LINE" >"$TMP/out.json" 2>"$TMP/err"
json_tables "$TMP/out.json" >"$TMP/out"
got=$(awk '/^lines,words,bytes$/ { getline; print; exit }' "$TMP/out")
check "1 GiB line: wordcount at 1 rank: $want_lines,$want_words,$want_bytes (got $got)" \
    [ "$got" = "$want_lines,$want_words,$want_bytes" ]
check "1 GiB line: top words dol, ipsum, lorem, $((1 << 26)) each" \
    [ "$(grep -cE "^[123],(dol|ipsum|lorem),$((1 << 26))$" "$TMP/out")" = 3 ]
mpirun_n 3 "$WC" --mode wc -f csv --table total "$LINE" >"$TMP/out" 2>"$TMP/err"
got=$(awk '/^lines,words,bytes$/ { getline; print; exit }' "$TMP/out")
check "1 GiB line: wordcount --mode wc at 3 ranks: $want_lines,$want_words,$want_bytes (got $got)" \
    [ "$got" = "$want_lines,$want_words,$want_bytes" ]
CASES=$((CASES + 2))
rm -f "$LINE"

echo "# ${SECONDS}s"
# ---- a file that changes while it is read: the reads are slowed (test hook) and the file is
# changed once wordcount has it open; the run must fail naming the file, never print counts.
"$TOOLS/bytes" text 3 4000000 >"$D/changing.txt"
cp "$D/changing.txt" "$D/changing.orig"
change_case() {
    local name=$1 action=$2 pattern=$3
    rotate 1 1 3
    for n in "${PICKED[@]}"; do
      local attempt
      for attempt in 1 2; do
        cp "$D/changing.orig" "$D/changing.txt"
        touch -d '2020-01-01' "$D/changing.txt"
        # about 1.2 s of reading at any rank count: 61 chunks of 64 KiB over n ranks
        MPIKIT_INJECT_SLOW_CHUNK_US=$((20000 * n * attempt)) mpirun_n "$n" "$WC" --chunk-size 64K "$D/changing.txt" \
            >"$TMP/out" 2>"$TMP/err" &
        local pid=$! tries=0
        # wait until a rank has the file open (it is then being read for >= 0.5 s more)
        until find /proc/[0-9]*/fd -lname "$D/changing.txt" -print -quit 2>/dev/null | grep -q . ||
            [ $tries -ge 200 ]; do
            sleep 0.05
            tries=$((tries + 1))
        done
        case $action in
        append) printf 'appended words\n' >>"$D/changing.txt" ;;
        truncate) truncate -s 1000000 "$D/changing.txt" ;;
        rewrite) printf 'XXXX' | dd of="$D/changing.txt" conv=notrunc status=none ;;
        esac
        wait "$pid"
        local rc=$?
        # exit 0 with the whole count: the change landed after the last read (a loaded
        # machine); once more with slower reads, so a missed change still fails
        if [ "$rc" = 0 ] && [ "$attempt" = 1 ]; then continue; fi
        if [ "$rc" = 1 ] && [ "$(grep -c '^wordcount: error: ' "$TMP/err")" = 1 ] &&
            grep '^wordcount: error: ' "$TMP/err" | grep -qE "$pattern" && [ ! -s "$TMP/out" ]; then
            ok "file $name while read: wordcount at $n ranks: exit 1, one line naming it"
        else
            not_ok "file $name while read: wordcount at $n ranks: exit $rc"
            grep -v -e '^--' -e '^ ' -e '^$' "$TMP/err" | sed 's/^/#   /' | head -4
        fi
        CASES=$((CASES + 1))
        break
      done
    done
}
change_case grows append "'$D/changing.txt' changed size while being read \(4000000 bytes at the start, 4000015 now\)"
change_case shrinks truncate "'$D/changing.txt' (changed size while being read|at offset [0-9]+: short read)"
change_case "is rewritten" rewrite "'$D/changing.txt' was modified while being read"

echo "# ${SECONDS}s"
# ---- FIFOs and devices: refused before any rank blocks on them
mkfifo "$D/fifo" "$D/fifo.csv" "$D/fifo.h5" "$D/out/fifo.csv" "$D/out/fifo.h5" "$D/out/fifo"
ln -s /dev/zero "$D/zero.csv"
ln -s /dev/zero "$D/zero.h5"
expect_error "FIFO" wordcount "'$D/fifo' is not a regular file" "$D/fifo"
expect_error "device" wordcount "'/dev/zero' is not a regular file" /dev/zero
expect_error "FIFO" table "'$D/fifo.csv' is not a regular file" --input "$D/fifo.csv"
expect_error "device" table "'$D/zero.csv' is not a regular file" --input "$D/zero.csv"
expect_error "FIFO" table "cannot open '$D/fifo.h5': not a regular file" --input "$D/fifo.h5"
expect_error "device" arraystats "cannot open '$D/zero.h5': not a regular file" --input "$D/zero.h5:/x"
expect_error "FIFO" findfiles "'$D/fifo' is not a directory" "$D/fifo"
expect_error "FIFO as output" textgen "cannot write output '$D/out/fifo': exists and is not a regular file" \
    --bytes 1000 -o "$D/out/fifo"
expect_error "FIFO as output" wordcount "cannot write --counts '$D/out/fifo.csv': exists and is not a regular" \
    --counts "$D/out/fifo.csv" "$D/crlf.txt"
expect_error "FIFO as output" table "cannot write output '$D/out/fifo.csv': exists and is not a regular" \
    -o "$D/out/fifo.csv"
expect_error "FIFO as output" datagen "cannot write output '$D/out/fifo.h5': exists and is not a regular" \
    --rows 10 -o "$D/out/fifo.h5"
check "output FIFOs are still FIFOs" test -p "$D/out/fifo" -a -p "$D/out/fifo.csv" -a -p "$D/out/fifo.h5"
rm -f "$D/out/fifo" "$D/out/fifo.csv" "$D/out/fifo.h5"

echo "# ${SECONDS}s"
# ---- a directory where a file is expected (input and output)
mkdir -p "$D/dir.csv" "$D/dir.h5" "$D/out/dir.csv" "$D/out/dir.h5" "$D/out/dir.txt"
expect_error "directory" wordcount "'$D/dir.csv' is a directory" "$D/dir.csv"
expect_error "directory" table "'$D/dir.csv' is a directory" --input "$D/dir.csv"
expect_error "directory" arraystats "cannot open '$D/dir.h5': is a directory" --input "$D/dir.h5:/x"
expect_error "directory as output" textgen "cannot write output '$D/out/dir.txt': is a directory" \
    --bytes 1000 -o "$D/out/dir.txt"
expect_error "directory as output" wordcount "cannot write --counts '$D/out/dir.csv': is a directory" \
    --counts "$D/out/dir.csv" "$D/crlf.txt"
expect_error "directory as output" table "cannot write output '$D/out/dir.csv': is a directory" -o "$D/out/dir.csv"
expect_error "directory as output" table "cannot write output '$D/out/dir.h5': is a directory" -o "$D/out/dir.h5"
expect_error "directory as output" arraystats "cannot write output '$D/out/dir.h5': is a directory" \
    --shape 50x50 --save "$D/out/dir.h5"
expect_error "directory as output" datagen "cannot write output '$D/out/dir.h5': is a directory" \
    --rows 10 -o "$D/out/dir.h5"
check "output directories untouched and empty" [ -z "$(find "$D/out" -mindepth 2)" ]
rmdir "$D/out/dir.csv" "$D/out/dir.h5" "$D/out/dir.txt"

echo "# ${SECONDS}s"
# ---- output in a directory that does not exist
M=$D/out/missing
expect_error "missing output directory" textgen "'$M/t.txt'" --bytes 1000 -o "$M/t.txt"
expect_error "missing output directory" wordcount "cannot write --counts '$M/c.csv': No such file" \
    --counts "$M/c.csv" "$D/crlf.txt"
expect_error "missing output directory" wordcount "'$M/c.h5': No such file" --counts "$M/c.h5" "$D/crlf.txt"
expect_error "missing output directory" table "cannot write output '$M/t.csv': No such file" -o "$M/t.csv"
expect_error "missing output directory" arraystats "'$M/s.h5': No such file" --shape 50x50 --save "$M/s.h5"
expect_error "missing output directory" datagen "'$M/d.h5': No such file" --rows 10 -o "$M/d.h5"

echo "# ${SECONDS}s"
# ---- missing input files
expect_error "missing file" wordcount "cannot open '$D/nope.txt': No such file" "$D/nope.txt"
expect_error "missing file" table "cannot open '$D/nope.csv': No such file" --input "$D/nope.csv"
expect_error "missing file" table "cannot open '$D/nope.h5': No such file" --input "$D/nope.h5"
expect_error "missing file" arraystats "cannot open '$D/nope.h5': No such file" --input "$D/nope.h5:/x"
expect_error "missing root" findfiles "'$D/nope'" "$D/nope"

echo "# ${SECONDS}s"
# ---- path names with spaces, newlines and non-UTF-8 bytes: they work, and errors print them
# escaped on one line
W=$D/names
mkdir -p "$W/with space" "$W/new${NL}line" "$W/bad"$'\xff'
cp "$D/crlf.txt" "$W/with space/a b.txt"
cp "$D/nul.txt" "$W/new${NL}line/x${NL}y.txt"
cp "$D/bad-utf8.txt" "$W/bad"$'\xff'"/z"$'\xfe'".txt"
wc_case "path with spaces" "$W/with space/a b.txt"
wc_case "path with a newline" "$W/new${NL}line/x${NL}y.txt"
wc_case "path with non-UTF-8 bytes" "$W/bad"$'\xff'"/z"$'\xfe'".txt"
for n in 1 3; do
    mpirun_n "$n" "$BIN/findfiles" --print0 "$W" 2>"$TMP/err" | tr '\0' '\n' | od -c >"$TMP/ff.out"
    find "$W" -print0 | sort -z | tr '\0' '\n' | od -c >"$TMP/ff.ref"
    same_file "odd names: findfiles --print0 at $n ranks equals find" "$TMP/ff.ref" "$TMP/ff.out"
    CASES=$((CASES + 1))
done
expect_error "missing file with a newline in its name" wordcount "cannot open '$W/new\\nline/gone': No such" \
    "$W/new${NL}line/gone"
expect_error "missing file with non-UTF-8 bytes" wordcount "cannot open '$W/bad\\xff/gone\\xfe': No such" \
    "$W/bad"$'\xff'"/gone"$'\xfe'
expect_error "missing CSV with a newline in its name" table "cannot open '$W/new\\nline/t.csv'" \
    --input "$W/new${NL}line/t.csv"
expect_error "output in a missing directory with a newline" textgen "'$W/no\npe/t.txt'" \
    --bytes 10 -o "$W/no${NL}pe/t.txt"

echo "# ${SECONDS}s"
# ---- permission denied: root reads everything, so these run as 'nobody'
AS_USER=(env)
CAN_DENY=1
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        chmod 711 "$TMP"
        chmod 755 "$D" "$D/out"
        # nobody cannot write the sanitizer log directory: no log_path (and no leak check) here
        AS_USER=(env -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM HOME=/tmp TMPDIR=/tmp
            ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1
            setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
    else
        CAN_DENY=0
        echo "# SKIP permission denied: running as root without setpriv/nobody to drop privileges"
    fi
fi
if [ "$CAN_DENY" = 1 ]; then
    printf 'secret words\n' >"$D/locked.txt"
    printf 'A\n1\n' >"$D/locked.csv"
    mpirun_n 1 "$BIN/datagen" --rows 10 -o "$D/locked.h5" >/dev/null 2>&1
    chmod 000 "$D/locked.txt" "$D/locked.csv" "$D/locked.h5"
    mkdir -p "$D/tree/open" "$D/tree/shut" "$D/ro"
    touch "$D/tree/open/f" "$D/tree/shut/g"
    chmod 000 "$D/tree/shut"
    chmod 555 "$D/ro"
    as_user_error() {
        local name=$1 job=$2 pattern=$3
        shift 3
        rotate 1 1 3
        for n in "${PICKED[@]}"; do
            local extra=()
            if [ "$n" -gt "$NCORES" ]; then extra+=(--oversubscribe); fi
            "${AS_USER[@]}" timeout -k 5 "$TEST_TIMEOUT" mpirun -n "$n" "${extra[@]}" "$BIN/$job" "$@" \
                >"$TMP/out" 2>"$TMP/err"
            local rc=$?
            if [ "$rc" = 1 ] && [ "$(grep -c "^$job: error: " "$TMP/err")" = 1 ] &&
                grep "^$job: error: " "$TMP/err" | grep -qF -- "$pattern" && [ -z "$(find "$D/ro" -mindepth 1)" ]; then
                ok "permission denied, $name: $job at $n ranks as nobody: exit 1, one line"
            else
                not_ok "permission denied, $name: $job at $n ranks: exit $rc"
                grep -v -e '^--' -e '^ ' -e '^$' "$TMP/err" | sed 's/^/#   /' | head -4
            fi
            CASES=$((CASES + 1))
        done
    }
    as_user_error "input" wordcount "cannot open '$D/locked.txt': Permission denied" "$D/locked.txt"
    as_user_error "input" table "cannot open '$D/locked.csv': Permission denied" --input "$D/locked.csv"
    as_user_error "input" table "cannot open '$D/locked.h5': Permission denied" --input "$D/locked.h5"
    as_user_error "input" arraystats "cannot open '$D/locked.h5': Permission denied" --input "$D/locked.h5:/x"
    as_user_error "output" textgen "'$D/ro/t.txt'" --bytes 100 -o "$D/ro/t.txt"
    as_user_error "output" wordcount "cannot write --counts '$D/ro/c.csv': Permission denied" \
        --counts "$D/ro/c.csv" "$D/crlf.txt"
    as_user_error "output" table "cannot write output '$D/ro/t.csv': Permission denied" -o "$D/ro/t.csv"
    as_user_error "output" datagen "'$D/ro/d.h5': Permission denied" --rows 10 -o "$D/ro/d.h5"
    # findfiles, like find, reports an unreadable directory and lists the rest
    for n in 1 3; do
        extra=()
        if [ "$n" -gt "$NCORES" ]; then extra+=(--oversubscribe); fi
        "${AS_USER[@]}" timeout -k 5 "$TEST_TIMEOUT" mpirun -n "$n" "${extra[@]}" "$BIN/findfiles" "$D/tree" \
            >"$TMP/out" 2>"$TMP/err"
        rc=$?
        "${AS_USER[@]}" find "$D/tree" >"$TMP/ref" 2>/dev/null
        ref_rc=$?
        sort -o "$TMP/ref" "$TMP/ref"
        if [ "$rc" = "$ref_rc" ] && cmp -s "$TMP/ref" "$TMP/out" && grep -q "shut" "$TMP/err"; then
            ok "permission denied, directory: findfiles at $n ranks as nobody lists the rest, like find (exit $rc)"
        else
            not_ok "permission denied, directory: findfiles at $n ranks: exit $rc (find: $ref_rc)"
            diff "$TMP/ref" "$TMP/out" | sed 's/^/#   /' | head -4
            sed 's/^/#   /' "$TMP/err" | head -3
        fi
        CASES=$((CASES + 1))
    done
    chmod 755 "$D/tree/shut" "$D/ro"
    chmod 644 "$D/locked.txt" "$D/locked.csv" "$D/locked.h5"
fi

check "no temporary file left anywhere" [ -z "$(find "$D" -name '*.tmp-*')" ]
echo "# ${SECONDS}s"
echo "# hostile-input cases: $CASES"
finish
