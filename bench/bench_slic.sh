#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SLIC: ours (one thread) against Debian's scikit-image 0.19.3 slic with identical
# parameters on the same pixels (chelsea resized to 299 x 299 and astronaut to
# 1000 x 1000 by Pillow, uint8, plus a float32 variant), and the ratio skimage / ours.
#   bash bench/bench_slic.sh BUILD/anchor SHARED_DIR
# Both sides time the segmentation call only, in-process, as CPU time (best of N runs
# after a warm-up; Python start-up, imports and file loading are not timed). The C driver
# (bench_slic.c) is compiled here against the libanchor.a beside the anchor binary.
# BENCH_RUNS (default 5) sets N for the 299 x 299 image (2 for 1000 x 1000); the two
# sides alternate BENCH_ROUNDS (default 3) times per case, so that background load on a
# shared machine hits both alike, and each side's best time is kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
rounds=${BENCH_ROUNDS:-3}
bench_driver bench_slic
"$py" "$here/bench_slic.py" prepare "$shared" "$work"

printf '%-18s %-44s %10s %10s %8s %s\n' image params skimage_cpu_s ours_cpu_s ratio "K(skimage/ours)"
total_s=0 total_o=0
while read -r image n params; do
  [ -z "$image" ] && continue
  [ "$n" = N ] && n=$runs
  # alternate the two sides for $rounds rounds and keep each side's best, so that a burst
  # of background load does not land on one side only
  ts=1e9 to=1e9
  for ((r = 0; r < rounds; r++)); do
    # shellcheck disable=SC2086
    read -r t ks < <("$py" "$here/bench_slic.py" run "$work/$image.npy" "$n" $params)
    ts=$(bench_min "$ts" "$t")
    # shellcheck disable=SC2086
    read -r t ko < <("$work/driver" "$work/$image.npy" "$n" $params)
    to=$(bench_min "$to" "$t")
  done
  ratio=$(awk -v a="$ts" -v b="$to" 'BEGIN { printf "%.1f", a / b }')
  total_s=$(awk -v a="$total_s" -v b="$ts" 'BEGIN { print a + b }')
  total_o=$(awk -v a="$total_o" -v b="$to" 'BEGIN { print a + b }')
  printf '%-18s %-44s %10.4f %10.4f %7sx %s/%s\n' "$image" "${params:-alibi defaults}" "$ts" "$to" "$ratio" "$ks" "$ko"
  [ "$ks" = "$ko" ] || echo "  warning: K differs ($ks vs $ko)"
done <<'CASES'
chelsea299        N
chelsea299        N n_segments=15 compactness=20 sigma=0.5
chelsea299        N n_segments=50 sigma=0.5 start_label=0
chelsea299        N n_segments=100
chelsea299        N n_segments=30 slic_zero=true
chelsea299_f32    N
astronaut1000     2
astronaut1000     2 n_segments=100
astronaut1000     2 n_segments=1000 sigma=0.5
astronaut1000_f32 2
CASES
awk -v a="$total_s" -v b="$total_o" 'BEGIN { printf "all cases: skimage %.3f s, ours %.3f s, ratio %.1fx\n", a, b, a / b }'
