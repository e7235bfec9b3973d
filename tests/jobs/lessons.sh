#!/usr/bin/env bash
# tests/jobs/lessons.sh - the lessons (lessons/, `make lessons`): every solution.c passes its
# checker at 1, 2, 3, 4 and 7 ranks, every untouched exercise.c fails, `make lesson` works as
# documented, and the checker catches a solution that drops the remainder.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export LESSON_TIMEOUT=$TEST_TIMEOUT
if [ "${SANITIZE:-0}" = 1 ]; then
    export LESSON_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
fi

# 1. Every solution passes and every exercise fails (lessons run two at a time).
n_lessons=$(find "$ROOT/lessons" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9]-*' | wc -l)
BUILD=$BUILD "$ROOT/lessons/check.sh" --all >"$TMP/all" 2>"$TMP/all.err"
rc=$?
while IFS= read -r line; do
    case $line in
    SUCCESS*) ok "lesson ${line#SUCCESS }" ;;
    "ok   "*) ok "lesson ${line#ok   }" ;;
    FAIL*) not_ok "lesson ${line#FAIL }" ;;
    esac
done <"$TMP/all"
check "make lessons: exit 0, $n_lessons solutions pass, $n_lessons exercises fail" \
    test "$rc" = 0 -a "$(grep -c '^SUCCESS' "$TMP/all")" = "$n_lessons" -a "$(grep -c '^ok   ' "$TMP/all")" = "$n_lessons"
check "at least 11 lessons" test "$n_lessons" -ge 11

# 2. Each lesson has its README, solution (at most 100 lines), exercise and checker.
for dir in "$ROOT"/lessons/[0-9][0-9]-*/; do
    name=$(basename "$dir")
    check "$name: README.md, solution.c, exercise.c, check.sh" test -f "$dir/README.md" -a -f "$dir/solution.c" -a -f "$dir/exercise.c" -a -f "$dir/check.sh"
    check "$name: solution.c has at most 100 lines ($(wc -l <"$dir/solution.c"))" test "$(wc -l <"$dir/solution.c")" -le 100
    check "$name: solution.c uses no libmpikit" test "$(grep -c 'mpikit/' "$dir/solution.c")" = 0
    check "$name: exercise.c marks its TODOs" grep -q TODO "$dir/exercise.c"
done

# 3. The Makefile targets, as a learner types them: one line, and the exit status.
make -s -C "$ROOT" lesson NAME=hello SRC=lessons/01-hello/solution.c BUILD="$BUILD" >"$TMP/make.ok" 2>&1
check "make lesson NAME=hello SRC=...solution.c: exit 0, one SUCCESS line" \
    test $? = 0 -a "$(grep -c . "$TMP/make.ok")" = 1 -a "$(grep -c '^SUCCESS' "$TMP/make.ok")" = 1
make -s -C "$ROOT" lesson NAME=hello BUILD="$BUILD" >"$TMP/make.bad" 2>/dev/null
check "make lesson NAME=hello (the exercise): exit non-zero, one FAIL line naming the rank count" \
    test $? != 0 -a "$(grep -c . "$TMP/make.bad")" = 1 -a "$(grep -c '^FAIL 01-hello (exercise.c) at 1 rank: ' "$TMP/make.bad")" = 1

# 4. The checker is not fooled by a solution that drops the remainder (1000 items, 3 ranks).
sed 's|counts\[r\] = N_ITEMS / world_size + (r < N_ITEMS % world_size);|counts[r] = N_ITEMS / world_size;|' \
    "$ROOT/lessons/03-square/solution.c" >"$TMP/dropped.c"
BUILD=$BUILD "$ROOT/lessons/check.sh" square "$TMP/dropped.c" >"$TMP/dropped" 2>&1
check "a square that drops the remainder fails at 3 ranks" grep -q '^FAIL 03-square (dropped.c) at 3 ranks: ' "$TMP/dropped"
finish
