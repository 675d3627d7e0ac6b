#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/python/tutorial.py with the shared SqueezeNet through the built-in engine: the
# model sees "285 Egyptian cat" (PyTorch's recorded top 1, models/reference/top5.txt) and
# the explanation is the CLI's documented one (README: anchor [1, 0], coverage 0.2472).
set -uo pipefail
src=${ANCHOR_SOURCE:?} shared=${ANCHOR_SHARED:?}
model=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
if [ ! -f "$model" ]; then
    echo "python_tutorial: $model is absent (skipped)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(/usr/bin/python3 "$src/examples/python/tutorial.py" "$shared/images/chelsea.png" --onnx "$model" \
      --preprocess raw-bgr --out "$tmp/out" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "^ *285 Egyptian cat" <<<"$out" || { echo "FAIL: top 1 is not 285 Egyptian cat"; exit 1; }
grep -q "^anchor: superpixels \[1, 0\]" <<<"$out" || { echo "FAIL: anchor is not [1, 0]"; exit 1; }
grep -q "coverage: 0.2472 " <<<"$out" || { echo "FAIL: coverage is not 0.2472"; exit 1; }
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    [ -s "$tmp/out/anchor.png" ] && [ -s "$tmp/out/segments.png" ] || { echo "FAIL: pictures missing"; exit 1; }
fi
