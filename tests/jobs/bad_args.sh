#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# Bad arguments for every option of every job: missing value, empty, negative, zero, overflow,
# garbage suffix, out of range, wrong choice, a value given to a flag, unknown option, extra
# positional, conflicting options. Each must end with exit status 2, exactly one error line from
# rank 0 naming the option (plus at most the "Try --help" hint), nothing on stdout, no output
# file, and no hang. Options are discovered from each job's --help and its option table in the
# source: an option with no cases below fails the suite. Most cases run as singletons (one
# rank, no mpirun); a sample runs at 3 ranks to show that every rank reaches the same verdict.
# Then: more ranks than items, and one rank, must give the same result as a plain run.
. "$(dirname "$0")/../lib.sh"
CASE_TIMEOUT=${CASE_TIMEOUT:-30}
mkdir -p "$TMP/dir"
IN=$TMP/in.txt
printf 'one two three\nfour five\n' >"$IN"
printf 'A,B\n1,2\n3,4\n' >"$TMP/t.csv"
BIG=99999999999999999999

# Valid arguments that make each job run (and write a file, where it can) when nothing is wrong.
declare -A BASE=(
    [arraystats]="-s 4x4 -c 2x2 -o @OUT@/a.h5"
    [bigpower]="-n 100"
    [datagen]="-n 10 -o @OUT@/d.h5"
    [findfiles]="$TMP/dir"
    [hello]=""
    [overhead]="-c 0 -n 5 -r 1"
    [pool]="-n 4 --sleep const:0 --gantt @OUT@/g.svg"
    [queue]="-k 2"
    [spawn]="-k 1"
    [square]="-n 10 -r 1"
    [table]="-n 10 -o @OUT@/t.csv"
    [textgen]="--bytes 1K -o @OUT@/t.txt"
    [wordcount]="--counts @OUT@/c.csv $IN"
)

# JOB --OPTION VALUE... : bad values for the option, besides the missing value and the empty
# string that every option taking a value gets. FLAG: the option takes no value (gets --OPT=1).
# '-': only the generic cases (a free-form value such as a path).
CASES=$(cat <<EOF
arraystats --shape 0x4 4x0 -1x4 4x 4X4 x4 4x4x4 4x4junk $BIG
arraystats --chunks 0x2 2x0 -2x2 2x 2xQ $BIG
arraystats --seed -1 $BIG 1Q abc 1.5
arraystats --input -
arraystats --save -
arraystats --format xml TEXT
arraystats --table nope STATS stats
arraystats --timing FLAG
arraystats --progress FLAG
arraystats --no-progress FLAG
arraystats --debug FLAG
bigpower --n 0 -5 1.5 1e99 nan inf 10X abc
bigpower --powers -1 65 1,,2 a 1.5 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33 $BIG
bigpower --split both DATA
bigpower --seed -1 $BIG 1Q
bigpower --block 0 -1 $BIG 1K
bigpower --format xml
bigpower --shared-draws FLAG
bigpower --table nope MEANS means
datagen --rows -1 $BIG 10X 2147483648
datagen --shape 0x4 4x -1x4 4x4q $BIG
datagen --chunks 0x2 2x -1x2 2x2q
datagen --seed -1 $BIG 1Q
datagen --output -
datagen --debug FLAG
findfiles --name [abc a\\
findfiles --type x file
findfiles --min-size -1 10X 1Q $BIG 99999999999T
findfiles --max-size -1 10X 1Q $BIG
findfiles --iname [abc a\\
findfiles --path [abc a\\
findfiles --prune [abc a/b a\\
findfiles --maxdepth -1 abc 1.5 $BIG
findfiles --mindepth -1 abc 1.5 $BIG
findfiles --newer $TMP/nonexistent
findfiles --mtime abc 1.5 ++1 +-1 1d
findfiles --empty FLAG
findfiles --follow FLAG
findfiles --strategy random
findfiles --batch 0 -1 1048577 $BIG 8x
findfiles --unsorted FLAG
findfiles --count FLAG
findfiles --print0 FLAG
findfiles --format xml
findfiles --table nope PATHS paths
findfiles --no-bytes FLAG
findfiles --stats FLAG
findfiles --progress FLAG
findfiles --no-progress FLAG
hello --thread none all
hello --format xml
hello --table nope RANKS ranks
overhead --costs -1us 2s 1q a,b 1us,,2us
overhead --items 0 -1 10000001 1.5 a $BIG
overhead --repeat 0 -1 101 $BIG 3x
overhead --chunksize 0 -1 $BIG 1Q
overhead --max-serial -1s 10X 1Q nan 1e999
overhead --plot a\$b a\`b
overhead --format xml
overhead --table nope RUNS runs
pool --tasks -1 $BIG 10X 1.5 1000001
pool --sleep const:-1 const:2h const:1Q uniform:1 uniform:2:1 bogus:1
pool --seed -1 $BIG 1Q
pool --schedule random
pool --chunksize -1 $BIG 1Q
pool --manager boss
pool --fail-at -1 $BIG 4 1Q
pool --gantt -
pool --format xml
pool --table nope RESULTS results
pool --verbose FLAG
pool --progress FLAG
pool --no-progress FLAG
pool --checkpoint -
pool --checkpoint-every 0 -1 1000001 $BIG 1Q
pool --exec -
pool --tasks-file -
pool --timeout -1 1Q x
pool --retries -1 1001 $BIG 1Q
pool --joblog -
pool --dry-run FLAG
queue --items -1 10000001 $BIG 1Q
queue --producers -1 $BIG 1Q
queue --threads all
queue --blocking FLAG
queue --delay -1s 11s 1Q $BIG
queue --poll -1s 2s 1Q
queue --seed -1 $BIG 1Q
queue --verbose FLAG
queue --format xml
queue --table nope CHECK check
spawn --children 0 -1 257 $BIG 1Q
spawn --start 1000000001 -1000000001 $BIG 1Q
spawn --format xml
spawn --table nope CHILDREN children
square --n 0 -1 100000001 $BIG 1Q
square --cost -1us 1Q $BIG nan
square --seed -1 $BIG 1Q
square --max-value 0 -1 3037000500 $BIG 1Q
square --repeat 0 -1 1001 $BIG
square --show -1 $BIG 1Q
square --format xml
square --table nope SUMMARY summary
table --rows -1 2147483648 $BIG 1Q
table --seed -1 $BIG 1Q
table --input $TMP/t.txt $TMP/t
table --partitions 0 -1 $BIG 1Q
table --apply K 2*A =A K=2*Z K=(A K=A+ 1K=A
table --where Z A> (A K=A+1 A=2
table --groupby Z A,Z A,B,A ,A
table --agg sum sum:Z bogus:A count,count
table --sep x :: 2c
table --output @OUT@/t.txt @OUT@/t
table --head -1 1000001 $BIG 1Q
table --format xml
table --table nope RESULT result
table --timing FLAG
table --verbose FLAG
table --debug FLAG
textgen --bytes -1 10X 1Q $BIG 9E 1.5.5
textgen --output -
textgen --seed -1 $BIG 1Q
textgen --vocab 0 -1 10000001 $BIG 1K
textgen --zipf -1 nan inf 1Q 1e999
textgen --format xml
textgen --table nope SUMMARY summary
textgen --progress FLAG
textgen --no-progress FLAG
wordcount --top -1 1000001 $BIG 10X 1.5
wordcount --counts -
wordcount --chunk-size 0 -1 10X 1Q $BIG 99999999999T 1.5.5
wordcount --mode everything WC
wordcount --format xml TEXT
wordcount --table nope TOP top
wordcount --timing FLAG
wordcount --verbose FLAG
wordcount --lines FLAG
wordcount --words FLAG
wordcount --bytes FLAG
wordcount --progress FLAG
wordcount --no-progress FLAG
wordcount --checkpoint -
EOF
)

# Whole argument lists that conflict or are incomplete: JOB ARGS... | the option the error names.
CONFLICTS=$(cat <<EOF
wordcount --mode wc --counts @OUT@/c.csv $IN|--counts
wordcount --top 3|FILE
wordcount -l --mode words $IN|--mode
wordcount -c --counts @OUT@/c.csv $IN|--counts
wordcount - $IN|standard input
findfiles --min-size 2K --max-size 1K $TMP/dir|--min-size
findfiles --print0 --format csv $TMP/dir|--print0
findfiles --format csv --count --table paths $TMP/dir|--table
findfiles --format csv --table ranks $TMP/dir|--table
wordcount --format csv --table summary $IN|--table
wordcount --format csv --mode wc --table top $IN|--table
pool -n 4 --sleep const:0 --format csv --table log|--table
queue -k 2 --format csv --table items|--table
square -n 10 -r 1 --format csv --table items|--table
table -n 10 --format csv --table timing|--table
arraystats -s 4x4 -c 2x2 --format csv --table summary|--table
findfiles --mindepth 3 --maxdepth 1 $TMP/dir|--mindepth
textgen -o @OUT@/t.txt|--bytes
textgen --bytes 1K|--output
datagen -n 10|--output
datagen -o @OUT@/d.h5|--rows
datagen -s 4x4 -o @OUT@/d.csv|.h5
table -n 10 --agg sum:A|--agg
table -n 10 -g A --agg sum:A,mean:A,min:A,max:A,count,sum:B,mean:B,min:B,max:B,sum:C,mean:C,min:C,max:C,sum:D,mean:D,min:D,max:D,sum:K|--agg
pool -n 4 --fail-at 4|--fail-at
pool -n 3 --sleep file:$TMP/three|--sleep
queue --blocking --threads funneled|--blocking
EOF
)
printf '0.1\n0.2\n' >"$TMP/three"

# Open MPI's own boxed messages (between lines of dashes) are not the job's output.
job_stderr() { awk '/^-----+$/ { box = !box; next } !box' "$1"; }

# Cases run PARALLEL at a time (a singleton spends most of its 0.3 s waiting for its daemon),
# each in its own directory; @OUT@ in an argument is that directory, which must stay empty.
PARALLEL=${PARALLEL:-4}
NCASES=0
declare -a GROUP=()
# run_case GROUP RANKS JOB WANT ARGS... : one bad invocation; WANT is text the error line must hold.
# Under ASan+UBSan a case costs seconds, not 0.3 s: that pass runs every ASAN_STRIDE-th case
# (all of them run in the plain pass), so CI stays within its time.
ASAN_STRIDE=${ASAN_STRIDE:-4}
[ "$TEST_FULL" = 1 ] && ASAN_STRIDE=1
# Bad values per option in the sampled run (every one under MPIKIT_TEST_FULL=1).
BAD_VALUES=${BAD_VALUES:-2}
NSEEN=0
run_case() {
    local group=$1 ranks=$2 job=$3 want=$4
    shift 4
    NSEEN=$((NSEEN + 1))
    if [ "${SANITIZE:-0}" = 1 ] && [ $((NSEEN % ASAN_STRIDE)) != 1 ] && [ "$ASAN_STRIDE" != 1 ]; then return 0; fi
    local i=$NCASES d=$TMP/c/$NCASES
    NCASES=$((NCASES + 1))
    GROUP[i]=$group
    mkdir -p "$d/out"
    local args=() a
    for a in "$@"; do args+=("${a//@OUT@/$d/out}"); done
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n; done
    # stdin from /dev/null: mpirun forwards its stdin to rank 0, and would eat the lines of a
    # loop that reads its cases from stdin (the CONFLICTS loop below).
    one_case "$d" "$ranks" "$job" "$want" "${args[@]}" </dev/null &
}

one_case() {
    local d=$1 ranks=$2 job=$3 want=$4
    shift 4
    local rc why=""
    if [ "$ranks" = 1 ]; then
        timeout -k 5 "$CASE_TIMEOUT" "$BIN/$job" "$@" >"$d/o" 2>"$d/e"
        rc=$?
        # Open MPI 4.1's singleton MPI_Finalize (ess_singleton) races its own event thread and
        # segfaults in about 1 run of 300 when many start at once (libevent calls into unmapped
        # memory while orte_finalize removes the session directory; seen with gdb on a core).
        # The job's output is complete by then. Such a run is rerun once: a crash of mpikit's
        # own would crash again.
        if [ "$rc" = 139 ] && grep -q 'Address not mapped' "$d/e"; then
            timeout -k 5 "$CASE_TIMEOUT" "$BIN/$job" "$@" >"$d/o" 2>"$d/e"
            rc=$?
        fi
    else
        TEST_TIMEOUT=$CASE_TIMEOUT mpirun_n "$ranks" "$BIN/$job" "$@" >"$d/o" 2>"$d/e"
        rc=$?
    fi
    job_stderr "$d/e" >"$d/je"
    local nerr nother
    nerr=$(grep -c "^$job: error: " "$d/je")
    nother=$(grep -v -c -e "^$job: error: " -e "^Try '$job --help' for more information.\$" "$d/je")
    [ "$rc" = 2 ] || why="$why exit $rc (want 2);"
    [ "$nerr" = 1 ] || why="$why $nerr error lines;"
    [ "$nother" = 0 ] || why="$why $nother other stderr lines;"
    grep "^$job: error: " "$d/je" | grep -q -F -e "$want" || why="$why error does not name '$want';"
    [ -s "$d/o" ] && why="$why output on stdout;"
    local left
    left=$(find "$d/out" -mindepth 1 -printf '%f ')
    [ -z "$left" ] || why="$why left files: $left;"
    if [ -n "$why" ]; then
        { echo "not ok - $job at $ranks rank(s): $(printf '%q ' "${@//$d\/out/@OUT@}")->$why"
          sed 's/^/#   /' "$d/e" | head -n 6; } >"$d/verdict"
    fi
}

# collect: every failed case, then one ok per group whose cases all passed.
collect() {
    wait
    local -A bad=()
    local i
    for ((i = 0; i < NCASES; i++)); do
        if [ -s "$TMP/c/$i/verdict" ]; then
            cat "$TMP/c/$i/verdict"
            FAILED=$((FAILED + 1))
            bad[${GROUP[i]}]=1
            NFAIL=$((NFAIL + 1))
        fi
    done
    local seen=""
    for ((i = 0; i < NCASES; i++)); do
        case $seen in *"|${GROUP[i]}|"*) continue ;; esac
        seen="$seen|${GROUP[i]}|"
        [ -z "${bad[${GROUP[i]}]+x}" ] && ok "${GROUP[i]}"
    done
}
NFAIL=0

# The options of a job: long names from --help and from the option table in its source.
job_options() {
    local job=$1
    { "$BIN/$job" --help 2>/dev/null | sed -n 's/^  \(-[^-], \)\{0,1\} *--\([a-z0-9][a-z0-9-]*\).*/\2/p'
      sed -n 's/^ *{"\([a-z0-9][a-z0-9-]*\)", *\('"'"'.'"'"'\|0\), *MK_OPT_.*/\1/p' "$ROOT/jobs/$job.c"
    } | grep -v -x -e help -e version | sort -u
}

for src in "$ROOT"/jobs/*.c; do
    job=$(basename "$src" .c)
    if [ ! -x "$BIN/$job" ]; then
        not_ok "$job: not built"
        continue
    fi
    if [ -z "${BASE[$job]+set}" ]; then
        not_ok "$job: no base arguments in bad_args.sh (a new job needs cases)"
        continue
    fi
    read -r -a base <<<"${BASE[$job]}"
    opts=$(job_options "$job")
    [ -n "$opts" ] || not_ok "$job: no options discovered"
    sample=()   # a bad value of the first option that has one, for the 3-rank sample
    for opt in $opts; do
        line=$(grep -m1 "^$job --$opt " <<<"$CASES")
        if [ -z "$line" ]; then
            not_ok "$job --$opt has no bad-argument cases in bad_args.sh"
            continue
        fi
        read -r -a vals <<<"${line#"$job --$opt "}"
        g="$job --$opt: every bad value rejected"
        if [ "${vals[0]}" = FLAG ]; then
            run_case "$g" 1 "$job" "--$opt" "${base[@]}" "--$opt=1"
        else
            # Sampled (MPIKIT_TEST_FULL=1: all): one of the three empty forms, which the shared
            # parser handles alike for every option, and BAD_VALUES of the option's own values.
            pick 1 missing empty attached
            case ${PICKED[0]} in
            missing) run_case "$g" 1 "$job" "--$opt" "${base[@]}" "--$opt" ;;       # missing value
            empty) run_case "$g" 1 "$job" "--$opt" "${base[@]}" "--$opt" "" ;;      # empty
            attached) run_case "$g" 1 "$job" "--$opt" "${base[@]}" "--$opt=" ;;     # empty, attached
            esac
            own=()
            for v in "${vals[@]}"; do [ "$v" = - ] || own+=("$v"); done
            [ ${#sample[@]} = 0 ] && [ ${#own[@]} -gt 0 ] && sample=("--$opt" "${own[0]}")
            pick "$BAD_VALUES" "${own[@]+"${own[@]}"}"
            for v in "${PICKED[@]+"${PICKED[@]}"}"; do
                run_case "$g" 1 "$job" "--$opt" "${base[@]}" "--$opt" "$v"
            done
        fi
    done
    # Unknown options (long, short, a prefix of a real one) and an extra positional.
    g="$job: unknown options and extra arguments rejected"
    unknown=(frobnicate Z forma help)
    # (wordcount and findfiles take any number of paths: an extra one is not a usage error)
    if [ "$job" != wordcount ] && [ "$job" != findfiles ]; then unknown+=(extra); fi
    pick 2 "${unknown[@]}"
    for u in "${PICKED[@]}"; do
        case $u in
        frobnicate) run_case "$g" 1 "$job" "--frobnicate" "${base[@]}" --frobnicate ;;
        Z) run_case "$g" 1 "$job" "-Z" "${base[@]}" -Z ;;
        forma) run_case "$g" 1 "$job" "--forma" "${base[@]}" --forma csv ;;
        help) run_case "$g" 1 "$job" "--help" "${base[@]}" --help=yes ;;
        extra) run_case "$g" 1 "$job" "too many arguments" "${base[@]}" extra ;;
        esac
    done
    # The same verdict from every rank: a sample at 3 ranks.
    g="$job at 3 ranks: one error line from rank 0, exit 2"
    run_case "$g" 3 "$job" "--frobnicate" "${base[@]}" --frobnicate
    [ ${#sample[@]} = 2 ] && run_case "$g" 3 "$job" "${sample[0]}" "${base[@]}" "${sample[@]}"
done

# Conflicting or missing options, at 1 rank and (every other one) at 3 ranks.
i=0
while IFS='|' read -r args want; do
    [ -n "$args" ] || continue
    read -r -a a <<<"$args"
    run_case "$args: rejected naming $want" 1 "${a[0]}" "$want" "${a[@]:1}"
    i=$((i + 1))
    [ $((i % 2)) = 0 ] && run_case "$args: rejected naming $want" 3 "${a[0]}" "$want" "${a[@]:1}"
done <<<"$CONFLICTS"

collect
echo "# bad-argument cases: $NCASES ($NFAIL failed)"
sample_banner

# More ranks than items, and one rank: not an error, and the same result as one rank gives.
first_para() { awk 'BEGIN { RS = "" } NR == 1'; }
last_para() { awk 'BEGIN { RS = "" } { p = $0 } END { print p }'; }
printf 'a b\nc\n' >"$TMP/tiny"
mkdir -p "$TMP/empty"
# edge NAME FILTER OUTFILE JOB ARGS... : stdout through FILTER and OUTFILE (or -) must match.
edge() {
    local name=$1 filter=$2 outfile=$3 job=$4
    shift 4
    local n rc why=""
    for n in 1 3; do
        rm -rf "$TMP/e$n" && mkdir -p "$TMP/e$n"
        local args=() a
        for a in "$@"; do args+=("${a//@OUT@/$TMP/e$n}"); done
        mpirun_n "$n" "$BIN/$job" "${args[@]}" >"$TMP/e$n.raw" 2>"$TMP/e$n.err"
        rc=$?
        [ "$rc" = 0 ] || why="$why exit $rc at $n ranks;"
        $filter <"$TMP/e$n.raw" >"$TMP/e$n.out"
    done
    if [ "$outfile" = - ]; then [ -s "$TMP/e1.out" ] || why="$why no output;"
    else [ -s "$TMP/e1/$outfile" ] || why="$why no $outfile;"; fi
    cmp -s "$TMP/e1.out" "$TMP/e3.out" || why="$why stdout differs;"
    if [ "$outfile" != - ] && ! cmp -s "$TMP/e1/$outfile" "$TMP/e3/$outfile"; then why="$why $outfile differs;"; fi
    if [ -z "$why" ]; then ok "$name: 3 ranks give the 1-rank result"; else not_ok "$name:$why"; sed 's/^/#   /' "$TMP/e3.err" | head -n 4; fi
}
no_cols_3() { cut -d, -f1,2,4-; }
queue_verdict() { last_para | cut -d, -f1-9,11; }
edge "wordcount, 2 lines" cat c.csv wordcount -f csv --counts @OUT@/c.csv "$TMP/tiny"
edge "textgen, 5 bytes" true t.txt textgen --bytes 5 -o @OUT@/t.txt -f json
edge "datagen, 2 rows" true d.csv datagen -n 2 -o @OUT@/d.csv
edge "table, 2 rows in 1 partition" true t.csv table -n 2 -p 1 -o @OUT@/t.csv
edge "arraystats, 1x2 array in 2 chunks" no_cols_3 - arraystats -s 1x2 -c 1x1 -f csv
edge "bigpower, 2 normals" first_para - bigpower -n 2 -f csv
edge "findfiles, an empty directory" first_para - findfiles -f csv "$TMP/empty"
edge "pool, 2 tasks" first_para - pool -n 2 --sleep const:0 -f csv
edge "queue, no items" queue_verdict - queue -k 0 -f csv
edge "square, 2 items" first_para - square -n 2 -r 1 --show 2 -f csv --table items
finish
