#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor_image (python/) against alibi's own AnchorImage, same PyTorch predictor, the
# tutorial's explain call: identical explanations, wall-clock ratio, our Python cost per call.
# alibi is not packaged: point ALIBI_SRC at a checkout of github.com/SeldonIO/alibi (0.9.x;
# the fixtures used 2b9f206). It runs from there with Debian's packages; spaCy, which
# AnchorImage never uses, is replaced by an import-only stub in a temporary folder.
# usage: bench_python.sh BUILD/anchor SHARED_DIR
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${ALIBI_SRC:-}" ] || [ ! -f "$ALIBI_SRC/alibi/explainers/anchors/anchor_image.py" ]; then
  echo "bench_python: set ALIBI_SRC to a checkout of SeldonIO/alibi (skipped)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/spacy"
echo "# import-only stub: AnchorImage never uses spaCy" > "$work/spacy/__init__.py"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
ANCHOR_LIBRARY="$(dirname "$bin")/libanchor.so.0" PYTHONPATH="$work" \
  /usr/bin/python3 "$here/bench_python.py" "$(readlink -f "$ALIBI_SRC")" "$shared"
