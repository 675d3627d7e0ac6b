#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: the seed's flow. A real ImageNet SqueezeNet names what it sees in a photo (top 5),
# then anchor explains that prediction the way alibi's AnchorImage would (threshold 0.9,
# p_sample 0.5, alibi's slic defaults, seed 0) and writes the pictures.
set -euo pipefail
bin=$1 image=$2 model=$3 out=$4
labels=$(dirname "$model")/imagenet_labels_1000.txt
for f in "$image" "$model"; do
  if [ ! -f "$f" ]; then
    echo "make demo needs $f, which is missing." >&2
    echo "It uses ../shared/images/chelsea.png and ../shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx" >&2
    echo "(an ImageNet SqueezeNet 1.1 taking 224x224 BGR 0..255). Put the shared data folder beside this" >&2
    echo "repo, or point to your own files: make demo ANCHOR_IMAGE=photo.jpg ANCHOR_MODEL=model.onnx" >&2
    exit 1
  fi
done
label_args=()
[ -f "$labels" ] && label_args=(--labels "$labels")
echo "== what the model sees: anchor predict"
"$bin" predict "$image" --model "$model" --preprocess raw-bgr "${label_args[@]}" --top 5
echo
echo "== why: anchor explain"
"$bin" explain "$image" --model "$model" --preprocess raw-bgr --threshold 0.9 --p-sample 0.5 --seed 0 -o "$out"
echo
echo "Look at $out/overlay.png (the anchor outlined on the photo), $out/anchor.png (alibi's picture:"
echo "black outside the anchor), $out/segments.png, and $out/explanation.json."
