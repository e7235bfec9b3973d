#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# trace: mktrace + libmpikit-trace.so on programs whose communication is known (tests/tools/
# trace_cases.c), checked by tests/tools/trace_check.py: a ping-pong of K messages gives
# exactly 2K paired sends and receives with their bytes and peers, a scatter one collective
# per rank with the right counts, non-blocking requests their completions; the JSON loads and
# validates (slices closed, flows paired and inside their slices, none back in time on one
# host), the SVG is well-formed XML, the CSV summaries load in pandas. Also: spawned children
# as their own group, threads, a spilled buffer, clocks of separate hosts, the preload without
# the launcher, jobs whose output must not change, an abort that leaves no directory, and the
# launcher's errors.
. "$(dirname "$0")/../lib.sh"
MK=$BIN/mktrace
CASES=$TOOLS/trace_cases
PY=/usr/bin/python3
check_trace() { "$PY" "$ROOT/tests/tools/trace_check.py" "$@" 2>&1 | sed 's/^/#   /' >&2; [ "${PIPESTATUS[0]}" = 0 ]; }
# check_batch DIR "NAME::CHECK ARGS"... : the checks on one trace in one run of the checker
check_batch() {
    local d=$1 line seen=0
    shift
    while IFS= read -r line; do
        case $line in
        "ok "*) ok "${line#ok }"; seen=$((seen + 1)) ;;
        "not ok "*) not_ok "${line#not ok }"; seen=$((seen + 1)) ;;
        *) echo "#   ${line#\# }" ;;
        esac
    done < <("$PY" "$ROOT/tests/tools/trace_check.py" batch "$d" "$@" 2>&1)
    [ "$seen" = $# ] || not_ok "trace_check ran $seen of $# checks on $d"
}
K=10

if [ ! -x "$MK" ] || [ ! -f "$BUILD/lib/libmpikit-trace.so" ] || [ ! -x "$CASES" ]; then
    not_ok "mktrace, libmpikit-trace.so and trace_cases are built (make all tests)"
    finish
    exit 1
fi

# --- the launcher's errors: one line, a status, nothing created ---
err_case() { # NAME STATUS PATTERN ARGS...
    local name=$1 want=$2 pattern=$3
    shift 3
    "$MK" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" = "$want" ] && grep -q "$pattern" "$TMP/err" && [ "$(grep -c 'error' "$TMP/err")" = 1 ]; then
        ok "launcher: $name (exit $rc)"
    else
        not_ok "launcher: $name: exit $rc (want $want)"
        sed 's/^/#   /' "$TMP/err"
    fi
}
err_case "no -o" 2 "missing -o DIR" -- "$CASES" pingpong 1
err_case "no program" 2 "missing the program" -o "$TMP/x"
err_case "unknown option" 2 "unknown option\|--bogus" --bogus -o "$TMP/x" -- "$CASES"
touch "$TMP/afile"
err_case "DIR is a file" 1 "not a directory" -o "$TMP/afile" -- "$CASES" pingpong 1
mkdir -p "$TMP/foreign" && touch "$TMP/foreign/keep.txt"
err_case "DIR holds other files" 1 "not a trace directory" -o "$TMP/foreign" -- "$CASES" pingpong 1
check "launcher: the foreign directory is untouched" [ -f "$TMP/foreign/keep.txt" ]
err_case "program not found" 127 "cannot run" -o "$TMP/x" -- "$TMP/no-such-program"
check "launcher: nothing created by the failures" [ ! -e "$TMP/x" ]
"$MK" --help >"$TMP/out" 2>&1
check "launcher: --help shows the usage" grep -q 'mktrace -o DIR \[options\] -- PROGRAM' "$TMP/out"
# under mpirun every rank stops, rank 0 alone says why
mpirun_n 3 "$MK" -o "$TMP/afile" -- "$CASES" pingpong 1 >"$TMP/out" 2>"$TMP/err"
check "launcher under mpirun: one error line for 3 ranks" [ "$(grep -c '^mktrace: error' "$TMP/err")" = 1 ]

# --- every case at every rank count ---
for n in $RANKS; do
    d=$TMP/all-$n
    # at 2 ranks a tiny buffer: every check below then also covers the spill to a temporary file
    spill=()
    if [ "$n" = 2 ]; then spill=(--buffer 16); fi
    mpirun_n "$n" "$MK" -o "$d" --format csv "${spill[@]}" -- "$CASES" all $K >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc != 0 ] || [ ! -d "$d" ]; then
        not_ok "$n ranks: traced run (exit $rc)"
        tail -n 5 "$TMP/err" | sed 's/^/#   /'
        continue
    fi
    check "$n ranks: program output unchanged by the tracer" grep -q "^probe $((3 * K)) messages" "$TMP/out"
    check "$n ranks: rank 0 says where the trace went" grep -q "^mktrace: $n process.*: $d/" "$TMP/err"
    check_batch "$d" \
        "$n ranks: trace.json valid, arrows forward in time, timeline.svg well-formed::valid one-clock" \
        "$n ranks: ping-pong of $K round trips: $((2 * K)) paired messages of 64 bytes::pingpong $K 64 0 $((n - 1))" \
        "$n ranks: scatter: one MPI_Scatter per rank, 40 bytes each, $((40 * n)) from the root::scatter $n 10" \
        "$n ranks: every request completed once; Isends end at the Irecv's completion::nonblocking $n $K" \
        "$n ranks: summary.txt rows and the CSV tables::summary $n"
done

# --- clocks on separate kernels: MKTRACE_FAKE_HOSTS=1 makes every rank pretend to be on its
# own, so the handshakes of a multi-host run align clocks that are in truth one ---
mpirun_n 3 -x MKTRACE_FAKE_HOSTS=1 "$MK" -o "$TMP/hosts" -- "$CASES" pingpong $K 64 >"$TMP/out" 2>"$TMP/err"
check_batch "$TMP/hosts" "3 hosts: trace valid::valid" "3 hosts: clocks aligned within the stated bound::clock 3" \
    "3 hosts: ping-pong still paired::pingpong $K 64 0 2"

# --- spawned children are their own group ---
OMPI_MCA_rmaps_base_oversubscribe=1 mpirun_n 2 "$MK" -o "$TMP/spawn" -- "$CASES" spawn 2 >"$TMP/out" 2>"$TMP/err"
check "spawn: children did their work" grep -q "doubled: ok" "$TMP/out"
check_batch "$TMP/spawn" "spawn: trace valid::valid one-clock" \
    "spawn: 2 ranks and 2 groups of 2 children, linked by the intercomm collectives::spawn 2 2"

# --- threads calling MPI at once (MPI_THREAD_MULTIPLE) ---
mpirun_n 3 "$MK" -o "$TMP/threads" -- "$CASES" threads 20 >"$TMP/out" 2>"$TMP/err"
check_batch "$TMP/threads" "threads: trace valid (one track per thread)::valid one-clock" \
    "threads: 80 messages from two threads per rank::threads 3 20"

check "spill (2 ranks, --buffer 16): nothing left in TMPDIR" \
    [ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'mktrace-spill-*' 2>/dev/null)" ]

# --- the preload alone (as under srun with LD_PRELOAD exported) ---
preload=$BUILD/lib/libmpikit-trace.so
# an instrumented tracer needs the sanitizer runtime loaded first (mktrace does this itself)
if [ "${SANITIZE:-0}" = 1 ]; then preload=$(mpicc -print-file-name=libasan.so):$preload; fi
mpirun_n 2 -x "LD_PRELOAD=$preload" -x "MKTRACE_DIR=$TMP/preload" \
    "$CASES" pingpong 4 16 >"$TMP/out" 2>"$TMP/err"
check "LD_PRELOAD without the launcher: trace written" check_trace pingpong "$TMP/preload" 4 16 0 1

# --- a second run into the same directory replaces the trace ---
mpirun_n 2 "$MK" -o "$TMP/all-2" -- "$CASES" pingpong 3 8 >"$TMP/out" 2>"$TMP/err"
check "rerun: the earlier trace is replaced" check_trace pingpong "$TMP/all-2" 3 8 0 1
check "rerun: the old summary CSVs are gone" [ ! -e "$TMP/all-2/summary-processes.csv" ]

# --- an abort leaves no trace directory and no temporary ---
mpirun_n 3 "$MK" -o "$TMP/aborted" -- "$CASES" abort >"$TMP/out" 2>"$TMP/err"
rc=$?
check "abort: the run fails (exit $rc)" [ "$rc" != 0 ]
check "abort: no trace directory" [ ! -e "$TMP/aborted" ]
check "abort: no temporary beside it" [ -z "$(find "$TMP" -maxdepth 1 -name '.aborted*')" ]

# --- jobs: the output is the same with and without the tracer ---
if corpus=$(find_corpus t8.shakespeare.txt); then :; else
    corpus=$TMP/gen.txt
    mpirun_n 1 "$BIN/textgen" --bytes 1M -o "$corpus" >/dev/null 2>&1
fi
head -c 2000000 "$corpus" >"$TMP/corpus.txt"
mpirun_n 3 "$BIN/wordcount" "$TMP/corpus.txt" >"$TMP/plain" 2>/dev/null
mpirun_n 3 "$MK" -o "$TMP/wc" -- "$BIN/wordcount" "$TMP/corpus.txt" >"$TMP/traced" 2>/dev/null
check "wordcount traced: same wc line" [ "$(grep -F "$TMP/corpus.txt" "$TMP/plain")" = "$(grep -F "$TMP/corpus.txt" "$TMP/traced")" ]
check "wordcount traced: trace valid" check_trace valid "$TMP/wc" one-clock
mpirun_n 4 "$MK" -o "$TMP/pool" -- "$BIN/pool" --tasks 12 --sleep const:2ms --schedule dynamic >"$TMP/out" 2>"$TMP/err"
check "pool traced: results in order" grep -qx 'results: A B C D E F G H I J K L' "$TMP/out"
check "pool traced: trace valid" check_trace valid "$TMP/pool" one-clock

finish
