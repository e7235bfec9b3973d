#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Checkpoint integrity (issue 13, defects 1 and 6), the job-level half (the byte-by-byte half
# is tests/unit/test_checkpoint_header.c and test_journal.c):
#  - wordcount: a checkpoint stopped after 3 read rounds, then one byte of a rank file or of the
#    metadata file overwritten: the rerun exits 1 with one line naming the file and prints no
#    counts (it used to resume and print wrong counts with exit 0). At 2 and 3 ranks. Two
#    intact rank files swapped are refused too.
#  - wordcount and pool: symbolic links planted at every name a checkpoint or journal uses
#    (FILE, FILE.rankN, and the old fixed temporary names FILE.tmp, FILE.rankN.tmp) point at a
#    victim file: the victim is never written, on a stopped run and on a successful one; a link
#    at FILE itself is refused, not read through. At 2 ranks.
. "$(dirname "$0")/../lib.sh"
WC=$BIN/wordcount
POOL=$BIN/pool
D=$TMP/in
mkdir -p "$D"
"$TOOLS/bytes" text 31 1000000 >"$D/a.txt"
"$TOOLS/bytes" edgy 32 300001 >"$D/b.bin"
FILES=("$D/a.txt" "$D/b.bin")
ARGS=(--chunk-size 64K)
mpirun_n 2 "$WC" "${ARGS[@]}" "${FILES[@]}" >"$TMP/ref.out" 2>/dev/null

# refused NAME FILE OUT ERR RC: exit 1, one 'wordcount: error:' line naming FILE, nothing else
# on stderr from the job, no counts on stdout.
refused() {
    local name=$1 file=$2 out=$3 err=$4 rc=$5
    local lines named
    lines=$(grep -c '^wordcount: error: ' "$err")
    named=$(grep -c "^wordcount: error: .*'$file'" "$err")
    if [ "$rc" = 1 ] && [ "$lines" = 1 ] && [ "$named" = 1 ] && [ ! -s "$out" ]; then
        ok "$name: exit 1, one line naming the file, no counts"
    else
        not_ok "$name: exit $rc, $lines error lines ($named naming $file), $(wc -l <"$out") lines of output"
        sed 's/^/#   /' "$err" | head -3
        sed 's/^/#   out: /' "$out" | head -2
    fi
}

# poke FILE OFFSET: overwrite one byte (with its complement, so it surely differs).
poke() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf '%b' "\\$(printf '%03o' $((255 - byte)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# restore CK DIR: put the saved checkpoint back (a run that wrongly accepted damage removes it).
restore() { rm -f "$1" "$1".rank*; cp "$2"/* "$(dirname "$1")/"; }
# damaged N CK SUFFIX HOW...: damage CK+SUFFIX each way (an offset to overwrite, or "cut" for the
# last byte missing), rerun each time at N ranks, expect a refusal naming the file.
damaged() {
    local n=$1 ck=$2 f=$2$3 how size rc saved
    shift 3
    saved=$TMP/saved-$n/$(basename "$f")
    size=$(stat -c %s "$f")
    for how in "$@"; do
        case $how in
            cut) head -c "$((size - 1))" "$saved" >"$f" ;;
            last) how=$((size - 1)); poke "$f" "$how" ;;
            mid) how=$((size / 2)); poke "$f" "$how" ;;
            *) poke "$f" "$how" ;;
        esac
        mpirun_n "$n" "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
        rc=$?
        refused "$n ranks: $(basename "$f") of $size bytes, damaged at $how" "$f" "$TMP/out" "$TMP/err" "$rc"
        restore "$ck" "$TMP/saved-$n"
    done
}
# The ASan+UBSan pass runs the same code paths with fewer runs (CI time; it takes 3x as long).
integrity_ranks="2 3" offsets=(20 mid last cut)
[ "${SANITIZE:-0}" = 1 ] && integrity_ranks=2 offsets=(20 cut)
for n in $integrity_ranks; do
    ck=$TMP/ck-$n
    MPIKIT_INJECT_STOP_AFTER=3 mpirun_n "$n" "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >/dev/null 2>"$TMP/err"
    rc=$?
    check "$n ranks: stopped after 3 rounds, exit 3 ($rc)" [ "$rc" = 3 ]
    mkdir -p "$TMP/saved-$n"
    cp "$ck" "$ck".rank* "$TMP/saved-$n/"
    # Offset 20 of rank 1's file is the issue's reproduction (then inside its word counts, now in
    # the header); every offset and length is checked in tests/unit/test_checkpoint_header.c.
    if [ "$n" = 2 ]; then
        damaged 2 "$ck" .rank1 "${offsets[@]}"
        damaged 2 "$ck" "" mid
        # whole and intact, but another rank's: rank 1's state in rank 0's file and back
        mv "$ck.rank0" "$TMP/swap" && mv "$ck.rank1" "$ck.rank0" && mv "$TMP/swap" "$ck.rank1"
        mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
        rc=$?
        refused "2 ranks: rank files swapped" "$ck.rank0" "$TMP/out" "$TMP/err" "$rc"
        restore "$ck" "$TMP/saved-2"
    else
        damaged 3 "$ck" .rank1 20
        damaged 3 "$ck" .rank2 mid cut
    fi
    # The refusals changed nothing: the restored checkpoint resumes to the right counts.
    mpirun_n "$n" "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    check "$n ranks: the untouched checkpoint still resumes (exit $rc)" [ "$rc:$(grep -c '^wordcount: resuming' "$TMP/err")" = 0:1 ]
    same_file "$n ranks: resumed counts equal an uninterrupted run" "$TMP/ref.out" "$TMP/out"
done

# ---- symbolic links at the names: never followed ----
printf 'precious\n' >"$TMP/victim"
cp "$TMP/victim" "$TMP/victim.orig"
victim_intact() { cmp -s "$TMP/victim.orig" "$TMP/victim" && [ -f "$TMP/victim" ] && [ ! -L "$TMP/victim" ]; }
plant() { # CK NAME...: a link to the (restored) victim at CK+NAME for each NAME
    local ck=$1
    shift
    cp "$TMP/victim.orig" "$TMP/victim"
    for s in "$@"; do ln -sfn "$TMP/victim" "$ck$s"; done
}
absent() { # FILE...: none of them there
    for f in "$@"; do [ ! -e "$f" ] && [ ! -L "$f" ] || return 1; done
}
regular_files() { # FILE...: every one a regular file, not a link
    for f in "$@"; do [ -f "$f" ] && [ ! -L "$f" ] || return 1; done
}

ck=$TMP/ckl
plant "$ck" .rank0 .rank1 .tmp .rank0.tmp .rank1.tmp
MPIKIT_INJECT_STOP_AFTER=3 mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >/dev/null 2>"$TMP/err"
rc=$?
check "wordcount stopped with links planted: exit 3 ($rc)" [ "$rc" = 3 ]
check "wordcount stopped: victim unchanged" victim_intact
check "wordcount stopped: FILE, FILE.rank0, FILE.rank1 are regular files" regular_files "$ck" "$ck.rank0" "$ck.rank1"
mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "wordcount resumed with links planted: exit 0 ($rc)" [ "$rc" = 0 ]
check "wordcount resumed: victim unchanged" victim_intact
same_file "wordcount resumed: counts equal an uninterrupted run" "$TMP/ref.out" "$TMP/out"
rm -f "$ck"*

plant "$ck" .rank0 .rank1
mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "wordcount successful run with links at the rank files: exit 0 ($rc)" [ "$rc" = 0 ]
check "wordcount successful run: victim unchanged" victim_intact
same_file "wordcount successful run: counts equal an uninterrupted run" "$TMP/ref.out" "$TMP/out"
rm -f "$ck"*

plant "$ck" ""
mpirun_n 2 "$WC" "${ARGS[@]}" --checkpoint "$ck" "${FILES[@]}" >"$TMP/out" 2>"$TMP/err"
rc=$?
refused "wordcount: a link at FILE is not read through" "$ck" "$TMP/out" "$TMP/err" "$rc"
check "wordcount: link at FILE: victim unchanged" victim_intact
rm -f "$ck"*

# pool: the issue's reproduction (a successful run), then a run that fails at a task and
# keeps its journals.
csv_table() { awk -v want="$1" 'BEGIN{RS=""; FS="\n"} $1 ~ "^"want {for (i = 2; i <= NF; i++) print $i}' "$2"; }
PARGS=(--tasks 6 --sleep const:0.01 --format csv --no-progress)
# task i is named 'a'+i and returns 'A'+i (docs/pool.md)
awk 'BEGIN { for (i = 0; i < 6; i++) printf "%d,%c,%c\n", i, 97 + i, 65 + i }' >"$TMP/pref.items"
pk=$TMP/pk
plant "$pk" .rank0 .rank1 .tmp .rank0.tmp .rank1.tmp
mpirun_n 2 "$POOL" "${PARGS[@]}" --checkpoint "$pk" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "pool successful run with links planted: exit 0 ($rc)" [ "$rc" = 0 ]
check "pool successful run: victim unchanged" victim_intact
check "pool successful run: FILE, FILE.rank0, FILE.rank1 removed" absent "$pk" "$pk.rank0" "$pk.rank1"
csv_table item, "$TMP/out" | cut -d, -f1,2,4 >"$TMP/got.items"
same_file "pool successful run: the results the task set defines" "$TMP/pref.items" "$TMP/got.items"
plant "$pk" .rank0 .rank1 .tmp .rank0.tmp .rank1.tmp
mpirun_n 2 "$POOL" "${PARGS[@]}" --fail-at 4 --checkpoint "$pk" >/dev/null 2>"$TMP/err"
rc=$?
check "pool failing at a task with links planted: exit 1 ($rc)" [ "$rc" = 1 ]
check "pool failing at a task: victim unchanged" victim_intact
check "pool failing at a task: FILE, FILE.rank0, FILE.rank1 are regular files" regular_files "$pk" "$pk.rank0" "$pk.rank1"
rm -f "$pk"*
plant "$pk" ""
mpirun_n 2 "$POOL" "${PARGS[@]}" --checkpoint "$pk" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "pool: a link at FILE is refused, exit 1, one line ($rc)" \
    [ "$rc:$(grep -c '^pool: error: ' "$TMP/err"):$(grep -c "'$pk'" "$TMP/err")" = 1:1:1 ]
check "pool: link at FILE: victim unchanged" victim_intact

finish
