#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# wordcount --checkpoint: stopped at an agreed read round (a test hook stops rank 0 after K
# chunks, and a real SIGUSR1 through mpirun), it saves, exits 3, and a rerun finishes only
# the rest with results identical to an uninterrupted run. Checkpoints of another run,
# changed inputs and damaged files are refused with a clear error.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
D=$TMP/in
mkdir -p "$D"
"$TOOLS/bytes" text 21 3000000 >"$D/a.txt"
"$TOOLS/bytes" edgy 22 1000003 >"$D/b.bin"
printf 'tail words\n' >"$D/c.txt"
FILES=("$D/a.txt" "$D/b.bin" "$D/c.txt")
ARGS=(--chunk-size 64K)

LC_ALL=C wc "${FILES[@]}" >"$TMP/wc.ref"
# The independent word-table reference, in --counts order (as in wordcount.sh).
# shellcheck disable=SC2018,SC2019 # ASCII-only on purpose: the C-locale reference
{
    echo "word,count"
    grep -ahoE '[A-Za-z]+' "${FILES[@]}" | tr 'A-Z' 'a-z' | sort | uniq -c | awk '{ print $2 "," $1 }' | sort -t, -k2,2nr -k1,1
} >"$TMP/grep.ref"
for n in $RANKS; do
    ck=$TMP/ck-$n
    mpirun_n "$n" "$WC" "${ARGS[@]}" --counts "$TMP/ref.csv" "${FILES[@]}" >"$TMP/ref.out" 2>/dev/null
    MPIKIT_INJECT_STOP_AFTER=3 mpirun_n "$n" "$WC" "${ARGS[@]}" --checkpoint "$ck" --counts "$TMP/got.csv" \
        "${FILES[@]}" >"$TMP/out1" 2>"$TMP/err1"
    rc=$?
    check "$n ranks: stopped run exits 3 ($rc)" [ "$rc" = 3 ]
    check "$n ranks: one 'checkpoint saved' line" [ "$(grep -c '^wordcount: interrupted: checkpoint saved' "$TMP/err1")" = 1 ]
    check "$n ranks: metadata and $n rank files, no --counts output" [ "$(find "$TMP" -maxdepth 1 -name "ck-$n*" | wc -l):$([ -e "$TMP/got.csv" ] && echo y)" = "$((n + 1)):" ]
    mpirun_n "$n" "$WC" "${ARGS[@]}" --checkpoint "$ck" --counts "$TMP/got.csv" "${FILES[@]}" >"$TMP/out2" 2>"$TMP/err2"
    rc=$?
    check "$n ranks: resumed run exits 0 ($rc) and says so" [ "$rc:$(grep -c '^wordcount: resuming' "$TMP/err2")" = 0:1 ]
    same_file "$n ranks: resumed output equals an uninterrupted run" "$TMP/ref.out" "$TMP/out2"
    same_file "$n ranks: resumed word table equals an uninterrupted run" "$TMP/ref.csv" "$TMP/got.csv"
    same_file "$n ranks: resumed word table equals the grep|sort|uniq reference" "$TMP/grep.ref" "$TMP/got.csv"
    head -n 4 "$TMP/out2" >"$TMP/wc.got"
    same_file "$n ranks: resumed wc lines equal LC_ALL=C wc" "$TMP/wc.ref" "$TMP/wc.got"
    check "$n ranks: checkpoint removed after success" [ -z "$(find "$TMP" -maxdepth 1 -name "ck-$n*")" ]
    rm -f "$TMP/got.csv"
done

# Refusals: one line from rank 0, exit 1, nothing overwritten.
ck=$TMP/ck-x
MPIKIT_INJECT_STOP_AFTER=2 mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >/dev/null 2>&1
refused() { # NAME PATTERN RANKS ARGS...
    local name=$1 pattern=$2 n=$3
    shift 3
    mpirun_n "$n" "$WC" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = 1 ] && [ "$(grep -c '^wordcount: error: ' "$TMP/err")" = 1 ] && grep -q -- "$pattern" "$TMP/err"; then
        ok "$name: refused, exit 1"
    else
        not_ok "$name: exit $rc"
        sed 's/^/#   /' "$TMP/err" | head -3
    fi
}
refused "other rank count" "made by a different run" 3 "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}"
refused "other chunk size" "made by a different run" 2 --chunk-size 32K --checkpoint "$ck" "${FILES[@]}"
refused "other files" "made by a different run" 2 "${ARGS[@]}" --checkpoint "$ck" "$D/a.txt" "$D/c.txt"
cp "$ck.rank1" "$TMP/rank1.saved"
head -c 40 "$TMP/rank1.saved" >"$ck.rank1"
refused "damaged rank file" "damaged" 2 "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}"
# A rank file left from an older checkpoint (another generation) must not be mixed in.
rm -f "$ck" "$ck".rank*
MPIKIT_INJECT_STOP_AFTER=5 mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >/dev/null 2>&1 || true
cp "$TMP/rank1.saved" "$ck.rank1"
refused "rank file of another checkpoint" "belongs to another checkpoint" 2 "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}"
printf 'x' >>"$D/c.txt"
refused "input changed since the checkpoint" "made by a different run" 2 "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}"

# A real signal: SIGUSR1 to mpirun is forwarded to every rank. The reads are slowed by a
# test hook (5 ms per 4 KiB chunk, ~2.5 s in all) so that the signal lands during them.
"$TOOLS/bytes" text 23 2000000 >"$D/long.txt"
mpirun_n 2 "$WC" --chunk-size 4K --counts "$TMP/ref.csv" "$D/long.txt" >"$TMP/ref.out" 2>/dev/null
MPIKIT_INJECT_SLOW_CHUNK_US=5000 mpirun_n 2 "$WC" --chunk-size 4K --progress --checkpoint "$TMP/ck-sig" \
    --counts "$TMP/got.csv" "$D/long.txt" >"$TMP/out1" 2>"$TMP/err1" &
pid=$!
# Signal only once the ranks are reading (the progress bar is drawn): before the job has
# installed its handler, SIGUSR1's default action ends the process.
sent=0
for _ in $(seq 1 200); do
    if grep -q 'wordcount \[' "$TMP/err1" 2>/dev/null && pkill -USR1 -f "^mpirun .*$TMP/ck-sig"; then
        sent=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
echo "# SIGUSR1 sent: $sent"
wait "$pid"
rc=$?
if [ "$rc" = 3 ]; then
    ok "SIGUSR1 through mpirun: checkpoint saved, exit 3"
    mpirun_n 2 "$WC" --chunk-size 4K --checkpoint "$TMP/ck-sig" --counts "$TMP/got.csv" "$D/long.txt" >"$TMP/out2" 2>/dev/null
    same_file "after SIGUSR1: resumed output equals an uninterrupted run" "$TMP/ref.out" "$TMP/out2"
    same_file "after SIGUSR1: resumed word table equals an uninterrupted run" "$TMP/ref.csv" "$TMP/got.csv"
elif [ "$rc" = 0 ]; then
    echo "# SKIP SIGUSR1 test: the run finished before the signal arrived"
else
    not_ok "SIGUSR1 through mpirun: exit $rc"
    sed 's/^/#   /' "$TMP/err1" | head -5
fi

finish
