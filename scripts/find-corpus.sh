#!/usr/bin/env bash
# scripts/find-corpus.sh - print the path of the Shakespeare corpus, or exit 1.
# Lookup order: $CORPUS, then $MPIKIT_DATA/t8.shakespeare.txt, then data/t8.shakespeare.txt.
root=$(cd "$(dirname "$0")/.." && pwd)
for f in "${CORPUS:-}" "${MPIKIT_DATA:+$MPIKIT_DATA/t8.shakespeare.txt}" "$root/data/t8.shakespeare.txt"; do
    if [ -n "$f" ] && [ -f "$f" ]; then
        echo "$f"
        exit 0
    fi
done
exit 1
