#!/usr/bin/env bash
# tests/jobs/docs_commands.sh - the commands in README.md, docs/*.md (except table.md, owned by
# the table suite) and lessons/*/README.md run as written on a 2-core machine, so they cannot go
# stale:
#   - every command (code blocks and inline `mpirun ...`) that asks for more ranks than the
#     machine has cores says --oversubscribe (or names slots with --host/--hostfile);
#   - every long option given to build/bin/JOB, and every option in a job page's option table,
#     is one that `JOB --help` lists;
#   - every `$ build/bin/JOB --help` transcript equals the binary's output (scripts/doc-help.sh);
#   - every block quoted "exactly" from a tutorial is verbatim in it (when the tutorials are
#     present: MPIKIT_SEEDS, default ../shared/seeds);
#   - relative links and #anchors between the pages resolve;
#   - the runnable commands run, in page order, in a scratch directory, with small inputs for
#     the placeholders FILE and DIR: exit 0, or non-zero where the page shows an error; the
#     wordcount transcripts on the corpus print exactly what the page shows. make test runs a
#     seeded sample of the cheap ones; MPIKIT_TEST_FULL=1 runs every one, the slow ones too.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
sample_banner

SEEDS=${MPIKIT_SEEDS:-$ROOT/../shared/seeds}
[ -d "$SEEDS" ] || SEEDS=/work/shared/seeds
pages=("$ROOT/README.md")
for f in "$ROOT"/docs/*.md "$ROOT"/lessons/README.md "$ROOT"/lessons/*/README.md; do
    case $f in */docs/table.md | */docs/errors.md) continue ;; esac
    pages+=("$f")
done
rel() { echo "${1#"$ROOT"/}"; }

# ---- Extraction: one record per command: page, line, kind (cmd, tx, inline), command. --------
# A fenced block (no language, sh, bash, console) holds commands one per line ("# ..." comments
# dropped), or a transcript when its lines start with "$ ": then the lines after a command, up
# to the next "$ " or the fence, are its output (saved to out/N). Lines ending in "\" and
# single quotes left open are joined with the next line.
mkdir -p "$TMP/out"
extract() {
    awk -v page="$1" -v outdir="$TMP/out" -v start="$2" '
        function quotes(s,   t) { t = s; return gsub(/\x27/, "", t) }
        function flush() { if (cur != "") { n++; gsub(/\n/, "\001", cur); printf "%s\t%d\t%s\t%s\n", page, curline, curkind, cur; if (curkind == "tx") outfile = outdir "/" (start + n); else outfile = ""; if (outfile != "") printf "" > outfile } cur = "" }
        /^```/ {
            if (!inb) { inb = 1; lang = substr($0, 4); tx = 0; runnable = (lang == "" || lang == "sh" || lang == "bash" || lang == "console"); next }
            if (cont) { flush(); cont = 0 }
            inb = 0; outfile = ""; next
        }
        !inb {
            line = $0
            while (match(line, /`mpirun [^`]*`/)) {
                n++; printf "%s\t%d\tinline\t%s\n", page, NR, substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
            }
            next
        }
        !runnable { next }
        cont { cur = cur "\n" $0; if (quotes(cur) % 2 == 0 && $0 !~ /\\$/) { cont = 0; flush() } next }
        /^\$ / {
            cur = substr($0, 3); curline = NR; curkind = "tx"
            sub(/[ \t][ \t]+#.*$/, "", cur)
            if (quotes(cur) % 2 == 1 || cur ~ /\\$/) { cont = 1; next }
            flush(); next
        }
        outfile != "" { print > outfile; next }
        /^[ \t]*(#|$)/ { next }
        {
            cur = $0; curline = NR; curkind = "cmd"
            if (quotes(cur) % 2 == 0) sub(/[ \t][ \t]+#.*$/, "", cur)
            if (quotes(cur) % 2 == 1 || cur ~ /\\$/) { cont = 1; next }
            flush()
        }
        END { flush() }' "$1"
}
: >"$TMP/records"
count=0
for p in "${pages[@]}"; do
    extract "$p" "$count" >>"$TMP/records.new"
    count=$(( $(wc -l <"$TMP/records.new") ))
done
# Number the records (the output files are named by the running count at extraction).
awk -F'\t' '{ printf "%d\t%s\n", NR, $0 }' "$TMP/records.new" >"$TMP/records"
echo "# $(wc -l <"$TMP/records") commands in ${#pages[@]} pages"

echo "# [$SECONDS s]"
# ---- 1. More ranks than cores needs --oversubscribe. ------------------------------------------
bad=$(awk -F'\t' -v cores=2 '{
        cmd = $5; gsub(/\001/, " ", cmd)
        if (cmd !~ /(^|[ ;|&(])mpirun /) next
        # the rank count is the -n of mpirun itself: its options end at the program (a path,
        # or a word that follows a non-option), so a job option like --n 1e7 is not read as one
        rest = cmd; sub(/.*mpirun /, "", rest); nw = split(rest, w, / +/); s = ""; prev_opt = 0
        for (i = 1; i <= nw; i++) {
            if (w[i] ~ /\// || (w[i] !~ /^-/ && !prev_opt)) break
            if ((w[i] == "-n" || w[i] == "-np") && i < nw) { s = w[i + 1]; break }
            prev_opt = w[i] ~ /^-/
        }
        if (s ~ /^[0-9]+$/ && s + 0 > cores && cmd !~ /--oversubscribe|--host |--hostfile |-H /) printf "%s:%d: %s\n", $2, $3, cmd
    }' "$TMP/records" | sed "s|$ROOT/||")
check "every mpirun with more ranks than 2 cores says --oversubscribe (or names its slots)" test -z "$bad"
[ -z "$bad" ] || printf '%s\n' "$bad" | sed 's/^/#   /'

echo "# [$SECONDS s]"
# ---- 2. Long options exist in the program's --help. -------------------------------------------
# Every job's options, "JOB --opt" per line, from its --help; then one awk pass over the
# records (each `build/bin/JOB ...` up to a pipe, ;, & or >) and the option tables of the pages.
mkdir -p "$TMP/help"
# (each --help starts MPI as a singleton: run them side by side)
# shellcheck disable=SC2016 # the single-quoted script expands its own arguments
find "$BIN" -maxdepth 1 -type f -perm -u+x -printf '%f\n' |
    xargs -P 8 -I{} sh -c '"$1/$2" --help >"$3/$2" 2>&1 || true' _ "$BIN" {} "$TMP/help"
for h in "$TMP"/help/*; do
    grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' "$h" | tr -d ' ,' | sed "s|^|$(basename "$h") |"
done | sort -u >"$TMP/options"
for p in "$ROOT"/docs/*.md; do
    job=$(basename "$p" .md)
    [ -x "$BIN/$job" ] || continue
    grep -noE '^\| `--[a-z][a-z0-9-]*' "$p" | sed "s/| \`//; s|^|$p\t|; s/:/\ttable\t$job /"
done >"$TMP/tables"
bad_opts=$(awk -F'\t' -v root="$ROOT/" '
    FILENAME == ARGV[1] { split($0, f, " "); have[f[1] " " f[2]] = 1; jobs[f[1]] = 1; next }
    FILENAME == ARGV[2] { split($4, f, " "); if (!((f[1] " " f[2]) in have)) { p = $1; sub(root, "", p); printf "%s:%s: %s has no option %s (option table)\n", p, $2, f[1], f[2] } next }
    {
        cmd = $5; gsub(/\001/, " ", cmd); p = $2; sub(root, "", p)
        while (match(cmd, /build\/bin\/[a-z0-9_]+/)) {
            job = substr(cmd, RSTART + 10, RLENGTH - 10); cmd = substr(cmd, RSTART + RLENGTH)
            # the arguments of this program end at a pipe, a semicolon, an ampersand, a redirection, the "--" of a launcher or the next program
            args = cmd; sub(/[|;&>].*/, "", args); sub(/ -- .*/, "", args); sub(/build\/bin\/.*/, "", args)
            if (!(job in jobs)) { printf "%s:%s: no program build/bin/%s\n", p, $3, job; continue }
            n = split(args, w, /[ \t=]+/)
            for (i = 1; i <= n; i++) if (w[i] ~ /^--[a-z][a-z0-9-]*$/ && !((job " " w[i]) in have)) printf "%s:%s: %s has no option %s\n", p, $3, job, w[i]
        }
    }' "$TMP/options" "$TMP/tables" "$TMP/records")
check "every long option the docs give a job is in its --help" test -z "$bad_opts"
[ -z "$bad_opts" ] || printf '%s\n' "$bad_opts" | sed 's/^/#   /'

echo "# [$SECONDS s]"
# ---- 3. --help transcripts equal the binaries' output. ---------------------------------------
check "--help transcripts in the docs equal the binaries' output (scripts/doc-help.sh --check)" \
    env BUILD="$BUILD" "$ROOT/scripts/doc-help.sh" --check

echo "# [$SECONDS s]"
# ---- 4. Blocks quoted "exactly" from a tutorial are verbatim in it. ---------------------------
# A ```python block whose preceding paragraph says "quoted exactly" and names NNN_....txt.
if [ -d "$SEEDS" ]; then
    : >"$TMP/quotes"
    for p in "${pages[@]}"; do
        awk -v dir="$TMP" -v tag="$(basename "$(dirname "$p")")_$(basename "$p")" -v page="$(rel "$p")" '
            function judge() {  # the paragraph before a block says whether it is quoted
                if (para ~ /written for[ ]+this[ ]+page/) quoted = ""
                else if (para ~ /quoted[ ]+exactly/ && seed != "") quoted = seed
                para = ""
            }
            inq && /^```/ { inq = 0; close(f); printf "%s\t%s\t%s:%d\n", quoted, f, page, qline; next }
            inq { print > f; next }
            inb && /^```/ { inb = 0; next }
            inb { next }
            /^```python/ { judge(); if (quoted != "") { inq = 1; k++; f = dir "/q." tag "." k; printf "" > f; qline = NR } else inb = 1; next }
            /^```/ { judge(); inb = 1; next }
            /^## / { quoted = ""; seed = ""; para = ""; next }
            /^[ \t]*$/ { if (para != "") judge(); next }
            { para = para " " $0; if (match($0, /[0-9][0-9][0-9]_[0-9a-f]+\.txt/)) seed = substr($0, RSTART, RLENGTH) }' "$p" >>"$TMP/quotes"
    done
    # one pass: each quoted block must occur, line for line, somewhere in its tutorial
    bad_quotes=$(awk -F'\t' -v seeds="$SEEDS" '
        function load(name,   path, l, n) {
            if (name in nlines) return nlines[name]
            path = seeds "/" name; n = 0
            while ((getline l < path) > 0) text[name, ++n] = l
            close(path); nlines[name] = n; return n
        }
        {
            m = load($1); n = 0
            while ((getline l < $2) > 0) want[++n] = l
            close($2)
            if (m == 0) { printf "%s: no tutorial %s\n", $3, $1; next }
            found = 0
            for (i = 1; i + n - 1 <= m && !found; i++) {
                for (j = 1; j <= n; j++) if (text[$1, i + j - 1] != want[j]) break
                if (j > n) found = 1
            }
            if (!found) printf "%s: a block quoted exactly from %s is not verbatim in it\n", $3, $1
        }' "$TMP/quotes")
    check "every block quoted exactly from a tutorial is verbatim in it ($(wc -l <"$TMP/quotes") blocks)" test -z "$bad_quotes"
    [ -z "$bad_quotes" ] || printf '%s\n' "$bad_quotes" | sed 's/^/#   /'
else
    echo "# SKIP quotes: the tutorials are not here (set MPIKIT_SEEDS)"
fi

echo "# [$SECONDS s]"
# ---- 5. Relative links and anchors resolve. ---------------------------------------------------
anchors_of() { # GitHub's anchors: lowercase, punctuation dropped, spaces to hyphens (cached)
    local cache
    cache=$TMP/anchors.$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    [ -f "$cache" ] || awk '/^```/ { inb = !inb; next } !inb && /^#+ / { sub(/^#+ /, ""); print tolower($0) }' "$1" |
        sed -E 's/[^a-z0-9 _-]//g; s/ /-/g' >"$cache"
    cat "$cache"
}
bad_links=""
for p in "${pages[@]}"; do
    dir=$(dirname "$p")
    while IFS=: read -r line target; do
        file=${target%%#*}
        anchor=""
        [[ $target == *#* ]] && anchor=${target#*#}
        [ -z "$file" ] && file=$(basename "$p")
        case $file in http* | mailto:*) continue ;; esac
        if [ ! -e "$dir/$file" ]; then bad_links+="$(rel "$p"):$line: no file $target"$'\n'; continue; fi
        if [ -n "$anchor" ] && [[ $file == *.md ]] && ! anchors_of "$dir/$file" | grep -qxF -- "$anchor"; then
            bad_links+="$(rel "$p"):$line: no heading for #$anchor in $file"$'\n'
        fi
    done < <(grep -noE '\]\([^) ]+\)' "$p" | sed -E 's/\]\(//; s/\)$//')
done
check "relative links and #anchors between the pages resolve" test -z "$bad_links"
[ -z "$bad_links" ] || printf '%s' "$bad_links" | sed 's/^/#   /'

echo "# [$SECONDS s]"
# ---- 6. Run the runnable commands. ------------------------------------------------------------
WORK=$TMP/work
mkdir -p "$WORK/build" "$WORK/tree/a/b" "$WORK/tree/c"
ln -s "$BIN" "$WORK/build/bin"
ln -s "$BUILD/lessons" "$WORK/build/lessons" 2>/dev/null || true
for d in scripts lessons src jobs tests bench README.md; do ln -s "$ROOT/$d" "$WORK/$d"; done
printf 'the quick brown fox\njumps over the lazy dog\n' >"$WORK/small.txt"
touch "$WORK/tree/a/x.py" "$WORK/tree/a/b/y.py" "$WORK/tree/c/z.txt"
corpus=$(find_corpus t8.shakespeare.txt) || corpus=""
export CORPUS=$corpus
mkdir -p "$BUILD/lessons"

# runnable: what a reader can paste on a 2-core machine with mpikit built; not SLURM, not
# installs, not make (the lessons suite runs `make lesson`), not an elided "...".
runnable() {
    local c=$1 skip='(^|[ ;|&])(sbatch|srun|salloc|sudo|scontrol|make|apt-get|git|export|echo|cd)( |$)'
    [[ $c == *...* || $c == *…* ]] && return 1
    [[ $c =~ $skip ]] && return 1
    case $c in
    CORPUS=* | OMPI_MCA_*mpirun\ * | mpirun\ * | build/bin/* | "printf "* | "LC_ALL=C "* | "h5dump "* | "h5ls "* | "/usr/bin/python3 "* | "for "* | "find "*) return 0 ;;
    esac
    return 1
}
# slow: more than a few seconds here; run only under MPIKIT_TEST_FULL=1.
slow() {
    local c=$1 big='20000x20000|--tasks 200|[ =]/usr( |$)|--bytes 1G|/usr/bin/time|-n 8 |--repeat 5|--items 10000|--shape 4000x4000|--rows 2000000|--cost 50us|multiprocessing'
    [[ $c =~ $big ]] && return 0
    [[ $c == *build/bin/bigpower* && $c != *--n\ * ]] && return 0
    [[ $c == *build/bin/overhead* && $c != *--costs* ]] && return 0
    [[ $c == *build/bin/pool* && $c != *--tasks* ]] && return 0
    [[ $c == *build/bin/spawn* || $c == *02-spawn/solution* ]] && return 0
    return 1
}
lesson_binary() { # build a lesson's solution when a page runs it and it is not there yet
    local name src flags=() libs=()
    [[ $1 =~ build/lessons/([0-9][0-9]-[a-z0-9]+)/solution ]] || return 0
    name=${BASH_REMATCH[1]}
    [ -x "$BUILD/lessons/$name/solution" ] && return 0
    src=$ROOT/lessons/$name/solution.c
    if [ "$name" = 12-hdf5 ]; then
        read -r -a flags <<<"$(pkg-config --cflags hdf5-openmpi)"
        read -r -a libs <<<"$(pkg-config --libs hdf5-openmpi)"
    fi
    mkdir -p "$BUILD/lessons/$name"
    mpicc -std=c11 -O2 "${flags[@]}" -o "$BUILD/lessons/$name/solution" "$src" "${libs[@]}" -lm
}

mapfile -t ids < <(awk -F'\t' '$4 != "inline" { print $1 }' "$TMP/records")
cheap=() heavy=()
for id in "${ids[@]}"; do
    cmd=$(awk -F'\t' -v id="$id" '$1 == id { print $5; exit }' "$TMP/records")
    cmd=${cmd//$'\001'/$'\n'}
    runnable "$cmd" || continue
    if slow "$cmd"; then heavy+=("$id"); else cheap+=("$id"); fi
done
if [ "$TEST_FULL" = 1 ]; then
    chosen=("${cheap[@]}" "${heavy[@]}")
else
    # Commands that make files for the next ones (> x, -o x, --save x, --counts x, CORPUS=) always run.
    mapfile -t chosen < <(sample 12 "${cheap[@]}")
    for id in "${cheap[@]}"; do
        cmd=$(awk -F'\t' -v id="$id" '$1 == id { print $5; exit }' "$TMP/records")
        [[ $cmd == CORPUS=* || $cmd == *' > '* || $cmd == *' -o '* || $cmd == *--save\ * || $cmd == *--counts\ * ]] && chosen+=("$id")
    done
    # A sampled command runs after the commands just above it in the same block (they may make its input).
    mapfile -t sampled < <(printf '%s\n' "${chosen[@]}")
    for id in "${sampled[@]}"; do
        read -r page line < <(awk -F'\t' -v id="$id" '$1 == id { print $2, $3; exit }' "$TMP/records")
        for prev in "${cheap[@]}"; do
            [ "$prev" -lt "$id" ] || continue
            awk -F'\t' -v id="$prev" -v page="$page" -v line="$line" '$1 == id && $2 == page && line - $3 <= 4 { found = 1 } END { exit !found }' "$TMP/records" && chosen+=("$prev")
        done
    done
    echo "# running ${#cheap[@]} cheap commands sampled to 12 (+ set-up ones); ${#heavy[@]} slow ones only under MPIKIT_TEST_FULL=1"
fi
mapfile -t chosen < <(printf '%s\n' "${chosen[@]}" | sort -n -u)

for id in "${chosen[@]}"; do
    IFS=$'\t' read -r _ page line kind cmd < <(awk -F'\t' -v id="$id" '$1 == id' "$TMP/records")
    cmd=${cmd//$'\001'/$'\n'}
    where="$(rel "$page"):$line"
    if [[ $cmd == *\"\$CORPUS\"* || $cmd == */work/shared/data/* || $cmd == *find-corpus* ]] && [ -z "$corpus" ]; then
        echo "# SKIP $where: no Shakespeare corpus (MPIKIT_DATA)"
        continue
    fi
    if [[ $cmd == /usr/bin/time* || $cmd == *'/usr/bin/time '* ]] && [ ! -x /usr/bin/time ]; then
        echo "# SKIP $where: /usr/bin/time is not installed"
        continue
    fi
    if [[ $cmd == *h5py* ]] && ! /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
        echo "# SKIP $where: python3-h5py is not installed"
        continue
    fi
    lesson_binary "$cmd" || { not_ok "$where: cannot build the lesson program for '$cmd'"; continue; }
    run=${cmd//\/work\/shared\/data\/t8.shakespeare.txt/$corpus}
    run=${run//FILE.../small.txt}
    run=$(sed -E 's/(^|[ ])FILE([ ]|$)/\1small.txt\2/g; s/(^|[ ])DIR([ ]|$)/\1tree\2/g' <<<"$run")
    expect=0
    if [ "$kind" = tx ] && grep -q 'error:' "$TMP/out/$id" 2>/dev/null; then expect=1; fi
    (cd "$WORK" && timeout -k 5 "$TEST_TIMEOUT" bash -c "$run") >"$TMP/run.out" 2>"$TMP/run.err"
    rc=$?
    # Open MPI 4.1 can segfault inside its own MPI_Finalize under heavy load (its event thread
    # against orte_finalize; see bad_args.sh). Such a run is run once more.
    if [ $rc = 139 ] && grep -q 'Address not mapped' "$TMP/run.err"; then
        echo "# rerun after a segfault in Open MPI's finalize: $where"
        (cd "$WORK" && timeout -k 5 "$TEST_TIMEOUT" bash -c "$run") >"$TMP/run.out" 2>"$TMP/run.err"
        rc=$?
    fi
    if { [ $expect = 0 ] && [ $rc != 0 ]; } || { [ $expect = 1 ] && { [ $rc = 0 ] || [ $rc = 124 ]; }; }; then
        not_ok "$where: '$cmd' exits $rc (expected $([ $expect = 0 ] && echo 0 || echo 'an error'))"
        grep -v '^ *$' "$TMP/run.err" | head -n 3 | sed 's/^/#   /'
        continue
    fi
    # wordcount on the corpus is deterministic: its transcripts must match line for line
    if [ "$kind" = tx ] && [ $expect = 0 ] && [[ $cmd == *build/bin/wordcount* && $cmd != *--timing* && $cmd != *--verbose* ]]; then
        sed "s|/work/shared/data/t8.shakespeare.txt|$corpus|g" "$TMP/out/$id" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$TMP/want"
        sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$TMP/run.out" >"$TMP/got"
        same_file "$where: '$cmd' prints what the page shows" "$TMP/want" "$TMP/got"
        continue
    fi
    ok "$where: $cmd"
done
finish
