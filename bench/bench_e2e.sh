#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: `anchor explain --model` with the shared SqueezeNet and the seed's call
# (threshold 0.9, p_sample 0.5, alibi's slic defaults, seed 0, 224x224) on three photos,
# against alibi + PyTorch as measured on this machine kind (issue 4: 121 s, 10.8 s and
# 140 s, 1801 / 301 / 2301 model images, anchors [1, 0], [3] and [1, 0, 2]).
# alibi cannot be run here (no PyPI), so its times are the recorded ones.
# usage: bench/bench_e2e.sh ANCHOR_BIN SHARED   (env BENCH_REPEAT, default 3: best of)
set -euo pipefail
bin=$1 shared=$2 repeat=${BENCH_REPEAT:-3}
model=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %-10s %-10s %10s %10s %9s %14s\n' photo anchor alibi ours_s alibi_s ratio model_images
for spec in "chelsea:[1, 0]:121" "coffee:[3]:10.8" "astronaut:[1, 0, 2]:140"; do
  IFS=: read -r photo want alibi_s <<<"$spec"
  best=""
  for ((r = 0; r < repeat; r++)); do
    rm -rf "$tmp/out"
    start=$(date +%s.%N)
    "$bin" explain "$shared/images/$photo.png" --model "$model" --preprocess raw-bgr \
      --threshold 0.9 --p-sample 0.5 --seed 0 -o "$tmp/out" > "$tmp/stdout"
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    best=$(awk -v t="$t" -v b="$best" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  got=$(sed -n 's/^anchor: \(\[[^]]*\]\).*/\1/p' "$tmp/stdout")
  sent=$(sed -n 's/^images sent to the model: \([0-9]*\) (\([0-9]*\) sampled.*/\1 of \2/p' "$tmp/stdout")
  same=$([ "$got" = "$want" ] && echo same || echo "DIFFERS($want)")
  printf '%-10s %-10s %-10s %10.3f %10s %8.1fx %14s\n' "$photo" "$got" "$same" "$best" "$alibi_s" \
    "$(awk -v a="$alibi_s" -v b="$best" 'BEGIN { print a / b }')" "$sent"
done
echo "(target: >= 50x faster than alibi with the same anchors)"
