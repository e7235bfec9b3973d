#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# A failure that only one rank meets in the middle of a collective HDF5 loop (issue 13,
# defects 2 and 3): a damaged chunk of a gzip or fletcher32 dataset that only one rank reads,
# and a disk that fills while the ranks write (a 1 MiB tmpfs: creation succeeds, a later
# write fails). Before, the failing rank left its loop while the others waited in the next
# collective: every run hung. Now every collective routine of src/h5.c agrees on the error.
# Each case at 2 and 3 ranks, mpirun told not to abort the others (so a rank that did not
# learn of the failure would hang): every rank exits 1 by itself within 10 s, rank 0 prints
# one error line, nothing at the output's name, no temporary left. Also a disk with 0 bytes free
# (defect 5: a crash in MPI_Finalize after the error line).
. "$(dirname "$0")/../lib.sh"
D=$TMP/r
mkdir -p "$D/out"

# expect_agreed NAME PATTERN OUTPUT JOB ARGS... : the checks above at 2 and 3 ranks
expect_agreed() {
    local name=$1 pattern=$2 output=$3 job=$4
    shift 4
    local n t0 secs why
    for n in 2 3; do
        t0=$EPOCHREALTIME
        TEST_TIMEOUT=10 run_agreed "$n" "$output" "$BIN/$job" "$@"
        secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
        why=$AGREED_WHY
        grep -q 'HDF5-DIAG' "$TMP/agreed.err" && why="$why HDF5's error stack printed;"
        grep "^$job: error: " "$TMP/agreed.err" | grep -q -- "$pattern" || why="$why no '$pattern';"
        if [ -z "$why" ]; then
            ok "$name at $n ranks: every rank exits 1 in ${secs}s, $AGREED_LINE"
        else
            not_ok "$name at $n ranks:$why"
            sed 's/^/#   /' "$TMP/agreed.err" | grep -v '^#   ---' | head -n 5
        fi
        rm -f "$output" "$(dirname "$output")"/*.tmp-*
    done
}

# --- a damaged chunk, read by the last rank only ---
# 60x40 doubles in chunks of 10 rows: with --chunks 10x40 the grid is 2x1 or 3x1, and chunk 4
# (rows 40-49) belongs to the last rank, whose second band it is (rank 0 has more bands to go).
if /usr/bin/python3 - "$D" <<'EOF'; then
import sys, h5py, numpy as np
d = sys.argv[1]
x = np.random.default_rng(1).standard_normal((60, 40))
for name, kw in (("gzip", dict(compression="gzip")), ("fletcher32", dict(fletcher32=True))):
    path = f"{d}/{name}.h5"
    with h5py.File(path, "w") as f:
        info = f.create_dataset("x", data=x, chunks=(10, 40), **kw).id.get_chunk_info(4)
    with open(path, "r+b") as f:  # flip 16 bytes in the middle of chunk 4
        f.seek(info.byte_offset + info.size // 2)
        b = bytearray(f.read(16))
        f.seek(info.byte_offset + info.size // 2)
        f.write(bytes(v ^ 0xFF for v in b))
EOF
    for kind in gzip fletcher32; do
        expect_agreed "arraystats, a damaged $kind chunk on the last rank" "cannot read dataset '/x'" \
            "$D/out/a.h5" arraystats --input "$D/$kind.h5" --chunks 10x40 --save "$D/out/a.h5"
    done
else
    not_ok "set-up: /usr/bin/python3 with h5py could not write the damaged files"
fi

# --- a disk that fills partway ---
TINY=$TMP/tiny
mkdir -p "$TINY"
if mount -t tmpfs -o size=1m tmpfs "$TINY" 2>/dev/null; then
    trap 'umount "$TINY" 2>/dev/null; rm -rf "$TMP"' EXIT
    "$TOOLS/bytes" text 5 1200000 >"$D/words.txt" # its --counts file is about 2.7 MB
    expect_agreed "table -o .h5, disk full partway" "cannot write dataset '/[A-Z]' in '$TINY/t.h5'" \
        "$TINY/t.h5" table --rows 200000 -o "$TINY/t.h5"
    expect_agreed "arraystats --save, disk full partway" "cannot write dataset '/x' in '$TINY/a.h5'" \
        "$TINY/a.h5" arraystats --shape 400x400 --chunks 50x50 --save "$TINY/a.h5"
    expect_agreed "wordcount --counts .h5, disk full partway" "cannot write dataset '/[a-z_]*' in '$TINY/c.h5'" \
        "$TINY/c.h5" wordcount --counts "$TINY/c.h5" "$D/words.txt"
    check "the full tmpfs is empty afterwards" [ -z "$(ls -A "$TINY")" ]
    # Defect 5: with 0 bytes free, HDF5's close failed too and MPI_Finalize crashed in
    # H5F__close_cb (exit 139) after the right line. Now a reserve refuses the run at creation.
    dd if=/dev/zero of="$TINY/fill" bs=4k >/dev/null 2>&1
    expect_agreed "table -o .h5, 0 bytes free" "cannot write '$TINY/t.h5': No space left on device" \
        "$TINY/t.h5" table --rows 1000 -o "$TINY/t.h5"
    expect_agreed "arraystats --save, 0 bytes free" "cannot write '$TINY/a.h5': No space left on device" \
        "$TINY/a.h5" arraystats --shape 30x30 --save "$TINY/a.h5"
    expect_agreed "wordcount --counts .h5, 0 bytes free" "cannot write '$TINY/c.h5': No space left on device" \
        "$TINY/c.h5" wordcount --counts "$TINY/c.h5" "$D/words.txt"
    check "the full tmpfs holds only the filler afterwards" [ "$(ls -A "$TINY")" = fill ]
    umount "$TINY"
else
    echo "# SKIP disk full partway: cannot mount a tmpfs (needs root)"
fi
finish
