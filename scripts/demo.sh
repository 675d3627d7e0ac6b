#!/usr/bin/env bash
# make demo: segment the demo photo and write the pictures (the explainer and the model
# run join this as their issues land).
set -euo pipefail
bin=$1 image=$2 model=$3 out=$4
if [ ! -f "$image" ]; then
  echo "make demo needs a photo: $image is missing." >&2
  echo "Put the shared data folder beside this repo (../shared), or point ANCHOR_IMAGE=path/to/photo.png" >&2
  echo "and ANCHOR_MODEL=path/to/model.onnx at your own files: make demo ANCHOR_IMAGE=... ANCHOR_MODEL=..." >&2
  exit 1
fi
mkdir -p "$out"
"$bin" segment "$image" --resize 299x299 -o "$out/segments.npy" --png "$out/segments.png"
echo "wrote $out/segments.npy and $out/segments.png"
