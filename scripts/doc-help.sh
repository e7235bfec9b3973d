#!/usr/bin/env bash
# scripts/doc-help.sh [--check] [FILE.md...] - keep the `--help` transcripts in the docs equal to
# the programs' own output. A transcript is a fenced block line `$ build/bin/JOB --help`; the lines
# after it, up to the closing fence, are replaced by what `build/bin/JOB --help` prints now.
# --check only compares, prints the first difference per block, and exits 1 when any differs.
# Default files: README.md, docs/*.md, lessons/*/README.md. BUILD (default build) picks the binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
files=("$@")
if [ ${#files[@]} = 0 ]; then
    files=("$root/README.md" "$root"/docs/*.md "$root"/lessons/*/README.md)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0 blocks=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    grep -q '^\$ build/bin/[a-z0-9_]* --help$' "$f" || continue
    out=$tmp/new.md
    : >"$out"
    job="" infence=0
    while IFS= read -r line || [ -n "$line" ]; do
        if [ -n "$job" ]; then
            if [[ $line == '```'* ]]; then
                "$build/bin/$job" --help >"$tmp/want" 2>&1 || true
                blocks=$((blocks + 1))
                if [ $check = 1 ] && ! cmp -s "$tmp/want" "$tmp/have"; then
                    echo "doc-help: ${f#"$root"/}: 'build/bin/$job --help' differs from the binary:"
                    diff "$tmp/have" "$tmp/want" | head -n 6 | sed 's/^/    /'
                    status=1
                fi
                cat "$tmp/want" >>"$out"
                echo "$line" >>"$out"
                job=""
                infence=0
                continue
            fi
            echo "$line" >>"$tmp/have"
            continue
        fi
        echo "$line" >>"$out"
        if [[ $line == '```'* ]]; then infence=$((1 - infence)); continue; fi
        if [ $infence = 1 ] && [[ $line =~ ^\$\ build/bin/([a-z0-9_]+)\ --help$ ]]; then
            job=${BASH_REMATCH[1]}
            : >"$tmp/have"
        fi
    done <"$f"
    if [ $check = 0 ] && ! cmp -s "$out" "$f"; then
        cp "$out" "$f"
        echo "doc-help: updated ${f#"$root"/}"
    fi
done
[ $check = 1 ] && [ $status = 0 ] && echo "doc-help: $blocks --help transcript(s) match the binaries"
exit $status
