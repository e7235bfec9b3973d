#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/taskfarm.sh - pool --exec as a task farm against GNU parallel and xargs: N trivial
# commands (`true`, default 2000; TASKS=N) on 2 workers, whole process (mpirun start-up
# included): mpirun -n 2 pool --exec true --tasks-file F, parallel -j2 -a F true (each line
# appended as the argument), xargs -a F -P2 -n1 true; and pool --exec /bin/true (an exec more). Prints the median ms per task of each and
# the load; the rows go to the results file (bench/lib.sh).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TASKS=${TASKS:-2000}
[ "$QUICK" = 1 ] && TASKS=200
command -v parallel >/dev/null || { echo "bench: GNU parallel is not installed (apt-get install -y parallel)" >&2; exit 1; }
tasks=$BENCH_DIR/taskfarm.tasks
seq 1 "$TASKS" >"$tasks"
mpi 2

case_begin taskfarm "$TASKS true tasks on 2 workers"
case_add "mpikit pool --exec" 2 - "${MPI[@]}" "$BIN/pool" --exec true --tasks-file "$tasks" --no-progress
# dash runs the builtin `true` without an exec; /bin/true costs one exec more, as for xargs
case_add "mpikit pool --exec /bin/true" 2 - "${MPI[@]}" "$BIN/pool" --exec /bin/true --tasks-file "$tasks" --no-progress
case_add "GNU parallel -j2" 2 - parallel --will-cite -j2 -a "$tasks" true
case_add "xargs -P2" 2 - xargs -a "$tasks" -P2 -n1 true
case_run

# The median whole-process time per task of each, from this run's rows.
echo "taskfarm: $TASKS tasks of 'true' on 2 workers, median of $REPS, load $(cut -d' ' -f1 /proc/loadavg) on $NCORES cores:"
tail -n $((4 * REPS * 2 + 1)) "$OUT" | awk -F, -v n="$TASKS" -v c="$TASKS true tasks on 2 workers" '
    $1 == "taskfarm" && $2 == c && $6 == "process_s" { v[$3] = v[$3] " " $7 }
    END {
        for (impl in v) {
            k = split(substr(v[impl], 2), a, " ")
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            m = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
            printf "  %-30s %8.3f s  %7.3f ms/task\n", impl, m, 1000 * m / n
        }
    }'
