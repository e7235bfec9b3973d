#!/usr/bin/env bash
# scripts/install-deps.sh [--check] [GROUP...] - install the Debian packages mpikit needs.
# Groups: build (default: compiler, Open MPI, parallel HDF5, cmocka, help2man), test (tools the
# tests call), slurm, bench, plot, check (fuzzers, static analysis, valgrind), all. Uses sudo when not root; when it cannot install,
# prints the exact apt-get line to run and exits 1. --check only reports what is missing.
set -euo pipefail

packages_of() {
    case $1 in
    build) echo make gcc libc6-dev pkg-config openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools libcmocka-dev help2man ;;
    test) echo coreutils diffutils grep sed mawk findutils util-linux procps libsimgrid-dev ;;
    slurm) echo slurmctld slurmd slurm-client munge ;;
    bench) echo time python3 python3-numpy python3-mpi4py python3-pandas python3-dask hyperfine ;;
    check) echo clang libclang-rt-14-dev clang-tidy cppcheck shellcheck valgrind ;;
    plot) echo gnuplot-nox ;;
    esac
}

check_only=0
groups=()
for a in "$@"; do
    case $a in
    --check) check_only=1 ;;
    -h | --help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    build | test | slurm | bench | plot | check) groups+=("$a") ;;
    all) groups+=(build test slurm bench plot check) ;;
    *) echo "install-deps.sh: unknown group '$a' (build, test, slurm, bench, plot, check, all)" >&2; exit 2 ;;
    esac
done
[ ${#groups[@]} -gt 0 ] || groups=(build)

wanted=()
for g in "${groups[@]}"; do
    read -r -a ps <<<"$(packages_of "$g")"
    wanted+=("${ps[@]}")
done

missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} = 0 ]; then
    echo "install-deps: all packages present (${groups[*]})"
    exit 0
fi
install=(apt-get install -y --no-install-recommends "${missing[@]}")
line="${install[*]}"
if [ $check_only = 1 ]; then
    echo "install-deps: missing: ${missing[*]}"
    echo "install-deps: to install: sudo $line"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install these packages (Debian names): ${missing[*]}" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "install-deps: missing packages and no root or password-less sudo; run:" >&2
    echo "    sudo apt-get update && sudo $line" >&2
    exit 1
fi
echo "install-deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" "${install[@]}"; }; then
    echo "install-deps: apt-get failed; run by hand:" >&2
    echo "    sudo apt-get update && sudo $line" >&2
    exit 1
fi
