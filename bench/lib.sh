# bench/lib.sh - shared by bench/*.sh (sourced, not run). One results file per day and host:
#   bench/results/<date>-<host>.csv   (QUICK=1 runs go to $BENCH_DIR/quick-<date>-<host>.csv)
# It starts with '# key: value' lines (machine facts), then rows
#   bench,case,impl,ranks,rep,metric,value,unit
# rep is 1..REPS (the warm-up run is not recorded). Every run gives two clocks:
#   process_s  the whole command (mpirun start-up included), wall clock around /usr/bin/time
#   peak_rss   the largest process's peak RSS in MiB (/usr/bin/time %M; for mpirun: the largest rank)
# and the job's own --timing figures (inside the program, after MPI_Init) via a parser.
# Repetitions are interleaved (rep 1 of every impl, then rep 2, ...) so that the machine's
# drift hits every impl alike and A/B ratios can be paired per repetition.
#
# Environment: REPS (default 5; QUICK=1: 2), WARMUP (default 1), QUICK=1 (small sizes, for a
# smoke test of the harness), OUT (results file), BENCH_DIR (scratch, default /tmp/mpikit-bench),
# BENCH_TIMEOUT (seconds per command, default 900), PY (default /usr/bin/python3).
# shellcheck shell=bash disable=SC2034

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$BENCH_ROOT/build/bin}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then REPS=${REPS:-2}; else REPS=${REPS:-5}; fi
WARMUP=${WARMUP:-1}
BENCH_DIR=${BENCH_DIR:-/tmp/mpikit-bench}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
PY=${PY:-/usr/bin/python3}
NCORES=$(nproc)
HOST=$(hostname -s)
if [ "$QUICK" = 1 ]; then
    OUT=${OUT:-$BENCH_DIR/quick-$(date -u +%Y-%m-%d)-$HOST.csv}
else
    OUT=${OUT:-$BENCH_ROOT/bench/results/$(date -u +%Y-%m-%d)-$HOST.csv}
fi
export LC_ALL=C
# Root consent (only as root) and the ob1 PML, as for the tests: scripts/mpikit-env.sh.
# shellcheck source=scripts/mpikit-env.sh
. "$BENCH_ROOT/scripts/mpikit-env.sh"
mpikit_mpi_env
mkdir -p "$BENCH_DIR" "$(dirname "$OUT")"
[ -x "$BIN/wordcount" ] || { echo "bench: build first (make all)" >&2; exit 1; }

# Machine facts, once per results file.
bench_facts() {
    [ -s "$OUT" ] && return 0
    {
        echo "# mpikit benchmark results (bench/lib.sh); rows: bench,case,impl,ranks,rep,metric,value,unit"
        echo "# date: $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "# host: $HOST"
        echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
        echo "# cores: $NCORES"
        echo "# cpu flags: $(grep -o -w -E 'avx2|avx512bw|sse4_2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
        echo "# memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "# os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
        echo "# compiler: $(mpicc --version | head -1)"
        echo "# cflags: ${CFLAGS:--O2 -g} -std=c11 (Makefile defaults)"
        echo "# open mpi: $(mpirun --version 2>/dev/null | head -1 | sed 's/.*) //')"
        echo "# hdf5: $(dpkg-query -W -f '${Version}' libhdf5-openmpi-dev 2>/dev/null || echo unknown) (hdf5-openmpi)"
        echo "# mpi settings: OMPI_MCA_pml=$OMPI_MCA_pml"
        echo "# python: $($PY -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)"
        echo "# python packages: $($PY - <<'EOF' 2>/dev/null
import importlib
out = []
for m in ("numpy", "pandas", "dask", "mpi4py"):
    try:
        out.append(f"{m} {importlib.import_module(m).__version__}")
    except Exception:
        out.append(f"{m} missing")
print(", ".join(out))
EOF
)"
        echo "# git: $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null)"
        echo "# reps: $REPS after $WARMUP warm-up; quick: $QUICK"
        echo "bench,case,impl,ranks,rep,metric,value,unit"
    } >"$OUT"
}

note() { echo "# note: $*" >>"$OUT"; echo "bench: $*" >&2; }
# row BENCH CASE IMPL RANKS REP METRIC VALUE UNIT (commas in names become ';')
row() {
    local a=("$@") i
    for i in 0 1 2; do a[i]=${a[i]//,/;}; done
    (IFS=,; echo "${a[*]}") >>"$OUT"
}

# mpi N: sets MPI=(mpirun -n N [--oversubscribe]) for N ranks on this machine.
mpi() {
    local MPIRUN
    mpikit_mpirun "$1"
    MPI=("${MPIRUN[@]}")
}

# A case: case_begin BENCH CASE; case_add IMPL RANKS PARSER CMD...; case_run [REPS [WARMUP]].
# PARSER is a function that reads the command's stdout (file $1) and prints "metric value unit"
# lines (inside-the-program figures), or "-" for none.
case_begin() { C_BENCH=$1 C_CASE=$2; C_IMPL=() C_RANKS=() C_PARSER=() C_CMD=(); }
case_add() {
    C_IMPL+=("$1") C_RANKS+=("$2") C_PARSER+=("$3")
    shift 3
    C_CMD+=("$(printf '%q ' "$@")")
}
run_one() { # INDEX REP(0 = warm-up)
    local i=$1 rep=$2 t0 t1 rc=0 so=$BENCH_DIR/run.out se=$BENCH_DIR/run.err tf=$BENCH_DIR/run.time
    t0=$EPOCHREALTIME
    eval "timeout $BENCH_TIMEOUT /usr/bin/time -f %M -o $tf ${C_CMD[i]}" >"$so" 2>"$se" || rc=$?
    t1=$EPOCHREALTIME
    [ "$rep" = 0 ] && return 0
    if [ "$rc" != 0 ]; then
        row "$C_BENCH" "$C_CASE" "${C_IMPL[i]}" "${C_RANKS[i]}" "$rep" failed "$rc" exit
        echo "bench: $C_BENCH/$C_CASE/${C_IMPL[i]} failed ($rc): $(tail -2 "$se" | tr '\n' ' ')" >&2
        return 0
    fi
    row "$C_BENCH" "$C_CASE" "${C_IMPL[i]}" "${C_RANKS[i]}" "$rep" process_s \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" s
    row "$C_BENCH" "$C_CASE" "${C_IMPL[i]}" "${C_RANKS[i]}" "$rep" peak_rss \
        "$(awk '/^[0-9]+$/ { v = $1 } END { printf "%.1f", v / 1024 }' "$tf")" MiB
    if [ "${C_PARSER[i]}" != - ]; then
        "${C_PARSER[i]}" "$so" | while read -r m v u; do
            [ -n "$v" ] && row "$C_BENCH" "$C_CASE" "${C_IMPL[i]}" "${C_RANKS[i]}" "$rep" "$m" "$v" "$u"
        done
    fi
}
case_run() {
    local reps=${1:-$REPS} warm=${2:-$WARMUP} i r
    echo "bench: $C_BENCH / $C_CASE: ${#C_IMPL[@]} impls x $reps reps ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
    if [ "$warm" -gt 0 ]; then for i in "${!C_IMPL[@]}"; do run_one "$i" 0; done; fi
    for r in $(seq "$reps"); do
        for i in "${!C_IMPL[@]}"; do run_one "$i" "$r"; done
    done
    # how busy the machine was (other users' work included): the 1-minute load average
    row "$C_BENCH" "$C_CASE" machine 0 0 load1 "$(cut -d' ' -f1 /proc/loadavg)" -
}

# Parsers of the jobs' output (their tables).
# at_lines: lines "@metric value unit" (bench/peers.py, bench/pingpong.c, bench/membw.c).
at_lines() { sed -n 's/^@//p' "$1"; }
# tables_of FILE: a run's tables as CSV blocks (header, rows, blank line between). The runs print
# --format json, the one document that holds every table (--format csv prints one table).
tables_of() {
    "$PY" -c '
import csv, json, sys
w = csv.writer(sys.stdout, lineterminator="\n")
for name, rows in json.load(open(sys.argv[1], encoding="utf-8")).items():
    if rows:
        w.writerow(rows[0].keys())
    for row in rows:
        w.writerow(["" if v is None else v for v in row.values()])
    print(flush=True)
    sys.stdout.flush()' "$1"
}
# table_after HEADER_PREFIX FILE: the data lines of the table whose header starts so.
table_after() { tables_of "$2" | awk -v h="$1" 'BEGIN { RS = ""; FS = "\n" } index($1, h) == 1 { for (i = 2; i <= NF; i++) print $i }'; }
# phase_max FILE PHASE: max_s of one --timing phase.
phase_max() { table_after phase, "$1" | awk -F, -v p="$2" '$1 == p { print $4 }'; }

# Scratch inputs: the 1 GiB generated corpus (shared with the old scripts) and prefixes of it.
corpus_big() {
    local bytes=${BIG_BYTES:-1G} f
    [ "$QUICK" = 1 ] && bytes=${BIG_BYTES:-32M}
    f=$BENCH_DIR/generated-$bytes.txt
    if [ ! -f "$f" ]; then
        echo "bench: generating the $bytes corpus at $f" >&2
        mpirun -n 2 "$BIN/textgen" --bytes "$bytes" --seed 1 -o "$f" >/dev/null || return 1
    fi
    echo "$f"
}
# corpus_prefix BYTES: the first BYTES of the big corpus (weak scaling inputs).
corpus_prefix() {
    local big f
    big=$(corpus_big) || return 1
    f=$BENCH_DIR/prefix-$1.txt
    [ "$1" -ge "$(stat -c %s "$big")" ] && f=$big
    [ -f "$f" ] || head -c "$1" "$big" >"$f"
    echo "$f"
}
corpus_small() { MPIKIT_DATA=${MPIKIT_DATA:-/work/shared/data} mpikit_find_corpus t8.shakespeare.txt; }

# Helper C programs of the harness (not jobs): built here into build/bench.
bench_tool() {
    local name=$1 src=$BENCH_ROOT/bench/$1.c out=$BENCH_ROOT/build/bench/$1
    mkdir -p "$(dirname "$out")"
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
        mpicc -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE "$src" -o "$out" || return 1
    fi
    echo "$out"
}

bench_facts
