#!/usr/bin/env bash
# scripts/fetch-corpus.sh [DIR] - download t8.shakespeare.txt (Project Gutenberg Etext #100,
# as used by MIT 6.006) into DIR (default data/) and verify its SHA-256. Never committed.
set -euo pipefail
dir=${1:-data}
want=c5601d266987ac885ca96522b1b4e439feb7eca39f0fe1111f7342b63b6468f3
out=$dir/t8.shakespeare.txt
mkdir -p "$dir"
if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$want" ]; then
    echo "fetch-corpus: $out already present and verified"
    exit 0
fi
urls=(
    "https://ocw.mit.edu/courses/6-006-introduction-to-algorithms-fall-2011/d9a3ac0a0ac33df5b91aa0b6c5d66a1f_t8.shakespeare.txt"
    "https://courses.csail.mit.edu/6.006/fall11/psets/ps6/t8.shakespeare.txt"
)
tmp=$(mktemp "$dir/.t8.XXXXXX")
trap 'rm -f "$tmp"' EXIT
download() {
    if command -v curl >/dev/null; then
        curl -fsSL --max-time 60 -o "$2" "$1" 2>/dev/null
    elif command -v wget >/dev/null; then
        wget -q -T 60 -O "$2" "$1" 2>/dev/null
    else
        return 1
    fi
}
for u in "${urls[@]}"; do
    if download "$u" "$tmp"; then
        if [ "$(sha256sum "$tmp" | cut -d' ' -f1)" = "$want" ]; then
            mv "$tmp" "$out"
            echo "fetch-corpus: downloaded and verified $out"
            exit 0
        fi
        echo "fetch-corpus: $u: content differs from the expected file (sha256), not used" >&2
    fi
done
echo "fetch-corpus: could not download t8.shakespeare.txt (offline?). Put a copy in $dir/ or set" >&2
echo "fetch-corpus: CORPUS=/path/to/t8.shakespeare.txt; expected sha256 $want" >&2
exit 1
