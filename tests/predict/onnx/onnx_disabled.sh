#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A build without the ONNX engine (-DANCHOR_WITH_ONNX=OFF): `anchor explain --model` and
# `anchor predict --model` exit 1 with one line saying so and write nothing, the pipe
# predictor still explains, and neither the CLI nor libanchor.so links oneDNN, OpenMP or
# protobuf-c. Env: ANCHOR_BIN (the CLI), ANCHOR_SOURCE (the repo).
set -u
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?}
want="this build of anchor has no ONNX support (built with -DANCHOR_WITH_ONNX=OFF)"
work=$(mktemp -d /tmp/anchor_no_onnx.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

/usr/bin/python3 - "$work" "$src/tests/cli" <<'PY' || exit 1
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pngio import write_png
y, x = np.mgrid[0:48, 0:64]
write_png(f"{sys.argv[1]}/photo.png", np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8))
np.save(f"{sys.argv[1]}/labels.npy", ((y >= 24) * 2 + (x >= 32)).astype(np.int32))
PY
printf 'not a model\n' >"$work/m.onnx"

"$bin" explain "$work/photo.png" --model "$work/m.onnx" -o "$work/out" >"$work/o" 2>"$work/e"; rc=$?
check "explain --model: exit 1, one line naming the build" \
  '[ $rc -eq 1 ] && grep -qF -- "$want" "$work/e" && [ "$(grep -c "" "$work/e")" -eq 1 ] && [ ! -e "$work/out" ]'
"$bin" predict "$work/photo.png" --model "$work/m.onnx" >"$work/o" 2>"$work/e"; rc=$?
check "predict --model: exit 1, one line naming the build" \
  '[ $rc -eq 1 ] && grep -qF -- "$want" "$work/e" && [ "$(grep -c "" "$work/e")" -eq 1 ] && [ ! -s "$work/o" ]'
"$bin" explain "$work/photo.png" --segments "$work/labels.npy" \
  --predict-cmd "/usr/bin/python3 $src/tests/predict/fake_predictor.py ok" -o "$work/out" >"$work/o" 2>"$work/e"; rc=$?
check "explain --predict-cmd still works" '[ $rc -eq 0 ] && [ -f "$work/out/explanation.json" ]'
for f in "$bin" "$(dirname "$bin")/libanchor.so"; do
  [ -f "$f" ] || continue
  check "$(basename "$f") links no ONNX dependency" '! ldd "$f" | grep -E "dnnl|gomp|omp\.so|protobuf-c" >/dev/null'
done
exit $fail
