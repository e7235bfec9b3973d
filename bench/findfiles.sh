#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/findfiles.sh - findfiles (each strategy, 1 and 2 ranks) against GNU find, the tutorial's
# os.walk and its Pool.map per top-level directory, on one generated skewed tree (page cache warm):
#   huge/ 10 x 10 x 10 directories of 150 files (~151,000 entries) beside 2000 small
#   directories of 25 files (~52,000): a split by top-level directory is unbalanced.
# TREE (default /tmp/mpikit-findfiles-tree, kept and reused; QUICK: a tenth of it).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
peers=$BENCH_ROOT/bench/peers.py
if [ "$QUICK" = 1 ]; then big=1 small=200 tree=${TREE:-$BENCH_DIR/findfiles-tree-quick}
else big=10 small=2000 tree=${TREE:-/tmp/mpikit-findfiles-tree}; fi
if [ ! -f "$tree/.complete" ]; then
    echo "bench: generating the tree in $tree" >&2
    rm -rf "$tree"
    "$PY" - "$tree" "$big" "$small" <<'PY' || exit 1
import os, sys
root, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for a in range(big):
    for b in range(10):
        for c in range(10):
            d = os.path.join(root, "huge", f"a{a}", f"b{b}", f"c{c}")
            os.makedirs(d)
            for i in range(150):
                open(os.path.join(d, f"f{i}{'.py' if i % 2 == 0 else '.txt'}"), "w").close()
for t in range(small):
    d = os.path.join(root, f"t{t:04d}")
    os.makedirs(d)
    for i in range(25):
        open(os.path.join(d, f"g{i}{'.py' if i % 2 == 0 else '.txt'}"), "w").close()
open(os.path.join(root, ".complete"), "w").close()
PY
fi
entries=$(find "$tree" -printf . | wc -c)
ff_parse() {
    table_after strategy,ranks "$1" | awk -F, '{ print "inside_s", $3, "s"; print "imbalance", $7, "-"; print "entries_imbalance", $8, "-" }'
    table_after directories,entries "$1" | awk -F, '{ print "entries", $2, "-" }'
}
case_begin findfiles "skewed tree, $entries entries"
case_add "GNU find -name '*.py' -type f" 1 - find "$tree" -name '*.py' -type f
case_add "Python os.walk" 1 at_lines "$PY" "$peers" oswalk "$tree"
case_add "Python Pool(2).map per top-level dir" 2 at_lines "$PY" "$peers" walkpool "$tree" 2
for s in static manager steal; do
    for r in 1 2; do
        mpi "$r"
        case_add "mpikit findfiles --strategy $s" "$r" ff_parse "${MPI[@]}" "$BIN/findfiles" --strategy "$s" --no-bytes \
            --name '*.py' --type f --count --stats --format json "$tree"
    done
done
case_run
