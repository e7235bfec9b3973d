#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# The HDF5 files of every job that writes one, as an h5py user reads them (issue 17.2): string
# attributes are str (variable-length UTF-8), table's `columns` is a list naming its datasets,
# every dataset carries a description; table reads back the files it writes (old comma-joined
# `columns` strings too). At 1 and 3 ranks.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c 'import h5py' 2>/dev/null; then
    echo "# skipped: $PY has no h5py (apt-get install python3-h5py)"
    finish
fi
printf 'The cat and the hat\nthe end\n' >"$TMP/words.txt"
for n in 1 3; do
    D=$TMP/n$n
    mkdir -p "$D"
    {
        mpirun_n "$n" "$BIN/arraystats" --shape 10x7 --chunks 3x3 --save "$D/a.h5"
        mpirun_n "$n" "$BIN/datagen" --shape 6x5 --chunks 2x5 --rows 9 -o "$D/d.h5"
        mpirun_n "$n" "$BIN/table" --rows 11 --partitions 4 -o "$D/t.h5"
        mpirun_n "$n" "$BIN/wordcount" --counts "$D/w.h5" "$TMP/words.txt"
    } >/dev/null 2>"$TMP/err"
    "$PY" - "$D" <<'EOF' >"$TMP/verdicts" 2>&1
import sys
import h5py
d = sys.argv[1]
for name in ("a.h5", "d.h5", "t.h5", "w.h5"):
    f = h5py.File(f"{d}/{name}", "r")
    strs = {k: v for k, v in f.attrs.items() if k in ("program", "version", "command", "time")}
    ok = len(strs) == 4 and all(isinstance(v, str) for v in strs.values())
    print(("ok" if ok else "not ok") + f" - {name}: provenance attributes are str: {sorted(strs)}")
    missing = [k for k in f if not f[k].attrs.get("description")]
    print(("ok" if not missing else "not ok") + f" - {name}: every dataset has a description" +
          (f" (not: {missing})" if missing else ""))
    if "columns" in f.attrs:
        cols = list(f.attrs["columns"])
        # datagen's /x (the array) sits beside the table's columns
        ok = all(isinstance(c, str) for c in cols) and set(cols) == set(f) - ({"x"} if name == "d.h5" else set())
        print(("ok" if ok else "not ok") + f" - {name}: columns is a list of str naming the datasets: {cols}")
EOF
    while IFS= read -r line; do
        case $line in
        ok\ -*) ok "$n ranks: ${line#ok - }" ;;
        *) not_ok "$n ranks: ${line#not ok - }" ;;
        esac
    done <"$TMP/verdicts"
    check "$n ranks: h5py judged 4 files" [ "$(grep -c '^ok\|^not ok' "$TMP/verdicts")" = 10 ]
    # table reads its own file back: the same rows as written
    mpirun_n "$n" "$BIN/table" --input "$D/t.h5" --apply 'Z=A' --format csv >"$TMP/back.csv" 2>"$TMP/err"
    check "$n ranks: table --input reads the columns list back (11 rows, A..K then Z)" \
        [ "$(head -n 1 "$TMP/back.csv"):$(($(wc -l <"$TMP/back.csv") - 1))" = "A,B,C,D,K,Z:11" ]
    # datagen's file holds /x beside the columns: only `columns` says which datasets are the table
    mpirun_n "$n" "$BIN/table" --input "$D/d.h5" --apply 'Z=A' --format csv >"$TMP/back.csv" 2>"$TMP/err"
    check "$n ranks: table --input reads datagen's columns list, not /x (9 rows, A..D then Z)" \
        [ "$(head -n 1 "$TMP/back.csv"):$(($(wc -l <"$TMP/back.csv") - 1))" = "A,B,C,D,Z:9" ]
done
# A file whose `columns` is one comma-joined fixed-length string (mpikit 0.1.0) still reads.
"$PY" - "$TMP/n1/t.h5" "$TMP/old.h5" <<'EOF'
import sys
import h5py
import numpy as np
src, dst = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "w")
for k in src:
    dst[k] = src[k][:]
dst.attrs.create("columns", np.bytes_(",".join(src.attrs["columns"])))
EOF
mpirun_n 2 "$BIN/table" --input "$TMP/old.h5" --apply 'Z=A' --format csv >"$TMP/back.csv" 2>"$TMP/err"
check "an old comma-joined columns string still reads" [ "$(head -n 1 "$TMP/back.csv")" = "A,B,C,D,K,Z" ]
finish
