# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034
# Shared set-up of the segmenter benchmarks (bench_segmenters.sh, bench_slic.sh), sourced
# with the script's arguments:  . "$(dirname "$0")/common.sh" BUILD/anchor SHARED_DIR
# Sets bin, shared, here (bench/), build (the anchor binary's folder), src (repo root),
# py (Debian's python3), runs (BENCH_RUNS, default 5) and work (a temporary folder removed
# on exit), pins numpy/BLAS to one thread, and defines bench_driver and bench_min.
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(dirname "$bin") src=$(cd "$here/.." && pwd)
py=/usr/bin/python3
runs=${BENCH_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# bench_driver NAME: compiles bench/NAME.c against the libanchor.a beside the anchor binary
# into $work/driver.
bench_driver() {
  # shellcheck disable=SC2046
  cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/$1.c" \
    "$build/libanchor.a" $(pkg-config --libs libpng libjpeg libcjson zlib) -lm -lpthread -o "$work/driver"
}

# bench_min A B: the smaller of two times
bench_min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'; }
