#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seeds for fuzz_onnx_load: the small ONNX fixtures (tests/fixtures/onnx) and, when Debian's
# python3-onnx and torch are there, the hand-made hostile files of tools/make_onnx_hostile.py,
# the indexing cases of tools/make_onnx_index.py (torch exports with shape subgraphs) and the
# operator cases of tools/make_onnx_norm.py (normalisations, attention, Resize).
# Usage: fuzz/onnx_corpus.sh DIR   (DIR is created; nothing is committed)
set -eu
dir=${1:?usage: onnx_corpus.sh DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
for f in "$src"/tests/fixtures/onnx/*.onnx; do
  [ "$(stat -c %s "$f")" -le 200000 ] && cp "$f" "$dir/"
done
if /usr/bin/python3 -c 'import onnx, torch' 2>/dev/null; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 "$src/tools/make_onnx_hostile.py" "$tmp" >/dev/null
  for f in "$tmp"/*.onnx; do cp "$f" "$dir/hostile_$(basename "$f")"; done
  mkdir "$tmp/index"
  /usr/bin/python3 "$src/tools/make_onnx_index.py" "$tmp/index" >/dev/null 2>&1
  for f in "$tmp"/index/*.onnx; do
    [ "$(stat -c %s "$f")" -le 200000 ] && cp "$f" "$dir/index_$(basename "$f")"
  done
  /usr/bin/python3 "$src/tools/make_onnx_norm.py" "$tmp/norm" >/dev/null
  for f in "$tmp"/norm/*.onnx; do
    [ "$(stat -c %s "$f")" -le 200000 ] && cp "$f" "$dir/norm_$(basename "$f")"
  done
fi
echo "$(ls "$dir" | wc -l) seeds in $dir"
