#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# make install into a scratch prefix (and with DESTDIR into a staging tree): the programs as
# mpikit-NAME, libmpikit.a and libmpikit.so (soname libmpikit.so.MAJOR), the headers, mpikit.pc
# and one man page per program. An outside program built with plain cc and
# `pkg-config --cflags --libs mpikit` alone (no mpicc, no HDF5 flags of its own) includes the MPI
# and HDF5 headers of mpikit and prints a table as CSV: linked with the .so (run at 1 and 3 ranks
# with LD_LIBRARY_PATH) and with the .a (2 ranks). Every man page renders without warnings; every
# installed program answers --help and --version; make uninstall removes exactly what was
# installed (a foreign bin/hello, as Debian's hello package has, is left alone).
. "$(dirname "$0")/../lib.sh"
P=$TMP/prefix
if ! command -v pkg-config >/dev/null || ! command -v cc >/dev/null || ! command -v help2man >/dev/null ||
    ! command -v man >/dev/null; then
    echo "# skipped: needs pkg-config, cc, help2man and man (scripts/install-deps.sh build)"
    finish
fi
mapfile -t jobs < <(cd "$ROOT/jobs" && printf '%s\n' *.c | sed 's/\.c$//')
mapfile -t headers < <(cd "$ROOT/include/mpikit" && printf '%s\n' *.h)
version=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
mkdir -p "$P/bin"
echo foreign >"$P/bin/hello"

make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$P" install >"$TMP/make.out" 2>&1
rc=$?
check "make install PREFIX=...: exit 0" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/make.out" | tail -5
# The expected tree, from the sources (jobs/*.c, include/mpikit/*.h) and the version.
{
    echo bin/hello
    echo bin/mktrace
    printf 'bin/mpikit-%s\n' "${jobs[@]}"
    printf 'include/mpikit/%s\n' "${headers[@]}"
    printf 'lib/%s\n' libmpikit.a libmpikit.so "libmpikit.so.${version%%.*}" "libmpikit.so.$version" \
        libmpikit-trace.so pkgconfig/mpikit.pc
    echo share/man/man1/mktrace.1
    printf 'share/man/man1/mpikit-%s.1\n' "${jobs[@]}"
} | sort >"$TMP/want.files"
(cd "$P" && find . -type f -o -type l) | sed 's|^\./||' | sort >"$TMP/got.files"
check "installed: exactly the ${#jobs[@]} mpikit-NAME programs, mktrace, libraries, headers, mpikit.pc, man pages" \
    diff "$TMP/want.files" "$TMP/got.files"
check "the foreign bin/hello is untouched" [ "$(cat "$P/bin/hello")" = foreign ]
check "modes: programs and libmpikit.so 0755, mpikit.pc, libmpikit.a, headers and pages 0644" \
    [ "$(stat -c %a "$P/bin/mpikit-${jobs[0]}" "$P/lib/libmpikit.so.$version" "$P/lib/pkgconfig/mpikit.pc" \
        "$P/lib/libmpikit.a" "$P/include/mpikit/${headers[0]}" "$P/share/man/man1/mktrace.1" | tr '\n' ' ')" = \
        "755 755 644 644 644 644 " ]
soname=$(readelf -d "$P/lib/libmpikit.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "libmpikit.so -> libmpikit.so.${version%%.*} -> libmpikit.so.$version, soname $soname" \
    [ "$soname:$(readlink "$P/lib/libmpikit.so"):$(readlink "$P/lib/libmpikit.so.${version%%.*}")" = \
        "libmpikit.so.${version%%.*}:libmpikit.so.${version%%.*}:libmpikit.so.$version" ]
export PKG_CONFIG_PATH=$P/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
check "pkg-config knows mpikit $(pkg-config --modversion mpikit 2>/dev/null), prefix $P" \
    [ "$(pkg-config --modversion mpikit 2>/dev/null):$(pkg-config --variable=prefix mpikit 2>/dev/null)" = "$version:$P" ]

cat >"$TMP/outside.c" <<'C'
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
C
# outside_runs KIND N... : the outside program $TMP/outside-KIND at each rank count prints the
# table with every bit of each value (0.1 * 3 is 0.30000000000000004), from awk's arithmetic.
outside_runs() {
    local kind=$1 n want
    shift
    for n in "$@"; do
        mpirun_n "$n" "$TMP/outside-$kind" >"$TMP/out" 2>"$TMP/err"
        want=$(printf 'rank,x\n'; for r in $(seq 0 $((n - 1))); do
            awk -v r="$r" 'BEGIN { x = 0.1 * (r + 1); printf "%d,%s\n", r, (r == 2 ? "0.30000000000000004" : x) }'; done)
        check "the outside program ($kind) at $n ranks: one CSV table, exact values" \
            [ "$(head -n $((n + 1)) "$TMP/out")" = "$want" ]
    done
}
# shellcheck disable=SC2046 # pkg-config's output is words on purpose
cc -std=c11 -Wall -Werror -o "$TMP/outside-shared" "$TMP/outside.c" $(pkg-config --cflags --libs mpikit) 2>"$TMP/cc.err"
rc=$?
check "cc with pkg-config --cflags --libs mpikit alone: builds against libmpikit.so" \
    [ $rc = 0 ] && readelf -d "$TMP/outside-shared" | grep -q "NEEDED.*\[libmpikit\.so\.${version%%.*}\]"
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/cc.err" | head -5
LD_LIBRARY_PATH=$P/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} outside_runs shared 1 3
# The static library: -lmpikit spelled -l:libmpikit.a, the rest from pkg-config --static.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$TMP/outside-static" "$TMP/outside.c" $(pkg-config --cflags mpikit) \
    $(pkg-config --static --libs mpikit | sed 's/-lmpikit\b/-l:libmpikit.a/') 2>"$TMP/cc.err"
rc=$?
check "cc with pkg-config --static and libmpikit.a: builds, needs no libmpikit.so" \
    [ $rc = 0 ] && ! readelf -d "$TMP/outside-static" | grep -q 'NEEDED.*libmpikit'
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/cc.err" | head -5
outside_runs static 2

# Man pages: each renders without warnings, names the installed program, and man finds it by
# that name in the prefix's share/man.
bad_pages=()
for page in "$P"/share/man/man1/*.1; do
    name=$(basename "$page" .1)
    text=$(MANWIDTH=80 man --warnings -l "$page" 2>"$TMP/man.err")
    if [ -s "$TMP/man.err" ] || ! grep -Eq "^ +$name +- +[A-Z]" <<<"$text" ||
        ! grep -A1 '^SYNOPSIS' <<<"$text" | tail -n 1 | grep -Eq "^ +$name( |$)"; then
        bad_pages+=("$name")
    fi
done
check "${#jobs[@]} + 1 man pages: man --warnings -l renders each, NAME and SYNOPSIS say the installed name${bad_pages[*]:+ (not: ${bad_pages[*]})}" \
    [ ${#bad_pages[@]} = 0 ]
check "MANPATH=PREFIX/share/man man -w mpikit-wordcount finds the installed page" \
    [ "$(MANPATH=$P/share/man man -w mpikit-wordcount 2>/dev/null)" = "$P/share/man/man1/mpikit-wordcount.1" ]

# Every installed program answers --help and --version (each starts MPI: run side by side).
# answer PROGRAM OPTION: its output, stderr and exit status into $TMP/NAME.OPTION{,.err,.rc}.
answer() {
    local name
    name=$(basename "$1")
    timeout 60 "$1" "--$2" >"$TMP/$name.$2" 2>"$TMP/$name.$2.err"
    echo $? >"$TMP/$name.$2.rc"
}
progs=("$P"/bin/mpikit-* "$P/bin/mktrace")
for prog in "${progs[@]}"; do
    answer "$prog" help &
    answer "$prog" version &
done
wait
# Open MPI 4 crashes now and then inside MPI_Finalize, after the program's work is done
# (open-mpi/ompi#10117, about 1 run in 200 here with 28 singletons starting at once): a run
# killed by SIGSEGV is run once more, alone, and said so; a program that fails twice fails.
for prog in "${progs[@]}"; do
    name=$(basename "$prog")
    for opt in help version; do
        if [ "$(cat "$TMP/$name.$opt.rc")" = 139 ]; then
            echo "# $name --$opt: SIGSEGV ($(grep -m 1 -o 'Failing at address.*' "$TMP/$name.$opt.err")); once more"
            answer "$prog" "$opt"
        fi
    done
done
bad_progs=()
for prog in "${progs[@]}"; do
    name=$(basename "$prog")
    if [ "$(cat "$TMP/$name.help.rc"):$(cat "$TMP/$name.version.rc")" != 0:0 ] ||
        ! head -n 1 "$TMP/$name.help" | grep -q '^usage: ' ||
        [ "$(cat "$TMP/$name.version")" != "${name#mpikit-} (mpikit) $version" ]; then
        bad_progs+=("$name")
        head -n 4 "$TMP/$name.help.rc" "$TMP/$name.help" "$TMP/$name.help.err" "$TMP/$name.version.rc" \
            "$TMP/$name.version" "$TMP/$name.version.err" | sed 's/^/#   /'
    fi
done
check "${#progs[@]} installed programs: --help (usage line) and --version (mpikit $version), exit 0${bad_progs[*]:+ (not: ${bad_progs[*]})}" \
    [ ${#bad_progs[@]} = 0 ]

make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$P" uninstall >"$TMP/make.out" 2>&1
check "make uninstall: exit 0, every installed file gone, include/mpikit too; the foreign bin/hello stays" \
    [ $? = 0 ] && [ "$(cd "$P" && find . -type f -o -type l)" = ./bin/hello ] && [ ! -e "$P/include/mpikit" ]

# DESTDIR: the files land under the staging tree, mpikit.pc names PREFIX without it.
S=$TMP/stage
make -s -C "$ROOT" BUILD="$BUILD" PREFIX=/opt/mpikit DESTDIR="$S" install >"$TMP/make.out" 2>&1
check "make install DESTDIR=STAGE PREFIX=/opt/mpikit: the same tree under STAGE/opt/mpikit, mpikit.pc says prefix=/opt/mpikit" \
    [ "$(cd "$S/opt/mpikit" && find . -type f -o -type l | sed 's|^\./||' | sort | tr '\n' ' ')" = \
        "$(grep -vx bin/hello "$TMP/want.files" | tr '\n' ' ')" ] && grep -qx 'prefix=/opt/mpikit' "$S/opt/mpikit/lib/pkgconfig/mpikit.pc"
make -s -C "$ROOT" BUILD="$BUILD" PREFIX=/opt/mpikit DESTDIR="$S" uninstall >"$TMP/make.out" 2>&1
check "make uninstall DESTDIR=STAGE: no file left in the staging tree" [ -z "$(find "$S" -type f -o -type l)" ]
finish
