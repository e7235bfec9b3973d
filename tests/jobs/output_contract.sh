#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# The output contract of docs/output.md, for every job at 1 and 3 ranks: --format json is one
# document json.load reads (with --verbose and --progress on), --format csv is one table
# pandas.read_csv loads as it is (the default and each --table listed in --help), and that table
# has the columns and rows of the same-named table in the JSON document. --table mistakes are
# usage errors with one line on stderr and nothing on stdout.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c 'import pandas' 2>/dev/null; then
    echo "# skipped: $PY has no pandas (apt-get install python3-pandas)"
    finish
fi

# A small input for each job that reads one.
mkdir -p "$TMP/tree/a/b" "$TMP/tree/c"
for f in a/x.c a/b/y.c c/z.c c/w.h top.c; do printf 'int x;\n' >"$TMP/tree/$f"; done
printf 'The cat, the dog\nand the "bird", x,y\n' >"$TMP/text"

# job -> arguments under which it makes every table it can
declare -A ARGS=(
    [arraystats]="--shape 30x20 --chunks 7x6 --timing --progress"
    [bigpower]="--n 1000"
    [findfiles]="--stats --name *.c $TMP/tree"
    [hello]=""
    [overhead]="--costs 0,10us --items 10,20 --repeat 1"
    [pool]="--tasks 7 --sleep const:0 --verbose --no-progress"
    [queue]="--items 5 --verbose"
    [spawn]="--children 2"
    [square]="--n 100 --repeat 1 --show 3"
    [table]="--rows 50 --partitions 4 --timing --verbose"
    [textgen]="--bytes 1000 -o $TMP/out.txt"
    [wordcount]="--timing --verbose $TMP/text"
)
JOBS=(arraystats bigpower findfiles hello overhead pool queue spawn square table textgen wordcount)
sample_banner

# tables JOB: the names --help lists for --table, main result first.
tables() { "$BIN/$1" --help | sed -n 's/^ *--table NAME .* table printed: \([^ ]*\) (default.*/\1/p' | tr '|' ' '; }

# Every run leaves OUT/NAME.{out,err,rc}; one Python run checks them all (pandas loads in ~1 s).
OUT=$TMP/runs
mkdir -p "$OUT"
run() { # run NAME N JOB ARGS...
    local name=$1 n=$2 job=$3 slots=()
    shift 3
    # spawn's children need slots of their own
    if [ "$job" = spawn ]; then slots=(--oversubscribe); fi
    # shellcheck disable=SC2086 # ARGS are words on purpose
    mpirun_n "$n" "${slots[@]}" "$BIN/$job" ${ARGS[$job]} "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
    echo $? >"$OUT/$name.rc"
}
# JSON always (the CSV checks compare with it); the CSV runs, default and each --table, in full
# under MPIKIT_TEST_FULL=1, else a sample.
cases=()
for job in "${JOBS[@]}"; do
    names=$(tables "$job")
    check "$job --help lists its tables" [ -n "$names" ]
    echo "$names" >"$OUT/$job.names"
    for n in 1 3; do
        run "$job.$n.json" "$n" "$job" --format json
        cases+=("$job $n -")
        for t in $names; do cases+=("$job $n $t"); done
    done
done
mapfile -t picked < <(sample 10 "${cases[@]}")
for c in "${picked[@]}"; do
    read -r job n t <<<"$c"
    if [ "$t" = - ]; then
        run "$job.$n.csv" "$n" "$job" --format csv
    else
        run "$job.$n.csv-$t" "$n" "$job" --format csv --table "$t"
    fi
done

"$PY" - "$OUT" "${JOBS[@]}" <<'EOF' >"$TMP/verdicts"
import io, json, os, sys
import pandas as pd
out, jobs = sys.argv[1], sys.argv[2:]
def read(name):
    with open(os.path.join(out, name), encoding="utf-8", errors="replace") as f:
        return f.read()
for job in jobs:
    names = read(job + ".names").split()
    for n in (1, 3):
        base = f"{job}.{n}"
        doc = None
        try:
            rc = read(base + ".json.rc").strip()
            doc = json.loads(read(base + ".json.out"))
            keys = sorted(doc)
            ok = rc == "0" and keys == sorted(names)
            print(("ok" if ok else "not ok") + f" - {job} {n} ranks json: one document, tables {keys} = --help's" +
                  ("" if ok else f" (exit {rc}, listed {sorted(names)})"))
        except ValueError as e:
            print(f"not ok - {job} {n} ranks json: not one JSON document: {e}")
        for suffix in ["csv"] + ["csv-" + t for t in names]:
            if not os.path.exists(os.path.join(out, f"{base}.{suffix}.out")):
                continue
            table = names[0] if suffix == "csv" else suffix[4:]
            label = f"{job} {n} ranks --format csv" + ("" if suffix == "csv" else f" --table {table}")
            try:
                rc = read(f"{base}.{suffix}.rc").strip()
                df = pd.read_csv(io.StringIO(read(f"{base}.{suffix}.out")), keep_default_na=False)
                want = (doc or {}).get(table)
                if want is None:
                    print(f"not ok - {label}: no JSON table {table} to compare with")
                    continue
                cols = list(want[0]) if want else None
                ok = rc == "0" and len(df) == len(want) and (cols is None or list(df.columns) == cols)
                print(("ok" if ok else "not ok") + f" - {label}: pandas loads {len(df)} rows x {len(df.columns)}"
                      f" columns, as JSON's {table}" + ("" if ok else f" (exit {rc}; JSON {len(want)} rows, {cols};"
                                                     f" CSV {list(df.columns)})"))
            except Exception as e:  # ParserError and friends: the contract is broken
                print(f"not ok - {label}: pandas.read_csv: {type(e).__name__}: {e}")
EOF
while IFS= read -r line; do
    case $line in
    ok\ -*) ok "${line#ok - }" ;;
    *) not_ok "${line#not ok - }" ;;
    esac
done <"$TMP/verdicts"
check "the checker judged every run" [ "$(wc -l <"$TMP/verdicts")" -eq $((${#JOBS[@]} * 2 + ${#picked[@]})) ]

# Mistakes: mpikit's one line first on stderr (mpirun -q keeps Open MPI's box away), the exit
# status, nothing on stdout: no half document.
bad_run() { # bad_run NAME RC WANT JOB ARGS...
    local name=$1 want_rc=$2 want=$3 job=$4
    shift 4
    mpirun_n 1 -q "$BIN/$job" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    check "$name: exit $want_rc, '$want' first on stderr, empty stdout" \
        [ "$rc:$(head -n 1 "$TMP/err" | grep -cF -- "$job: error: $want"):$(wc -c <"$TMP/out")" = "$want_rc:1:0" ]
}
bad_run "unknown table" 2 "--table: 'nope' is not one of top|vocabulary|files" wordcount --format csv --table nope "$TMP/text"
bad_run "--table with json" 2 "--table applies to --format csv only" bigpower --format json --table summary
bad_run "a table the options do not make" 2 "--table timing: needs --timing" wordcount --format csv --table timing "$TMP/text"
bad_run "a json run that fails" 1 "cannot open" wordcount --format json "$TMP/missing"
finish
