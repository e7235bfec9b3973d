#!/usr/bin/env bash
# scripts/man-page.sh PROGRAM NAME OUT - write OUT, the man page of the built PROGRAM installed
# as NAME (make install: build/bin/hello -> mpikit-hello), with help2man from PROGRAM's own
# --help and --version; its NAME line is the first sentence of the help's summary.
set -euo pipefail
if [ $# != 3 ]; then
    echo "usage: scripts/man-page.sh PROGRAM NAME OUT" >&2
    exit 2
fi
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$2 out=$3 short=${1##*/}
if ! command -v help2man >/dev/null 2>&1; then
    echo "man-page.sh: help2man is not installed (scripts/install-deps.sh build installs it)" >&2
    exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$out.tmp"' EXIT
# PROGRAM's texts, read once (each run starts MPI). help2man names the page after the program it
# runs and reads "Usage:" as the synopsis: it runs a wrapper called NAME that prints those texts
# with the installed name where a user types it.
"$prog" --help >"$dir/help"
"$prog" --version >"$dir/version"
cat >"$dir/$name" <<WRAP
#!/bin/sh
case \$1 in --help) text=help ;; --version) text=version ;; *) exit 2 ;; esac
sed -e 's/^usage: $short /Usage: $name /' -e 's/^$short (/$name (/' \\
    -e 's/\\(mpirun -n [0-9]* \\(--oversubscribe \\)\\{0,1\\}\\)$short /\\1$name /g' "$dir/\$text"
WRAP
chmod 0755 "$dir/$name"
# The summary is the paragraph after the usage line; its first sentence names the page.
what=$(awk 'NR >= 3 && /^$/ { exit } NR >= 3 { printf "%s%s", sep, $0; sep = " " }' "$dir/help" |
    sed -e 's/\. .*//' -e 's/\.$//')
printf '[SEE ALSO]\nmpirun(1). mpikit: the README and docs/ of its source tree.\n' >"$dir/see-also.h2m"
help2man --no-info --section 1 --manual "mpikit manual" --name "$what" \
    --include "$dir/see-also.h2m" --output "$out.tmp" "$dir/$name"
mv "$out.tmp" "$out"
