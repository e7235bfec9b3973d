#!/usr/bin/env bash
# bench/findfiles.sh [TREE] - entries per second of findfiles (each strategy, 1 and 2 ranks)
# against GNU find and the tutorial's Python (os.walk serial, Pool.map over the top-level
# directories, Path.rglob) on one generated skewed tree, page cache warm, in one run.
#
#   TREE       where the tree is generated (kept and reused; default $TMPDIR/mpikit-findfiles-tree)
#   REPS=5     repetitions per measurement (the median is reported: the machine may be shared)
#   RANKS="1 2"
#
# The tree (>= 200,000 entries) is skewed the way real trees are: one huge subtree beside
# many tiny ones, so a split by top-level directory (static, Pool.map) is unbalanced.
#   huge/   10 x 10 x 10 directories, 150 files in each leaf     ~151,000 entries
#   t0000 ... t1999/   25 files each                            ~ 52,000 entries
# Output: a Markdown table on stdout (paste into docs/findfiles.md), raw numbers on stderr.
# findfiles times are its own walk time (--stats walk_s: after MPI_Init, before output), medians
# of REPS runs; the imbalance is the median of max/mean busy time over ranks; the last column
# is the whole mpirun.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
FF=$ROOT/$BUILD/bin/findfiles
TREE=${1:-${TMPDIR:-/tmp}/mpikit-findfiles-tree}
REPS=${REPS:-5}
RANKS=${RANKS:-"1 2"}
export LC_ALL=C OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
[ -x "$FF" ] || { echo "bench/findfiles.sh: build first (make)" >&2; exit 1; }
PY=${PYTHON:-python3}

if [ ! -f "$TREE/.complete" ]; then
    echo "# generating the tree in $TREE ..." >&2
    rm -rf "$TREE"
    "$PY" - "$TREE" <<'EOF' || exit 1
import os, sys
root = sys.argv[1]
for a in range(10):
    for b in range(10):
        for c in range(10):
            d = os.path.join(root, "huge", f"a{a}", f"b{b}", f"c{c}")
            os.makedirs(d)
            for i in range(150):
                ext = ".py" if i % 2 == 0 else ".txt"
                open(os.path.join(d, f"f{i}{ext}"), "w").close()
for t in range(2000):
    d = os.path.join(root, f"t{t:04d}")
    os.makedirs(d)
    for i in range(25):
        ext = ".py" if i % 2 == 0 else ".txt"
        open(os.path.join(d, f"g{i}{ext}"), "w").close()
open(os.path.join(root, ".complete"), "w").close()
EOF
fi

# Warm the page cache (dentries and inodes) and learn the size.
ENTRIES=$(find "$TREE" -printf . | wc -c)
PYFILES=$(find "$TREE" -name '*.py' -type f | wc -l)
echo "# tree: $ENTRIES entries, $PYFILES *.py files, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)" >&2

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

# GNU find, wall time of the process (start-up is ~1 ms).
t_find=$(for _ in $(seq "$REPS"); do
    a=$(now); find "$TREE" -name '*.py' -type f >/dev/null; b=$(now)
    echo "$b - $a" | bc -l
done | median)

# The same with a stat per match (what findfiles' byte total costs).
t_find_s=$(for _ in $(seq "$REPS"); do
    a=$(now); find "$TREE" -name '*.py' -type f -printf '%s\n' >/dev/null; b=$(now)
    echo "$b - $a" | bc -l
done | median)

# The tutorial's Python, timed inside the interpreter (start-up excluded).
py_times=$("$PY" - "$TREE" "$REPS" <<'EOF'
import os, sys, time
from multiprocessing import Pool
from pathlib import Path
root, reps = sys.argv[1], int(sys.argv[2])

def find_py_file(directory):
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        found += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    return found

def serial():
    return find_py_file(root)

def pool():
    top = [os.path.join(root, d) for d in os.listdir(root)]
    dirs = [d for d in top if os.path.isdir(d)]
    with Pool(2) as p:
        return [f for chunk in p.map(find_py_file, dirs) for f in chunk]

def rglob():
    return [str(p) for p in Path(root).rglob("*.py")]

for name, fn in (("oswalk", serial), ("pool2", pool), ("rglob", rglob)):
    times, n = [], 0
    for _ in range(reps):
        t = time.perf_counter()
        n = len(fn())
        times.append(time.perf_counter() - t)
    print(name, f"{sorted(times)[(len(times) - 1) // 2]:.4f}", n)
EOF
)
t_oswalk=$(awk '$1 == "oswalk" { print $2 }' <<<"$py_times")
t_pool=$(awk '$1 == "pool2" { print $2 }' <<<"$py_times")
t_rglob=$(awk '$1 == "rglob" { print $2 }' <<<"$py_times")

rate() { awk -v n="$ENTRIES" -v t="$1" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }'; }

echo "| method | ranks | time (s) | entries/s | imbalance (max/mean busy time) | max/mean entries | wall incl. start-up (s) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "| GNU find -name '*.py' -type f | 1 | $(printf %.3f "$t_find") | $(rate "$t_find") | - | - | - |"
printf '%s\n' "| GNU find -name '*.py' -type f -printf '%s\\n' (stats each match) | 1 | $(printf %.3f "$t_find_s") | $(rate "$t_find_s") | - | - | - |"
echo "| Python os.walk (serial) | 1 | $t_oswalk | $(rate "$t_oswalk") | - | - | - |"
echo "| Python Pool(2).map over top-level dirs | 2 | $t_pool | $(rate "$t_pool") | - | - | - |"
echo "| Python Path.rglob('*.py') | 1 | $t_rglob | $(rate "$t_rglob") | - | - | - |"
echo "raw find $t_find find-printf $t_find_s; $py_times" | tr '\n' ' ' >&2
echo >&2

# findfiles: --no-bytes does the same work as find -name -type f (no stat per match);
# the last rows add the byte total (a stat per match), like find -printf '%s'.
for cfg in static:--no-bytes manager:--no-bytes steal:--no-bytes steal:; do
    s=${cfg%%:*} flag=${cfg#*:}
    for n in $RANKS; do
        extra=()
        [ "$n" -gt "$(nproc)" ] && extra+=(--oversubscribe)
        rows=$(for _ in $(seq "$REPS"); do
            a=$(now)
            # shellcheck disable=SC2086 # $flag is one option or nothing
            out=$(mpirun -n "$n" "${extra[@]}" "$FF" --strategy "$s" $flag --name '*.py' --type f --count \
                --stats --format csv "$TREE" 2>/dev/null)
            b=$(now)
            # walk_s and imbalance from the balance table, then the wall time
            awk -F, -v wall="$(echo "$b - $a" | bc -l)" '$1 == "strategy" { getline; print $3, $7, wall, $8 }' <<<"$out"
        done)
        echo "raw $s $flag $n (walk_s imbalance wall_s): $(tr '\n' ';' <<<"$rows")" >&2
        walk=$(awk '{ print $1 }' <<<"$rows" | median)
        imb=$(awk '{ print $2 }' <<<"$rows" | median)
        wall=$(awk '{ print $3 }' <<<"$rows" | median)
        eimb=$(awk '{ print $4 }' <<<"$rows" | median)
        label="findfiles --strategy $s ${flag:-(with byte total)}"
        echo "| $label | $n | $walk | $(rate "$walk") | $imb | $eimb | $(printf %.3f "$wall") |"
    done
done
