#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quickshift and felzenszwalb: ours (one thread) against Debian's scikit-image 0.19.3 on
# the same inputs (chelsea resized to 299 x 299 and astronaut to 1000 x 1000 by Pillow),
# best CPU time of N runs each (the machine may be shared; both sides are single-threaded),
# the ratio skimage / ours, and the share of identical labels. numpy is run as it is
# installed: on AVX-512 machines its SVML pow/cbrt make rgb2lab differ from libm's in the
# last bit, which can move a few quickshift labels (tools/make_segment_fixtures.py).
#   bash bench/bench_segmenters.sh BUILD/anchor SHARED_DIR
# The C driver (bench_segmenters.c) is compiled here against the libanchor.a beside the
# anchor binary. BENCH_RUNS (default 5) sets N for the small image; the large one runs once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
bench_driver bench_segmenters
"$py" "$here/bench_segmenters.py" prepare "$shared" "$work"

printf '%-13s %-14s %-36s %10s %10s %7s %-11s %s\n' method image params skimage_s ours_s ratio "K(sk/ours)" identical
while read -r method image n params; do
  [ -z "$method" ] && continue
  [ "$n" = N ] && n=$runs
  # shellcheck disable=SC2086
  read -r ts ks < <(BENCH_LABELS="$work/sk.npy" "$py" "$here/bench_segmenters.py" run "$method" "$work/$image.npy" "$n" $params)
  # shellcheck disable=SC2086
  read -r to ko < <(BENCH_LABELS="$work/ours.npy" "$work/driver" "$method" "$work/$image.npy" "$n" $params)
  same=$("$py" "$here/bench_segmenters.py" compare "$work/sk.npy" "$work/ours.npy")
  ratio=$(awk -v a="$ts" -v b="$to" 'BEGIN { printf "%.1f", a / b }')
  printf '%-13s %-14s %-36s %10.4f %10.4f %6sx %-11s %s%%\n' "$method" "$image" "${params:-defaults}" "$ts" "$to" "$ratio" "$ks/$ko" "$same"
done <<'CASES'
quickshift   chelsea299    N
quickshift   chelsea299    N kernel_size=4 max_dist=200 ratio=0.2
felzenszwalb chelsea299    N
felzenszwalb chelsea299    N scale=100 sigma=0.5 min_size=50
quickshift   astronaut1000 1
quickshift   astronaut1000 1 kernel_size=4 max_dist=200 ratio=0.2
felzenszwalb astronaut1000 1
felzenszwalb astronaut1000 1 scale=100 sigma=0.5 min_size=50
CASES
