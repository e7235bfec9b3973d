#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Temporaries of the MPI-IO writers (issue 13, defect 8 and build item 4). An HDF5 output is
# written at OUT.tmp-XXXXXX, which rank 0 holds locked (an OFD lock: the kernel drops it when
# the process dies). A SIGKILLed run leaves that file; the next run writing OUT removes every
# OUT.tmp-XXXXXX that nobody holds and that is at least 2 s old, and nothing else: not a
# live writer's temporary, not a fresh one, not other names, not a symlink's target.
. "$(dirname "$0")/../lib.sh"
D=$TMP/s
mkdir -p "$D"
AS=$BIN/arraystats

# --- a real SIGKILL mid-write, then the next run ---
tag="$$-$RANDOM"
MPIKIT_FAULT_TAG=$tag TEST_TIMEOUT=60 mpirun_n 2 "$AS" --shape 4000x4000 --chunks 500x500 --no-progress \
    --save "$D/a.h5" >/dev/null 2>&1 &
mp=$!
victim=""
for ((i = 0; i < 300; i++)); do
    # rank 0 once the temporary has data in it
    if [ -n "$(find "$D" -name 'a.h5.tmp-*' -size +1M 2>/dev/null)" ]; then
        for p in $(pgrep -f "$AS" 2>/dev/null); do
            e=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null) || continue
            grep -qx "MPIKIT_FAULT_TAG=$tag" <<<"$e" && grep -qx 'OMPI_COMM_WORLD_RANK=0' <<<"$e" && victim=$p
        done
        [ -n "$victim" ] && break
    fi
    sleep 0.05
done
if [ -n "$victim" ]; then
    kill -KILL "$victim"
    wait "$mp"
    left=$(find "$D" -name 'a.h5.tmp-*' -printf '%f ')
    check "SIGKILL of rank 0 mid-write leaves a temporary (as before): $left" [ -n "$left" ]
    sleep 2.1
    mpirun_n 2 "$AS" --shape 40x40 --chunks 7x9 --save "$D/a.h5" >/dev/null 2>"$TMP/err"
    rc=$?
    check "the next run writing a.h5 exits 0" [ "$rc" = 0 ]
    check "... and removed the killed run's temporary (left: $(find "$D" -name 'a.h5.tmp-*' -printf '%f '))" \
        [ -z "$(find "$D" -name 'a.h5.tmp-*')" ]
    check "... and a.h5 is there" [ -f "$D/a.h5" ]
else
    wait "$mp"
    not_ok "the temporary of the run to kill never appeared (or rank 0 was not found)"
fi

# --- what is removed and what is not ---
B=$D/b
mkdir -p "$B"
old() { touch -d '1 minute ago' "$@"; }
for f in out.h5.tmp-AbC123 out.h5.tmp-zz9900; do echo stale >"$B/$f"; old "$B/$f"; done
echo fresh >"$B/out.h5.tmp-Fresh1"                      # < 2 s old: maybe a run between mkstemp and lock
echo other >"$B/other.h5.tmp-AbC123" && old "$B/other.h5.tmp-AbC123"   # another output's
echo long >"$B/out.h5.tmp-AbC1234" && old "$B/out.h5.tmp-AbC1234"      # not mkstemp's pattern
echo keep >"$B/target"
ln -s target "$B/out.h5.tmp-Link00"                      # a symlink: neither followed nor removed
echo live >"$B/out.h5.tmp-Live00" && old "$B/out.h5.tmp-Live00"
# a live writer: holds the same OFD lock as src/outfile.c until told to stop
/usr/bin/python3 - "$B/out.h5.tmp-Live00" "$TMP/locked" "$TMP/stop" <<'EOF' &
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 1 << 62, 1, 0))
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
EOF
holder=$!
for ((i = 0; i < 100; i++)); do [ -e "$TMP/locked" ] && break; sleep 0.05; done
mpirun_n 3 "$AS" --shape 20x20 --chunks 6x6 --save "$B/out.h5" >/dev/null 2>"$TMP/err"
rc=$?
touch "$TMP/stop"
wait "$holder"
got=$(find "$B" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
want="other.h5.tmp-AbC123 out.h5 out.h5.tmp-AbC1234 out.h5.tmp-Fresh1 out.h5.tmp-Link00 out.h5.tmp-Live00 target "
check "3 ranks: exit 0 ($rc); removed the 2 unlocked old temporaries of out.h5 only: $got" \
    test "$rc" = 0 -a "$got" = "$want"
check "the symlink's target is untouched" [ "$(cat "$B/target")" = keep ]
finish
