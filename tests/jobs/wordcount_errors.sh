#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# wordcount on bad input: one clear line from rank 0, a non-zero status, every rank exits
# (no hang: each run is under a timeout), and no --counts file left behind.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
D=$TMP/in
mkdir -p "$D"
printf 'some words here\n' >"$D/good"

# expect_error NAME STATUS PATTERN ARGS... : run at 1 and 3 ranks.
expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    for n in 1 3; do
        mpirun_n "$n" "$WC" "$@" >"$TMP/out" 2>"$TMP/err"
        local rc=$?
        local lines
        lines=$(grep -c '^wordcount: error: ' "$TMP/err")
        if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
            ok "$name at $n ranks: exit $want, one line"
        else
            not_ok "$name at $n ranks: exit $rc (want $want), $lines error lines"
            sed 's/^/#   /' "$TMP/err" | head -5
        fi
    done
}

expect_error "missing file" 1 "cannot open '$D/nope': No such file or directory" "$D/nope"
expect_error "missing among good files" 1 "cannot open '$D/nope'" "$D/good" "$D/nope"
expect_error "directory" 1 "is a directory" "$D"
expect_error "empty file name" 1 "empty file name" ""
mkfifo "$D/fifo"
expect_error "fifo" 1 "not a regular file" "$D/fifo"
expect_error "unknown option" 2 "unknown option '--frobnicate'" --frobnicate "$D/good"
expect_error "bad number" 2 "'abc' is not an integer" --top abc "$D/good"
expect_error "negative top" 2 "out of range" --top -3 "$D/good"
expect_error "bad size suffix" 2 "'10X' is not a size" --chunk-size 10X "$D/good"
expect_error "zero chunk" 2 "out of range" --chunk-size 0 "$D/good"
expect_error "bad format" 2 "'xml' is not one of" --format xml "$D/good"
expect_error "no files" 2 "missing" --top 3
expect_error "missing value" 2 "missing value" "$D/good" --top
expect_error "--counts without words" 2 "not with --mode wc" --mode wc --counts "$D/c.csv" "$D/good"
expect_error "unwritable --counts" 1 "cannot write --counts" --counts "$D/no/such/dir/c.csv" "$D/good"

# Permission denied needs a user that root is not: as root, run that case as 'nobody'.
printf 'secret\n' >"$D/locked"
chmod 000 "$D/locked"
if [ "$(id -u)" != 0 ]; then
    expect_error "unreadable file" 1 "Permission denied" "$D/locked"
elif command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    chmod 711 "$TMP"
    chmod 755 "$D"
    # nobody cannot write the sanitizer log directory: no log_path (and no leak check) for this run.
    env -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM HOME=/tmp TMPDIR=/tmp \
        ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 \
        setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
        timeout -k 5 "$TEST_TIMEOUT" mpirun -n 2 "$WC" "$D/locked" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" = 1 ] && [ "$(grep -c "^wordcount: error: cannot open '$D/locked': Permission denied" "$TMP/err")" = 1 ]; then
        ok "unreadable file, as user nobody at 2 ranks: exit 1, one line"
    else
        not_ok "unreadable file as nobody: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -5
    fi
else
    echo "# SKIP unreadable file: running as root without setpriv/nobody to drop privileges"
fi

# A rank that fails in the middle of the collective reads (fault injected after its first
# chunk, 64 KiB chunks so many read rounds remain): the others must not hang in the reads.
"$TOOLS/bytes" text 5 2000000 >"$D/big"
for n in 2 3 7; do
    for bad in 0 $((n - 1)); do
        MPIKIT_INJECT_FAULT=$bad mpirun_n "$n" "$WC" --chunk-size 64K --counts "$D/f.csv" "$D/big" >"$TMP/out" 2>"$TMP/err"
        rc=$?
        if [ "$rc" = 1 ] && [ "$(grep -c "^wordcount: error: injected fault on rank $bad" "$TMP/err")" = 1 ] && [ ! -e "$D/f.csv" ]; then
            ok "fault on rank $bad of $n mid-read: exit 1, one line, no output"
        else
            not_ok "fault on rank $bad of $n: exit $rc"
            sed 's/^/#   /' "$TMP/err" | head -5
        fi
    done
done

# No partial output: a failing run with --counts leaves neither the file nor a temporary.
mpirun_n 3 "$WC" --counts "$D/c.csv" "$D/good" "$D/nope" >/dev/null 2>&1
check "no --counts file after a failed run" [ ! -e "$D/c.csv" ]
check "no temporary left behind" [ -z "$(find "$D" -name 'c.csv.tmp-*')" ]

# --help and --version exit 0 and print once (rank 0 only).
mpirun_n 3 "$WC" --help >"$TMP/out" 2>&1
rc=$?
check "--help exits 0, printed once" [ "$rc:$(grep -c '^usage: wordcount' "$TMP/out")" = 0:1 ]
mpirun_n 2 "$WC" --version >"$TMP/out" 2>&1
check "--version prints once" [ "$(grep -c 'mpikit' "$TMP/out")" = 1 ]

finish
