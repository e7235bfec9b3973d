#!/usr/bin/env bash
# scripts/fn-lengths.sh [FILE...] - every function's length in lines (its header line to its
# closing brace), longest first, as "LINES FILE:LINE NAME". Default files: jobs/*.c src/*.c.
# Relies on the project style: a function's body opens with "{" and closes with "}" in column 1.
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(jobs/*.c src/*.c)
awk '
    FNR == 1 { head = ""; start = 0; inside = 0 }
    !inside && /^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ {
        head = $0; start = FNR
    }
    !inside && /^\{/ && start > 0 { inside = 1 }
    inside && /^\}/ {
        name = head
        sub(/\(.*/, "", name)
        n = split(name, parts, /[ *]+/)
        printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, start, parts[n]
        inside = 0; start = 0
    }
' "${files[@]}" | sort -k1,1nr -k2,2
