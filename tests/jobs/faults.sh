#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Faults (issue 8): a rank killed mid-run, a full disk, a read-only output directory, and a
# fault on one rank that all ranks must agree on. For every job that writes a file:
#   - SIGKILL one non-zero rank mid-run: the job ends (Open MPI aborts it) before the timeout
#     with a non-zero status, no rank of it is left running, nothing at the output's name;
#     a CSV/SVG writer (src/outfile.c, unnamed O_TMPFILE) leaves no temporary either; the
#     MPI-IO writers (HDF5, textgen) may leave PATH.tmp-* (reported, see docs/reliability.md).
#   - a 64 KiB tmpfs and a read-only bind mount: one error line naming the path, exit 1,
#     the directory left as it was, the input unchanged.
# Processes are found by an environment tag set for each run, so only this suite's own ranks
# are ever signalled (other suites may run the same programs at the same time).
. "$(dirname "$0")/../lib.sh"
KILL_TIMEOUT=${KILL_TIMEOUT:-90}
D=$TMP/f
mkdir -p "$D"
"$TOOLS/bytes" text 5 300000 >"$D/words.txt"      # its word counts are larger than 64 KiB
"$TOOLS/bytes" text 7 4000000 >"$D/big.txt"
printf 'A,B\n' >"$D/t.csv"
seq 1 20000 | awk '{ print $1 "," $1 % 7 }' >>"$D/t.csv"

# The pids of the ranks (not mpirun) of the run tagged TAG, as "RANK PID" lines.
tagged_ranks() {
    local p e
    for p in $(pgrep -f "$BIN/" 2>/dev/null); do
        e=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null) || continue
        grep -qx "MPIKIT_FAULT_TAG=$1" <<<"$e" || continue
        grep -q '^OMPI_COMM_WORLD_RANK=' <<<"$e" || continue
        echo "$(sed -n 's/^OMPI_COMM_WORLD_RANK=//p' <<<"$e") $p"
    done
}

# kill_rank NAME RANKS VICTIM DELAY OUTPUT EXPECT_TMP JOB ARGS... : start the job, wait until all
# its ranks run plus DELAY seconds (tmp: until OUTPUT.tmp-* exists), SIGKILL rank VICTIM, then
# check the aftermath.
# EXPECT_TMP: none (no temporary may be left) or maybe (an MPI-IO writer's PATH.tmp-* is allowed).
kill_rank() {
    local name=$1 n=$2 victim=$3 delay=$4 output=$5 expect_tmp=$6 job=$7
    shift 7
    local tag="$$-$RANDOM-$RANDOM" i pid
    MPIKIT_FAULT_TAG=$tag TEST_TIMEOUT=$KILL_TIMEOUT mpirun_n "$n" "$BIN/$job" "$@" >"$TMP/kout" 2>"$TMP/kerr" &
    local mp=$!
    for ((i = 0; i < 300; i++)); do
        [ "$(tagged_ranks "$tag" | wc -l)" = "$n" ] && break
        sleep 0.1
    done
    if [ "$delay" = tmp ]; then
        # kill while the output is being written: as soon as its temporary exists (a fast job
        # would otherwise finish before a fixed delay on an idle machine)
        for ((i = 0; i < 600; i++)); do
            compgen -G "$output.tmp-*" >/dev/null && break
            sleep 0.05
        done
    else
        sleep "$delay"
    fi
    pid=$(tagged_ranks "$tag" | awk -v r="$victim" '$1 == r { print $2 }')
    if [ -z "$pid" ]; then
        wait "$mp"
        not_ok "$name: rank $victim not found running (the job ended first? exit $?)"
        return
    fi
    local t0=$EPOCHREALTIME
    kill -KILL "$pid"
    wait "$mp"
    local rc=$?
    local secs
    secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    # The other ranks get SIGTERM then SIGKILL from Open MPI; give them a moment to vanish.
    local left=""
    for ((i = 0; i < 50; i++)); do
        left=$(tagged_ranks "$tag")
        [ -z "$left" ] && break
        sleep 0.2
    done
    local dir tmps why=""
    dir=$(dirname "$output")
    tmps=$(find "$dir" -maxdepth 1 -name "$(basename "$output").tmp-*" -printf '%f ')
    # (mpirun passes on the victim's status, 137 = killed by signal 9; timeout gives 124)
    { [ "$rc" = 0 ] || [ "$rc" = 124 ]; } && why="$why exit $rc;"
    [ -n "$left" ] && why="$why ranks left running: $(echo "$left" | tr '\n' ' ');"
    [ -e "$output" ] && why="$why $output exists;"
    [ "$expect_tmp" = none ] && [ -n "$tmps" ] && why="$why temporary left: $tmps;"
    if [ -z "$why" ]; then
        ok "$name: rank $victim of $n killed, job ended in ${secs}s with exit $rc, no rank left, no output"
        [ -n "$tmps" ] && echo "# known limit: $name left the MPI-IO temporary $tmps"
    else
        not_ok "$name:$why"
        sed 's/^/#   /' "$TMP/kerr" | grep -v -e '^#   ---' | head -n 6
    fi
    rm -f "$dir"/*.tmp-* "$output"
}

echo "# --- a rank dies ---"
# (wordcount's test hook slows every chunk by 0.1 s, so the kill lands during the reads)
MPIKIT_INJECT_SLOW_CHUNK_US=100000 kill_rank "wordcount --counts csv" 3 2 1 "$D/c.csv" none \
    wordcount --chunk-size 64K --counts "$D/c.csv" "$D/big.txt"
MPIKIT_INJECT_SLOW_CHUNK_US=100000 kill_rank "wordcount --counts h5" 3 1 1 "$D/c.h5" maybe \
    wordcount --chunk-size 64K --counts "$D/c.h5" "$D/big.txt"
kill_rank "pool --gantt" 3 2 1 "$D/g.svg" none pool -n 12 --sleep const:0.5 --gantt "$D/g.svg"
kill_rank "table -o csv" 3 2 0.5 "$D/t-out.csv" none table -n 12000000 -o "$D/t-out.csv"
kill_rank "table -o h5" 3 1 tmp "$D/t-out.h5" maybe table -n 12000000 -o "$D/t-out.h5"
kill_rank "arraystats --save" 3 2 tmp "$D/a.h5" maybe arraystats -s 8000x8000 -c 500x500 -o "$D/a.h5"
kill_rank "textgen" 3 1 tmp "$D/t.txt" maybe textgen --bytes 512M -o "$D/t.txt"
kill_rank "datagen -o h5" 3 2 tmp "$D/d.h5" maybe datagen -n 20000000 -o "$D/d.h5"
kill_rank "datagen -o csv" 3 2 0.5 "$D/d.csv" none datagen -n 5000000 -o "$D/d.csv"

# --- a full disk and a read-only directory ---
# write_error NAME KIND DIR JOB ARGS... : @DIR@ in ARGS is DIR; the job must fail with exit 1 and
# one error line naming the output path, leave DIR as it was and its inputs unchanged.
write_error() {
    local name=$1 kind=$2 dir=$3 job=$4
    shift 4
    local args=() a path=""
    for a in "$@"; do
        args+=("${a//@DIR@/$dir}")
        case $a in @DIR@/*) path=${a//@DIR@/$dir} ;; esac
    done
    local before after
    before=$(cd "$D" && md5sum words.txt t.csv)
    local listing
    listing=$(find "$dir" -mindepth 1 -printf '%f\n' | sort)
    mpirun_n 2 "$BIN/$job" "${args[@]}" >"$TMP/wout" 2>"$TMP/werr"
    local rc=$? why=""
    after=$(cd "$D" && md5sum words.txt t.csv)
    local lines
    lines=$(grep -c "^$job: error: " "$TMP/werr")
    [ "$rc" = 1 ] || why="$why exit $rc (want 1);"
    [ "$lines" = 1 ] || why="$why $lines error lines;"
    grep "^$job: error: " "$TMP/werr" | grep -q -F "'$path'" || why="$why the error does not name '$path';"
    [ "$(find "$dir" -mindepth 1 -printf '%f\n' | sort)" = "$listing" ] ||
        why="$why left in $kind: $(find "$dir" -mindepth 1 -printf '%f ');"
    [ "$before" = "$after" ] || why="$why an input changed;"
    if [ -z "$why" ]; then
        ok "$name on a $kind: exit 1, $(grep "^$job: error: " "$TMP/werr" | cut -c1-110)"
    else
        not_ok "$name on a $kind:$why"
        sed 's/^/#   /' "$TMP/werr" | grep -v '^#   ---' | head -n 5
    fi
    # a full tmpfs must be emptied for the next case
    if [ "$kind" = "full disk" ]; then rm -rf "${dir:?}"/*; fi
}

writers() { # KIND DIR : every job that writes a file
    local k=$1 dir=$2
    write_error "wordcount --counts csv" "$k" "$dir" wordcount --counts @DIR@/c.csv "$D/words.txt"
    write_error "wordcount --counts h5" "$k" "$dir" wordcount --counts @DIR@/c.h5 "$D/words.txt"
    write_error "pool --gantt" "$k" "$dir" pool -n 3000 --sleep const:0 --no-progress --gantt @DIR@/g.svg
    write_error "table -o csv" "$k" "$dir" table -n 100000 -o @DIR@/t.csv
    write_error "table -i csv -o h5" "$k" "$dir" table -i "$D/t.csv" -o @DIR@/t.h5
    write_error "arraystats --save" "$k" "$dir" arraystats -s 300x300 -c 100x100 -o @DIR@/a.h5
    write_error "textgen" "$k" "$dir" textgen --bytes 1M -o @DIR@/t.txt
    write_error "datagen -o h5" "$k" "$dir" datagen -n 100000 -o @DIR@/d.h5
    write_error "datagen -o csv" "$k" "$dir" datagen -n 100000 -o @DIR@/d.csv
}

FULL=$TMP/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2>/dev/null; then
    trap 'umount "$FULL" 2>/dev/null; umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
    writers "full disk" "$FULL"
    umount "$FULL"
else
    echo "# SKIP full disk: cannot mount a tmpfs (needs root)"
fi

RO=$TMP/ro
mkdir -p "$TMP/ro-src" "$RO"
echo keep >"$TMP/ro-src/already-here"
if mount --bind "$TMP/ro-src" "$RO" 2>/dev/null && mount -o remount,bind,ro "$RO" 2>/dev/null; then
    writers "read-only mount" "$RO"
    umount "$RO"
elif [ "$(id -u)" != 0 ]; then
    chmod 555 "$TMP/ro-src"
    writers "read-only directory" "$TMP/ro-src"
    chmod 755 "$TMP/ro-src"
else
    echo "# SKIP read-only directory: no bind mount, and root ignores directory permissions"
fi

# --- collective error agreement ---
# A fault on one rank: every rank must learn it at the next agreement point and exit by
# itself with the same status (mpirun is told not to abort the others, so a rank that did not
# learn would hang until the timeout), rank 0 printing one line, and no output file.
# agree NAME RANKS PATTERN OUTPUT JOB ARGS... (a wrapper records each rank's own exit status)
agree() {
    local name=$1 n=$2 pattern=$3 output=$4 job=$5
    shift 5
    TEST_TIMEOUT=60 run_agreed "$n" "$output" "$BIN/$job" "$@"
    local why=$AGREED_WHY
    grep -q -- "$pattern" "$TMP/agreed.err" || why="$why no '$pattern';"
    if [ -z "$why" ]; then
        ok "$name at $n ranks: every rank exits 1 by itself, one line: $AGREED_LINE"
    else
        not_ok "$name at $n ranks:$why"
        sed 's/^/#   /' "$TMP/agreed.err" | grep -v '^#   ---' | head -n 5
    fi
    rm -f "$output"
}
for bad in 1 2; do
    MPIKIT_INJECT_FAULT=$bad agree "wordcount, fault injected on rank $bad, --counts h5" 3 \
        "injected fault on rank $bad" "$D/c.h5" wordcount --chunk-size 64K --counts "$D/c.h5" "$D/big.txt"
done
MPIKIT_INJECT_FAULT=3 agree "wordcount, fault injected on the last rank, --counts csv" 4 \
    "injected fault on rank 3" "$D/c.csv" wordcount --chunk-size 64K --counts "$D/c.csv" "$D/big.txt"
agree "pool, a task fails on a worker" 3 "task for item 4 failed" "$D/g.svg" \
    pool -n 6 --sleep const:0 --fail-at 4 --gantt "$D/g.svg"
agree "pool --schedule static, the last rank's task fails" 3 "task for item 5 failed" "$D/g.svg" \
    pool -n 6 --sleep const:0 --schedule static --fail-at 5 --gantt "$D/g.svg"
# (a text cell is no error since CSV columns may hold text: the last row is ragged instead)
{ echo A,B; seq 1 30 | awk '{ print $1 "," $1 }'; echo 1,2,3; } >"$D/bad.csv"
agree "table, a ragged last row" 3 "bad.csv:32" "$D/tb.csv" table -i "$D/bad.csv" -o "$D/tb.csv"
printf 'not hdf5\n' >"$D/fake.h5"
agree "arraystats, an input that is not HDF5" 3 "is not an HDF5 file" "$D/a2.h5" \
    arraystats -i "$D/fake.h5" -o "$D/a2.h5"

finish
