#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# findfiles against GNU find on generated trees: every strategy at every rank count finds exactly
# the paths `find DIR -name GLOB -type f` finds (compared NUL-separated, so names with newlines
# and non-UTF-8 bytes count), the totals agree, symlink loops end, unreadable directories are
# reported and not fatal, and bad input gives one clear line and a non-zero status.
. "$(dirname "$0")/../lib.sh"
FF=$BIN/findfiles
STRATEGIES="static manager steal"
sample_banner
# The unreadable-directory check runs as another user when we are root, so the tree must be
# reachable by it.
chmod 755 "$TMP"
T=$TMP/tree

# ---- the generated tree -------------------------------------------------------------------
# huge/ (a big subtree) beside many tiny ones, a deep chain, a wide flat directory, empty
# directories, awkward names, symlinks (to files, to directories, dangling, back to an ancestor).
make_tree() {
    local t=$1 i j
    mkdir -p "$t"
    for i in $(seq 1 12); do
        mkdir -p "$t/huge/h$i/sub"
        for j in $(seq 1 25); do : >"$t/huge/h$i/m$j.py"; done
        for j in $(seq 1 10); do printf '%*s' $((i * j)) '' >"$t/huge/h$i/sub/s$j.py"; done
        : >"$t/huge/h$i/readme.txt"
    done
    for i in $(seq 1 30); do
        mkdir -p "$t/tiny$i"
        : >"$t/tiny$i/t.py"
    done
    # deep chain: 60 levels, one .py and one other file at each
    (
        cd "$t" && mkdir deep && cd deep || exit 1
        for i in $(seq 1 60); do
            : >"f$i.py"
            : >"g$i.txt"
            mkdir "d$i" && cd "d$i" || exit 1
        done
    )
    # wide flat directory: many files and empty subdirectories
    mkdir -p "$t/wide"
    (cd "$t/wide" && for i in $(seq 1 600); do : >"w$i.py"; done && mkdir $(seq -f 'e%g' 1 80))
    mkdir -p "$t/empty/a/b/c" "$t/empty2"
    # names: spaces, newlines, tabs, non-UTF-8, leading dash, glob characters, quotes
    mkdir -p "$t/names/dir with space" "$t/names/$(printf 'nl\ndir')" "$t/names/$(printf '\xff\xfe')"
    : >"$t/names/dir with space/a b.py"
    : >"$t/names/$(printf 'nl\ndir')/$(printf 'x\ny.py')"
    : >"$t/names/$(printf '\xff\xfe')/$(printf '\xe9t\xe9.py')"
    : >"$t/names/-dash.py"
    : >"$t/names/[br]ack*et?.py"
    : >"$t/names/quote\"'.py"
    : >"$t/names/$(printf 'tab\t.py')"
    : >"$t/names/.hidden.py"
    : >"$t/names/notpy.py.txt"
    # symlinks: not followed by default
    ln -s ../huge/h1 "$t/names/link-to-dir"
    ln -s ../huge/h1/m1.py "$t/names/link-to-file.py"
    ln -s /nonexistent/target "$t/names/dangling.py"
    ln -s .. "$t/huge/h2/sub/loop-up"
    ln -s ../../huge "$t/huge/h3/loop-huge"
}
make_tree "$T"

# A deep chain whose paths are longer than PATH_MAX (4096): open() alone would fail.
LONG=$TMP/long
mkdir -p "$LONG"
(
    cd "$LONG" || exit 1
    for i in $(seq 1 120); do
        mkdir "component-number-$i-xxxxxxxxxxxxxxxx" && cd "component-number-$i-xxxxxxxxxxxxxxxx" || exit 1
        : >"leaf$i.py"
    done
)

# expected_* : GNU find's answer, NUL-separated and sorted bytewise.
expected() { find "$@" -print0 2>/dev/null | sort -z; }
count0() { tr -cd '\0' | wc -c; }

# totals_of ARGS... : the totals row of `--count --format csv` as "dirs entries files matched bytes"
totals_of() {
    local n=$1
    shift
    mpirun_n "$n" "$FF" --count --format csv "$@" 2>/dev/null | awk -F, 'NR == 2 { print $1, $2, $3, $4, $5 }'
}

# ---- the same paths as find, every strategy and rank count --------------------------------
expected "$T" -name '*.py' -type f >"$TMP/want"
want_n=$(count0 <"$TMP/want")
want_bytes=$(find "$T" -name '*.py' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
want_dirs=$(find "$T" -type d -printf . | wc -c)
want_entries=$(find "$T" -printf . | wc -c)
want_files=$(find "$T" -type f -printf . | wc -c)
echo "# tree: $want_entries entries, $want_dirs directories, $want_files files, $want_n match '*.py' -type f"
for s in $STRATEGIES; do
    rotate_ranks 2   # sampled: 2 rank counts per strategy, in turn (MPIKIT_TEST_FULL=1: all)
    for n in "${PICKED[@]}"; do
        mpirun_n "$n" "$FF" --strategy "$s" --name '*.py' --type f --print0 "$T" >"$TMP/got" 2>"$TMP/err"
        rc=$?
        if [ "$rc" = 0 ] && cmp -s "$TMP/want" "$TMP/got"; then
            ok "$s at $n ranks: same $want_n paths as find -name '*.py' -type f"
        else
            not_ok "$s at $n ranks: exit $rc, $(count0 <"$TMP/got") paths (want $want_n)"
            diff <(tr '\0' '\n' <"$TMP/want") <(tr '\0' '\n' <"$TMP/got") | head -5 | sed 's/^/#   /'
            head -3 "$TMP/err" | sed 's/^/#   /'
        fi
        got=$(totals_of "$n" --strategy "$s" --name '*.py' --type f "$T")
        want="$want_dirs $want_entries $want_files $want_n $want_bytes"
        if [ "$got" = "$want" ]; then
            ok "$s at $n ranks: totals agree (dirs entries files matched bytes = $want)"
        else
            not_ok "$s at $n ranks: totals '$got', want '$want'"
        fi
    done
done

# Newline-terminated output is the same list (what find prints), and --unsorted the same set.
tr '\0' '\n' <"$TMP/want" >"$TMP/want.nl"
mpirun_n 3 "$FF" --name '*.py' --type f "$T" >"$TMP/got" 2>/dev/null
same_file "text output: paths sorted, one per line like find" "$TMP/want.nl" "$TMP/got"
for s in $STRATEGIES; do
    mpirun_n 3 "$FF" --strategy "$s" --unsorted --print0 --name '*.py' --type f "$T" 2>/dev/null | sort -z >"$TMP/got"
    same_file "$s --unsorted at 3 ranks: rank 0 streams the same set" "$TMP/want" "$TMP/got"
done

# ---- other filters against find --------------------------------------------------------------
filter_case() { # NAME "FIND ARGS" "FINDFILES ARGS" RANKS STRATEGY
    local name=$1 fargs=$2 margs=$3 n=$4 s=$5
    local -
    set -f # the globs in the arguments are for find and findfiles, not for the shell
    # shellcheck disable=SC2086
    expected "$T" $fargs >"$TMP/want2"
    # shellcheck disable=SC2086
    mpirun_n "$n" "$FF" --strategy "$s" --print0 $margs "$T" >"$TMP/got" 2>/dev/null
    same_file "$name ($s, $n ranks)" "$TMP/want2" "$TMP/got"
}
filter_case "everything (no filters) = find DIR" "" "" 2 steal
filter_case "--type d = find -type d" "-type d" "--type d" 3 manager
filter_case "--type l = find -type l" "-type l" "--type l" 4 static
filter_case "--name 'h1*' (any type)" "-name h1*" "--name h1*" 7 steal
filter_case "--name with a class '[ms]1*.py'" "-name [ms]1*.py -type f" "--name [ms]1*.py --type f" 3 steal
filter_case "sizes: --min-size 20 --max-size 60 = -size +19c -size -61c" "-type f -size +19c -size -61c" \
    "--type f --min-size 20 --max-size 60" 2 manager
filter_case "--min-size 1K = -size +1023c" "-size +1023c" "--min-size 1K" 3 static

# ---- find habits (issue 17): each case against GNU find, at a rank count and strategy in turn ----
# On the generated tree, the real /usr/share/doc and this repository. find's -prune idiom is
# `\( -name A -o -name B \) -prune -o TESTS -print`; OR-ed names are `\( -name A -o -iname B \)`.
touch -d '2 days ago' "$T/huge/h1/m1.py" "$T/huge/h2"
touch -d '40 days ago' "$T/huge/h3/m2.py"
touch -d '1 day ago' "$TMP/stamp"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
habit_case() { # NAME DIR "FIND ARGS (before -print0)" "FINDFILES ARGS"
    local name=$1 dir=$2 fargs=$3 margs=$4
    local -
    set -f
    local n s
    # shellcheck disable=SC2086 # the strategies are one word each
    rotate 1 $STRATEGIES
    s=${PICKED[0]}
    rotate 1 1 2 3
    n=${PICKED[0]}
    # shellcheck disable=SC2086
    (cd "$dir" && eval "find . $fargs -print0" 2>/dev/null | sort -z) >"$TMP/want2"
    # shellcheck disable=SC2086
    (cd "$dir" && eval "mpirun_n $n \"\$FF\" --strategy $s --print0 $margs" 2>/dev/null) >"$TMP/got"
    if [ -s "$TMP/want2" ] || [ "${HABIT_EMPTY_OK:-}" = 1 ]; then
        same_file "$name in $(basename "$dir") ($s, $n ranks, $(count0 <"$TMP/want2") paths)" "$TMP/want2" "$TMP/got"
    else
        not_ok "$name in $dir: find found nothing, the case cannot fail"
    fi
}
habit_cases=(
    "--maxdepth 2|-maxdepth 2|--maxdepth 2"
    "--mindepth 2 --maxdepth 3 --type f|-mindepth 2 -maxdepth 3 -type f|--mindepth 2 --maxdepth 3 --type f"
    "--maxdepth 0|-maxdepth 0|--maxdepth 0"
    "--mindepth 1 (not the starting point)|-mindepth 1|--mindepth 1"
    "OR-ed --name and --iname|\\( -name '*.PY' -o -iname 'READ*' -o -name 'copyright' \\)|--name '*.PY' --iname 'READ*' --name copyright"
    "--prune, repeated|\\( -name 'h1*' -o -name deep -o -name '.git' -o -name 'p*' \\) -prune -o -type f|--prune 'h1*' --prune deep --prune .git --prune 'p*' --type f"
    "--path|\\( -path '*/sub/*' -o -path '*/examples/*' -o -path './src/*.c' \\)|--path '*/sub/*' --path '*/examples/*' --path './src/*.c'"
    "--empty|-empty|--empty"
    "--empty --type d|-empty -type d|--empty --type d"
    "--newer FILE|-newer $TMP/stamp|--newer $TMP/stamp"
    "--mtime +30|-mtime +30 -type f|--mtime +30 --type f"
    "--mtime -3|-mtime -3|--mtime -3"
    "--mtime 2 (exactly)|-mtime 2|--mtime 2"
)
# The repository's sources, copied with their times: build/ changes while other suites run.
mkdir -p "$TMP/repo"
cp -a "$REPO/src" "$REPO/jobs" "$REPO/include" "$REPO/docs" "$REPO/lessons" "$REPO/tests" "$TMP/repo/"
habit_dirs=("$T" /usr/share/doc "$TMP/repo")
for c in "${habit_cases[@]}"; do
    IFS='|' read -r hname hfind hff <<<"$c"
    rotate 1 "${habit_dirs[@]}"
    d=${PICKED[0]}
    # a case that finds nothing where it landed runs on the generated tree, which has every kind
    (cd "$d" && eval "find . $hfind -print -quit" 2>/dev/null | grep -q .) || d=$T
    habit_case "$hname" "$d" "$hfind" "$hff"
done
# No DIR: the current directory, as find does.
(cd "$T/huge" && find . -print0 | sort -z) >"$TMP/want2"
(cd "$T/huge" && mpirun_n 2 "$FF" --print0) >"$TMP/got" 2>/dev/null
same_file "no DIR: '.' like find (2 ranks)" "$TMP/want2" "$TMP/got"

# Several starting points, one with a trailing slash (find prints "dir/x", not "dir//x").
expected "$T/tiny1/" "$T/deep" -name '*.py' >"$TMP/want2"
mpirun_n 3 "$FF" --print0 --name '*.py' "$T/tiny1/" "$T/deep" >"$TMP/got" 2>/dev/null
same_file "two starting points, one with a trailing slash" "$TMP/want2" "$TMP/got"
# A starting point matches too, like find's.
expected "$T/wide" -name 'wide' >"$TMP/want2"
mpirun_n 2 "$FF" --print0 --name 'wide' "$T/wide" >"$TMP/got" 2>/dev/null
same_file "the starting point itself is tested" "$TMP/want2" "$TMP/got"
# Empty directories only.
expected "$T/empty" >"$TMP/want2"
mpirun_n 4 "$FF" --print0 "$T/empty" >"$TMP/got" 2>/dev/null
same_file "a tree of empty directories at 4 ranks" "$TMP/want2" "$TMP/got"
mpirun_n 7 "$FF" --print0 "$T/empty2" >"$TMP/got" 2>/dev/null
check "one empty directory at 7 ranks lists just itself" [ "$(tr '\0' '\n' <"$TMP/got")" = "$T/empty2" ]

# Paths longer than PATH_MAX.
expected "$LONG" -name '*.py' -type f >"$TMP/want2"
for s in $STRATEGIES; do
    mpirun_n 3 "$FF" --strategy "$s" --print0 --name '*.py' --type f "$LONG" >"$TMP/got" 2>"$TMP/err"
    rc=$?
    if [ $rc = 0 ] && cmp -s "$TMP/want2" "$TMP/got"; then
        ok "$s: a chain of 120 directories, paths up to $(tr '\0' '\n' <"$TMP/want2" | awk '{ if (length > m) m = length } END { print m }') bytes (PATH_MAX 4096)"
    else
        not_ok "$s: long paths: exit $rc, $(count0 <"$TMP/got") of $(count0 <"$TMP/want2") paths"
        head -3 "$TMP/err" | sed 's/^/#   /'
    fi
done

# ---- symbolic links ---------------------------------------------------------------------------
# --follow = find -L: links to directories are walked, links back to an ancestor are not, and
# both say so and exit 1.
find -L "$T" -type f -print0 2>/dev/null | sort -z >"$TMP/want2"
find -L "$T" >/dev/null 2>&1
find_rc=$?
for s in $STRATEGIES; do
    rotate 1 1 3
    for n in "${PICKED[@]}"; do
        mpirun_n "$n" "$FF" --strategy "$s" --follow --type f --print0 "$T" >"$TMP/got" 2>"$TMP/err"
        rc=$?
        loops=$(grep -c 'File system loop detected' "$TMP/err")
        if [ "$rc" = "$find_rc" ] && [ "$loops" = 2 ] && cmp -s "$TMP/want2" "$TMP/got"; then
            ok "$s at $n ranks: --follow = find -L -type f, 2 loops reported, exit $rc"
        else
            not_ok "$s at $n ranks: --follow: exit $rc (find: $find_rc), $loops loop lines, $(count0 <"$TMP/got") of $(count0 <"$TMP/want2") paths"
            head -3 "$TMP/err" | sed 's/^/#   /'
        fi
    done
done

# A cycle of symbolic links (la -> lb -> la, a link to itself): find -L says "Too many levels of
# symbolic links" once per such entry, does not list it, lists the rest (a dangling link too) and
# exits 1 (issue 13, defect 10: findfiles listed them as links and exited 0).
C=$TMP/cycle
mkdir -p "$C/sub/deeper"
: >"$C/f.py"
: >"$C/sub/g.py"
ln -s lb "$C/la"
ln -s la "$C/lb"
ln -s self "$C/sub/self"
ln -s ../sub/deeper/x "$C/sub/deeper/x"
ln -s nowhere "$C/sub/dangling"
ln -s sub "$C/to-sub"
for args in "" "--type l" "--name l*"; do
    set -f # the words of args are options; the glob is find's and findfiles', not the shell's
    # shellcheck disable=SC2086
    find -L "$C" ${args/--/-} -print0 >"$TMP/want2" 2>"$TMP/find.err"
    find_rc=$?
    sort -z -o "$TMP/want2" "$TMP/want2"
    sed 's/^find: //' "$TMP/find.err" | sort >"$TMP/want.err"
    # every strategy in turn; the filtered variants at one rank count each unless MPIKIT_TEST_FULL=1
    ranks="1 2 3"
    [ -n "$args" ] && [ "$TEST_FULL" != 1 ] && ranks=$((${#args} % 2 + 2))
    i=0
    for n in $ranks; do
        s=$(echo "$STRATEGIES" | cut -d' ' -f$((i % 3 + 1)))
        i=$((i + 1))
        # shellcheck disable=SC2086
        mpirun_n "$n" "$FF" --strategy "$s" --follow --print0 $args "$C" >"$TMP/got" 2>"$TMP/err"
        rc=$?
        grep '^findfiles: ' "$TMP/err" | sed 's/^findfiles: //' | sort >"$TMP/got.err"
        if [ "$rc:$find_rc" = 1:1 ] && cmp -s "$TMP/want2" "$TMP/got" && cmp -s "$TMP/want.err" "$TMP/got.err" &&
            [ "$(wc -l <"$TMP/want.err")" = 4 ]; then
            ok "--follow${args:+ $args}, link cycles, $s at $n ranks: same paths, same 4 error lines as find -L, exit 1"
        else
            not_ok "--follow${args:+ $args}, link cycles, $s at $n ranks: exit $rc (find: $find_rc), $(count0 <"$TMP/got") of $(count0 <"$TMP/want2") paths"
            diff "$TMP/want.err" "$TMP/got.err" | head -6 | sed 's/^/#   /'
            diff <(tr '\0' '\n' <"$TMP/want2") <(tr '\0' '\n' <"$TMP/got") | head -6 | sed 's/^/#   /'
        fi
    done
    set +f
done

# ---- output formats ------------------------------------------------------------------------
mpirun_n 3 "$FF" --format json --stats --name '*.py' --type f "$T" >"$TMP/out.json" 2>/dev/null
python3 - "$TMP/out.json" "$TMP/want" <<'EOF' >"$TMP/py" 2>&1
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
want = sorted(p for p in open(sys.argv[2], "rb").read().split(b"\0") if p)
# Non-UTF-8 bytes arrive as \u00XX escapes (report.h); the tree has no other non-ASCII names.
got = [p["path"].encode("latin-1") for p in doc["paths"]]
assert got == want, (len(got), len(want))
assert doc["totals"][0]["matched"] == len(want)
assert doc["balance"][0]["ranks"] == 3 and len(doc["ranks"]) == 3
print("ok")
EOF
check "--format json: valid, every path, totals, balance and per-rank tables" grep -qx ok "$TMP/py"
mpirun_n 2 "$FF" --format csv --name '*.py' --type f "$T" >"$TMP/out.csv" 2>/dev/null
mpirun_n 2 "$FF" --format csv --table totals --name '*.py' --type f "$T" >"$TMP/totals.csv" 2>/dev/null
python3 - "$TMP/out.csv" "$want_n" "$TMP/totals.csv" <<'EOF' >"$TMP/py" 2>&1
import csv, io, sys
text = open(sys.argv[1], encoding="latin-1", newline="").read()
rows = list(csv.reader(io.StringIO(text, newline="")))
assert rows[0] == ["path"], rows[0]
assert len(rows) - 1 == int(sys.argv[2]), (len(rows) - 1, sys.argv[2])
assert any("\n" in r[0] for r in rows[1:])
t = list(csv.reader(open(sys.argv[3], newline="")))
assert len(t) == 2 and t[0][3] == "matched" and int(t[1][3]) == int(sys.argv[2]), t
print("ok")
EOF
check "--format csv: the paths alone, quoted (newlines survive); --table totals: the totals" grep -qx ok "$TMP/py"
mpirun_n 2 "$FF" --count --name '*.py' --type f "$T" >"$TMP/out" 2>/dev/null
if [ "$(grep -c "^$T" "$TMP/out")" = 0 ] && grep -q matched "$TMP/out"; then
    ok "--count prints the totals, no paths"
else
    not_ok "--count prints the totals, no paths"
fi

# The dynamic strategies really share directories (static never does), and the balance is reported.
# A wide tree (2,000 directories), and up to three tries: under load one rank can still walk a
# tree alone before the others ask, which is the schedule working, not failing.
W=$TMP/wide
for a in $(seq 1 20); do for b in $(seq 1 100); do mkdir -p "$W/d$a/e$b" && : >"$W/d$a/e$b/f.py"; done; done
for s in $STRATEGIES; do
    for _try in 1 2 3; do
        mpirun_n 3 "$FF" --strategy "$s" --count --stats --format csv --table ranks "$W" >"$TMP/out" 2>/dev/null
        taken=$(awk -F, 'NR > 1 { t += $6 } END { print t + 0 }' "$TMP/out")
        [ "$s" = static ] || [ "$taken" -gt 0 ] && break
    done
    # imbalance as the balance table has it: max/mean of the ranks' busy time
    imb=$(awk -F, 'NR > 1 { s += $4; if ($4 > m) m = $4; n++ } END { printf "%.3f", n && s ? m / (s / n) : 1 }' "$TMP/out")
    if { [ "$s" = static ] && [ "$taken" = 0 ]; } || { [ "$s" != static ] && [ "$taken" -gt 0 ]; }; then
        ok "$s at 3 ranks: $taken directories moved between ranks, imbalance $imb"
    else
        not_ok "$s at 3 ranks: $taken directories moved between ranks"
    fi
done

# Progress on stderr (forced), stdout unchanged.
mpirun_n 3 "$FF" --progress --print0 --name '*.py' --type f "$T" >"$TMP/got" 2>"$TMP/err"
if cmp -s "$TMP/want" "$TMP/got" && grep -q "entries/s" "$TMP/err" && grep -q "$want_entries entries" "$TMP/err"; then
    ok "--progress: entries, directories and rate on stderr, final count exact; stdout unchanged"
else
    not_ok "--progress"
    head -3 "$TMP/err" | sed 's/^/#   /'
fi

# ---- unreadable directories: reported (like find), counted, not fatal ------------------------
U=$TMP/unread
mkdir -p "$U/open/sub" "$U/locked/inner" "$U/open/locked2"
: >"$U/open/a.py"
: >"$U/open/sub/b.py"
: >"$U/locked/inner/c.py"
: >"$U/open/locked2/d.py"
chmod -R a+rX "$U"
chmod 000 "$U/locked" "$U/open/locked2"
as_user=()
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null; then
        # Under SANITIZE=1 the harness's log directory is root's: report to stderr instead, and skip
        # leak checks (as another user Open MPI's unloaded plugins show up as unknown leaks).
        as_user=(env -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM HOME="$TMP"
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:log_path=stderr"
            UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=stderr"
            setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        as_user=(skip)
    fi
fi
if [ "${as_user[0]:-}" = skip ]; then
    echo "# SKIP unreadable directories: root reads everything and setpriv is missing"
else
    "${as_user[@]}" find "$U" -name '*.py' -type f -print0 2>/dev/null | sort -z >"$TMP/want2"
    for s in $STRATEGIES; do
        rotate 1 1 3
        for n in "${PICKED[@]}"; do
            "${as_user[@]}" timeout -k 5 "$TEST_TIMEOUT" mpirun -n "$n" --oversubscribe "$FF" --strategy "$s" \
                --print0 --name '*.py' --type f "$U" >"$TMP/got" 2>"$TMP/err"
            rc=$?
            denied=$(grep -c "^findfiles: '.*': Permission denied" "$TMP/err")
            if [ $rc = 1 ] && [ "$denied" = 2 ] && cmp -s "$TMP/want2" "$TMP/got" && [ "$(count0 <"$TMP/got")" = 2 ]; then
                ok "$s at $n ranks: 2 unreadable directories reported, the rest walked, exit 1 like find"
            else
                not_ok "$s at $n ranks: unreadable: exit $rc, $denied 'Permission denied' lines"
                head -3 "$TMP/err" | sed 's/^/#   /'
            fi
        done
    done
    "${as_user[@]}" timeout -k 5 "$TEST_TIMEOUT" mpirun -n 2 "$FF" --count --format csv "$U" >"$TMP/out" 2>/dev/null
    check "unreadable directories are counted in the totals" [ "$(awk -F, 'NR == 2 { print $6 }' "$TMP/out")" = 2 ]
fi

# ---- bad input ---------------------------------------------------------------------------
: >"$TMP/plainfile"
expect_error() { # NAME STATUS PATTERN ARGS...
    local name=$1 want=$2 pattern=$3
    shift 3
    for n in 1 3; do
        mpirun_n "$n" "$FF" "$@" >"$TMP/out" 2>"$TMP/err"
        local rc=$? lines
        lines=$(grep -c '^findfiles: error: ' "$TMP/err")
        if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
            ok "$name at $n ranks: exit $want, one line"
        else
            not_ok "$name at $n ranks: exit $rc (want $want), $lines error lines"
            sed 's/^/#   /' "$TMP/err" | head -5
        fi
    done
}
expect_error "missing path" 1 "cannot open '$TMP/nope': No such file or directory" "$TMP/nope"
expect_error "missing among good paths" 1 "cannot open '$TMP/nope'" "$T/tiny1" "$TMP/nope"
expect_error "a file instead of a directory" 1 "'$TMP/plainfile' is not a directory" "$TMP/plainfile"
expect_error "empty path" 1 "empty directory name" ""
expect_error "bad glob: unterminated class" 2 "unterminated '\[' class" --name '[abc' "$T"
expect_error "bad glob: a slash" 2 "contains '/'" --name 'a/*.py' "$T"
# shellcheck disable=SC1003 # 'x\' is the pattern x plus a lone backslash, not an escaped quote
expect_error "bad glob: trailing backslash" 2 "lone backslash" --name 'x\' "$T"
expect_error "bad --type" 2 "'x' is not one of" --type x "$T"
expect_error "bad --strategy" 2 "'magic' is not one of" --strategy magic "$T"
expect_error "--min-size above --max-size" 2 "larger than --max-size" --min-size 10 --max-size 5 "$T"
expect_error "bad size" 2 "is not a size" --min-size 3Q "$T"
expect_error "--print0 with csv" 2 "text format only" --print0 --format csv "$T"
expect_error "--mindepth above --maxdepth" 2 "larger than --maxdepth" --mindepth 2 --maxdepth 1 "$T"
expect_error "bad --mtime" 2 "not N, +N or -N" --mtime 1d "$T"
expect_error "unreadable --newer" 2 "--newer" --newer "$TMP/no-such-file" "$T"

mpirun_n 3 "$FF" --help >"$TMP/out" 2>&1
rc=$?
check "--help exits 0, printed once" [ "$rc:$(grep -c '^usage: findfiles' "$TMP/out")" = 0:1 ]

finish
