#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# make install into a scratch prefix, then an outside program built with plain cc and
# `pkg-config --cflags --libs mpikit` alone (no mpicc, no HDF5 flags of its own) that includes
# the MPI and HDF5 headers of mpikit and prints a table as CSV, checked at 1 and 3 ranks.
. "$(dirname "$0")/../lib.sh"
P=$TMP/prefix
if ! command -v pkg-config >/dev/null || ! command -v cc >/dev/null; then
    echo "# skipped: needs pkg-config and cc"
    finish
fi
make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$P" install >"$TMP/make.out" 2>&1
check "make install PREFIX=...: exit 0" [ $? = 0 ]
check "installed: lib/pkgconfig/mpikit.pc (0644), libmpikit.a, mpikit/report.h" \
    [ "$(stat -c %a "$P/lib/pkgconfig/mpikit.pc" 2>/dev/null):$(ls "$P/lib/libmpikit.a" "$P/include/mpikit/report.h" 2>/dev/null | wc -l)" = 644:2 ]
export PKG_CONFIG_PATH=$P/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
check "pkg-config knows mpikit $(pkg-config --modversion mpikit 2>/dev/null)" pkg-config --exists mpikit

cat >"$TMP/outside.c" <<'EOF'
/* An outside program: every rank adds a row; rank 0 prints one CSV table. */
#include <mpikit/h5.h>
#include <mpikit/report.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    double x = 0.1 * (rank + 1), all[64];
    MPI_Gather(&x, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        const char *cols[] = {"rank", "x"};
        mk_table *t = mk_table_new("ranks", NULL, 2, cols);
        for (int r = 0; r < size && r < 64; r++) {
            mk_table_i64(t, r);
            mk_table_f64(t, "%.2f", all[r]);
        }
        mk_tables_print(stdout, &t, 1, MK_FMT_CSV);
        mk_table_free(t);
        printf("hdf5 %d.%d\n", H5_VERS_MAJOR, H5_VERS_MINOR);
    }
    MPI_Finalize();
    return 0;
}
EOF
# shellcheck disable=SC2046 # pkg-config's output is words on purpose
cc -std=c11 -Wall -Werror -o "$TMP/outside" "$TMP/outside.c" $(pkg-config --cflags --libs mpikit) 2>"$TMP/cc.err"
rc=$?
check "cc with pkg-config --cflags --libs mpikit alone: builds" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/cc.err" | head -5
for n in 1 3; do
    mpirun_n "$n" "$TMP/outside" >"$TMP/out" 2>"$TMP/err"
    # 0.1 * 3 is 0.30000000000000004: CSV keeps every bit
    want=$(printf 'rank,x\n'; for r in $(seq 0 $((n - 1))); do
        awk -v r="$r" 'BEGIN { x = 0.1 * (r + 1); printf "%d,%s\n", r, (r == 2 ? "0.30000000000000004" : x) }'; done)
    check "the outside program at $n ranks: one CSV table, exact values" [ "$(head -n $((n + 1)) "$TMP/out")" = "$want" ]
done
make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$P" uninstall >/dev/null 2>&1
check "make uninstall removes mpikit.pc" [ ! -e "$P/lib/pkgconfig/mpikit.pc" ]
finish
