#!/usr/bin/env bash
# scripts/find-corpus.sh [NAME] - print the path of a corpus file (default the Shakespeare corpus
# t8.shakespeare.txt), or exit 1. Lookup order: $CORPUS, $MPIKIT_DATA/NAME, data/NAME, then
# ../shared/data/NAME (scripts/mpikit-env.sh).
# shellcheck source=scripts/mpikit-env.sh
. "$(dirname "$0")/mpikit-env.sh"
mpikit_find_corpus "${1:-t8.shakespeare.txt}"
