#!/usr/bin/env bash
# scripts/lint.sh [cppcheck|clang-tidy|shellcheck...] - static analysis, every finding fails.
#   - cppcheck: src/ jobs/ tests/**/*.c, warning, performance, portability (inline suppressions)
#   - clang-tidy: the same files with the checked-in .clang-tidy (bugprone, cert, clang-analyzer)
#   - shellcheck: every shell script in the repository (*.sh, *.sbatch, a sh/bash shebang)
# Files are discovered, so new ones are covered. One summary line per tool; exit 1 on any
# finding or missing tool. LINT_JOBS (default 2) processes of each tool run at once (cppcheck -j,
# clang-tidy and shellcheck through xargs -P); each tool's time is printed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
JOBS=${LINT_JOBS:-2}
export LC_ALL=C

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(cppcheck clang-tidy shellcheck)

# The C sources and the flags the Makefile compiles them with (minus warnings and codegen).
mapfile -t c_files < <(find src jobs tests fuzz -name '*.c' -type f 2>/dev/null | sort)
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
read -r -a sys_inc <<<"$(pkg-config --cflags hdf5-openmpi) $(mpicc --showme:compile 2>/dev/null) $(pkg-config --cflags cmocka)"
defines=(-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 "-DMK_VERSION=\"$version\"")

# Shell scripts: by name, or by a sh/bash shebang (e.g. .ci/run); build/ and data/ are not ours.
shell_files() {
    local f
    find . \( -name .git -o -path ./build -o -path ./data \) -prune -o -type f -print | sed 's|^\./||' | sort |
        while IFS= read -r f; do
            case ${f##*/} in
            *.sh | *.sbatch) echo "$f" ;;
            *.*) ;;
            *) head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*[/ ](ba)?sh( |$)' && echo "$f" ;;
            esac
        done
}

status=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
missing() { echo "$1: not installed (scripts/install-deps.sh check)"; status=1; }

run_cppcheck() {
    command -v cppcheck >/dev/null || { missing cppcheck; return; }
    local inc=() i
    for i in "${sys_inc[@]}"; do [[ $i == -I* ]] && inc+=("$i"); done
    # readdirCalled: it recommends readdir_r, which glibc deprecates; readdir on a stream
    # that one thread owns is safe (src/walk.c opens one DIR per directory and thread).
    cppcheck -j "$JOBS" --quiet --suppress=readdirCalled --std=c11 --library=posix,gnu --enable=warning,performance,portability \
        --inline-suppr --error-exitcode=1 --template=gcc "${defines[@]}" -Iinclude "${inc[@]}" \
        "${c_files[@]}" >"$out/cppcheck" 2>&1
    local rc=$? n
    n=$(grep -cE '^[^ ].*:[0-9]+:[0-9]+: (error|warning|style|performance|portability):' "$out/cppcheck")
    [ "$rc" != 0 ] && [ "$n" = 0 ] && n=1
    cat "$out/cppcheck"
    echo "cppcheck $(cppcheck --version | awk '{ print $2 }'): ${#c_files[@]} files, $n findings"
    [ "$n" = 0 ] || status=1
}

run_clang_tidy() {
    local tidy
    tidy=$(command -v clang-tidy || command -v clang-tidy-14) || { missing clang-tidy; return; }
    mkdir -p "$out/tidy"
    # One process per file, JOBS at once; a file's report lands in $out/tidy/<path with _>.
    export TIDY=$tidy TIDY_OUT=$out/tidy
    # shellcheck disable=SC2016 # the single-quoted script expands its own arguments
    printf '%s\0' "${c_files[@]}" | xargs -0 -P "$JOBS" -I{} bash -c '
        f=$1; shift
        "$TIDY" --quiet "$f" -- "$@" >"$TIDY_OUT/${f//\//_}" 2>&1 || echo "$f" >>"$TIDY_OUT/${f//\//_}.failed"' \
        _ {} -std=c11 "${defines[@]}" -Iinclude "${sys_inc[@]}"
    local n bad
    cat "$out"/tidy/*.c 2>/dev/null | grep -v -E '^[0-9]+ (warnings?|errors?) (generated|treated as errors)|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing|^Use -system-headers' >"$out/clang-tidy"
    n=$(grep -cE '^[^ ].*:[0-9]+:[0-9]+: (error|warning):' "$out/clang-tidy")
    bad=$(cat "$out"/tidy/*.failed 2>/dev/null | wc -l)
    [ "$bad" != 0 ] && [ "$n" = 0 ] && n=$bad
    cat "$out/clang-tidy"
    echo "clang-tidy $("$tidy" --version | awk '/LLVM version/ { print $NF }'): ${#c_files[@]} files, $n findings"
    [ "$n" = 0 ] && [ "$bad" = 0 ] || status=1
}

run_shellcheck() {
    command -v shellcheck >/dev/null || { missing shellcheck; return; }
    local files n
    mapfile -t files < <(shell_files)
    # -x follows "source" (tests/lib.sh); the default severity includes style and info notes.
    # JOBS processes of 8 scripts each (xargs exits 123 when any of them found something).
    printf '%s\0' "${files[@]}" | xargs -0 -P "$JOBS" -n 8 shellcheck -x -f gcc >"$out/shellcheck" 2>&1
    local rc=$?
    n=$(grep -cE ':[0-9]+:[0-9]+: (error|warning|note|style|info):' "$out/shellcheck")
    [ "$rc" != 0 ] && [ "$n" = 0 ] && n=1
    cat "$out/shellcheck"
    echo "shellcheck $(shellcheck --version | awk '/^version:/ { print $2 }'): ${#files[@]} scripts, $n findings"
    [ "$n" = 0 ] || status=1
}

for t in "${tools[@]}"; do
    start=$EPOCHREALTIME
    case $t in
    cppcheck) run_cppcheck ;;
    clang-tidy) run_clang_tidy ;;
    shellcheck) run_shellcheck ;;
    *) echo "lint.sh: unknown tool '$t' (cppcheck, clang-tidy, shellcheck)" >&2; exit 2 ;;
    esac
    echo "lint: $t took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
done
exit $status
