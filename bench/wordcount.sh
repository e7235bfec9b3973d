#!/usr/bin/env bash
# shellcheck disable=SC2119 # case_run takes optional REPS, not the script's arguments
# bench/wordcount.sh - wordcount against LC_ALL=C wc, the grep|tr|sort|uniq -c pipeline, Python's
# Counter, the tutorial's Pool(n).map over the file's lines, an mpi4py version and a plain scalar C
# counter (bench/wordfreq.c: mmap, table lowercase, FNV-1a, open addressing); then strong
# scaling (the 1 GiB corpus, 1..4 ranks) and weak scaling (256 MiB per rank); instructions per
# byte under callgrind (when valgrind is installed) for wordcount and the plain C counter.
#   inputs: t8.shakespeare.txt (5 MB), a MID_BYTES prefix of the big corpus (default 64 MiB: the
#   Python peers take ~0.5 s per 5 MB), the BIG_BYTES corpus (default 1G; QUICK=1: 32M).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# inside figures of wordcount --timing --format json: work_s, the read and count phases, RSS per rank
wc_parse() {
    table_after ranks,bytes,kernel "$1" | awk -F, '{ print "inside_s", $4, "s"; print "rank_rss", $7, "MiB" }'
    echo "read_s $(phase_max "$1" read) s"
    echo "count_s $(phase_max "$1" count) s"
}
# shellcheck disable=SC2016 # expanded by the bash -c that runs it
pipeline='grep -oE "[A-Za-z]+" "$1" | tr A-Z a-z | sort | uniq -c | sort -k1,1nr -k2,2 >/dev/null'
big=$(corpus_big) || exit 1
small=$(corpus_small) || small=$(corpus_prefix 5458199)
if [ "$QUICK" = 1 ]; then mid_bytes=${MID_BYTES:-8388608}; else mid_bytes=${MID_BYTES:-67108864}; fi
mid=$(corpus_prefix "$mid_bytes")
cat "$small" "$mid" "$big" >/dev/null   # page cache warm
wordfreq=$(bench_tool wordfreq) || exit 1

# add_wordcount RANKS...: wc mode and frequency mode (wc + top 10) of the file $f
add_wordcount() {
    local n
    for n in "$@"; do
        mpi "$n"
        case_add "wordcount --mode wc" "$n" wc_parse "${MPI[@]}" "$BIN/wordcount" --mode wc --timing --format json "$f"
        case_add "wordcount (frequencies)" "$n" wc_parse "${MPI[@]}" "$BIN/wordcount" --timing --format json "$f"
    done
}

for f in "$small" "$mid"; do
    case_begin wordcount "$(basename "$f") ($(stat -c %s "$f") bytes)"
    case_add "LC_ALL=C wc" 1 - wc "$f"
    case_add "plain C counter (bench/wordfreq.c)" 1 at_lines "$wordfreq" "$f"
    # the pipeline runs at ~10 MB/s: on the small file only
    [ "$f" = "$small" ] && case_add "grep|tr|sort|uniq -c" 1 - bash -c "$pipeline" pipeline "$f"
    add_wordcount 1 2
    case_add "Python Counter(re.findall)" 1 at_lines "$PY" "$BENCH_ROOT/bench/peers.py" counter "$f"
    for n in 1 2; do
        mpi "$n"
        case_add "mpi4py Counter + gather" "$n" at_lines "${MPI[@]}" "$PY" "$BENCH_ROOT/bench/peers.py" mpi4py-wc "$f"
        # the tutorial's Pool over lines: ~1 s per MB, so only on the small file
        [ "$f" = "$small" ] && case_add "Python Pool(n).map over lines" "$n" at_lines \
            "$PY" "$BENCH_ROOT/bench/peers.py" poolmap "$f" "$n"
    done
    case_run
done

# Instructions per byte under callgrind: unlike the times, independent of the machine's load
# (valgrind has no AVX-512, so the AVX2 letter mask runs). Once, on the mid file; rows of their
# own bench name, which bench/report.py does not render yet.
# shellcheck disable=SC2016 # expanded by the bash -c that runs it
ir_count='f=$1; shift
n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n "s/.*refs: *//p" | tr -d ,)
echo "@instructions $n Ir"
awk -v n="$n" -v b="$(stat -c %s "$f")" "BEGIN { printf \"@ir_per_byte %.2f Ir/B\\n\", n / b }"'
if command -v valgrind >/dev/null; then
    f=$mid
    case_begin wordcount_instructions "$(basename "$f") ($(stat -c %s "$f") bytes)"
    case_add "wordcount --mode words (callgrind)" 1 at_lines bash -c "$ir_count" ir "$f" \
        "$BIN/wordcount" --mode words --no-progress -k 3 "$f"
    case_add "plain C counter (callgrind)" 1 at_lines bash -c "$ir_count" ir "$f" "$wordfreq" "$f"
    case_run 1 0
fi

# Strong scaling: the big corpus, 1..4 ranks (3 and 4 oversubscribe a 2-core machine).
f=$big
case_begin wordcount "strong $(basename "$f") ($(stat -c %s "$f") bytes)"
case_add "LC_ALL=C wc" 1 - wc "$f"
case_add "plain C counter (bench/wordfreq.c)" 1 at_lines "$wordfreq" "$f"
add_wordcount 1 2 3 4
case_run

# Weak scaling: 256 MiB per rank (QUICK: 8 MiB), prefixes of the big corpus.
per=$([ "$QUICK" = 1 ] && echo 8388608 || echo 268435456)
for n in 1 2 3 4; do
    f=$(corpus_prefix $((per * n)))
    cat "$f" >/dev/null
    case_begin wordcount "weak $((per >> 20)) MiB per rank"
    add_wordcount "$n"
    case_run
done
