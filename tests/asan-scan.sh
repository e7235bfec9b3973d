#!/usr/bin/env bash
# tests/asan-scan.sh LOGDIR - read sanitizer logs; print and fail on problems that are ours.
# ASan/UBSan errors always count. A leak counts when its stack has a frame in mpikit's own
# code (an mk_ function, a job's main, or a file under src/, jobs/, tests/): Open MPI's
# plugins leave leaks whose frames LeakSanitizer cannot even name ("<unknown module>"), so
# name-based suppressions cannot catch them, and they are not ours to fix.
dir=$1
[ -d "$dir" ] || exit 0
status=0
for f in "$dir"/*; do
    [ -f "$f" ] || continue
    if grep -q -E 'ERROR: AddressSanitizer|runtime error:' "$f"; then
        echo "sanitizer error in $(basename "$f"):"
        grep -E -A 12 'ERROR: AddressSanitizer|runtime error:' "$f" | head -n 30
        status=1
    fi
    ours=$(awk '
        /^(Direct|Indirect) leak of/ { block = $0 "\n"; inleak = 1; mine = 0; next }
        inleak && NF == 0 { if (mine) printf "%s\n", block; inleak = 0; next }
        inleak { block = block $0 "\n"; if ($0 ~ / in (mk_[A-Za-z0-9_]+|main) / || $0 ~ /\/(src|jobs|tests)\/[A-Za-z0-9_]+\.c:/) mine = 1 }
        END { if (inleak && mine) printf "%s\n", block }' "$f")
    if [ -n "$ours" ]; then
        echo "leak in mpikit code ($(basename "$f")):"
        echo "$ours" | head -n 30
        status=1
    fi
done
exit $status
