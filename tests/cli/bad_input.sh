#!/usr/bin/env bash
# anchor explain on bad input: every case must exit non-zero with a message naming the
# problem, and leave neither OUTDIR nor a temporary OUTDIR.tmp.* behind.
# Env: ANCHOR_BIN (the CLI), ANCHOR_SOURCE (repo root). Needs /usr/bin/python3 + numpy.
set -u
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?}
fake="/usr/bin/python3 $src/tests/predict/fake_predictor.py"
work=$(mktemp -d /tmp/anchor_bad_input.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# a small photo (64 x 48, RGB), its 4-superpixel label map, and mismatching inputs
/usr/bin/python3 - "$work" "$src/tests/cli" <<'PY' || exit 1
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pngio import write_png
w = sys.argv[1]
y, x = np.mgrid[0:48, 0:64]
img = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)
write_png(f"{w}/photo.png", img)
np.save(f"{w}/labels.npy", ((y >= 24) * 2 + (x >= 32)).astype(np.int32))
np.save(f"{w}/labels_small.npy", np.zeros((10, 10), np.int32))
np.save(f"{w}/bg_ok.npy", np.zeros((2, 48, 64, 3), np.uint8))
np.save(f"{w}/bg_wrong.npy", np.zeros((2, 48, 60, 3), np.uint8))
np.save(f"{w}/bg_gray.npy", np.zeros((48, 64, 1), np.uint8))
np.save(f"{w}/float64.npy", np.zeros((48, 64, 3), np.float64))
PY

# expect STATUS NEEDLE -- anchor explain args...: exit status STATUS (or "nz" for any
# non-zero), NEEDLE in stderr, and no $work/out* left behind.
expect() {
  local want=$1 needle=$2
  shift 3
  rm -rf "$work"/out "$work"/out.tmp.*
  local t0=$SECONDS
  "$bin" explain "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  local msg
  msg=$(cat "$work/stderr")
  local ok=1
  if [ "$want" = nz ]; then [ $rc -ne 0 ] || ok=0; else [ $rc -eq "$want" ] || ok=0; fi
  grep -qF -- "$needle" "$work/stderr" || ok=0
  [ "$(grep -c '' "$work/stderr")" -eq 1 ] || ok=0 # one line
  compgen -G "$work/out*" >/dev/null && ok=0
  [ $((SECONDS - t0)) -le 20 ] || ok=0
  if [ $ok = 1 ]; then
    pass=$((pass + 1))
    echo "ok   [$rc] $msg"
  else
    fail=$((fail + 1))
    echo "FAIL want exit $want and '$needle'; got exit $rc, stderr: $msg; left: $(ls -d "$work"/out* 2>/dev/null)"
  fi
}

img="$work/photo.png" seg="--segments $work/labels.npy" out="-o $work/out"
# a working run first, so the failures below are not an artefact of the setup
if "$bin" explain $img $seg --predict-cmd "$fake ok" $out >/dev/null 2>"$work/stderr" && [ -f "$work/out/explanation.json" ]; then
  pass=$((pass + 1)); echo "ok   a good run writes OUTDIR"
else
  fail=$((fail + 1)); echo "FAIL the good run: $(cat "$work/stderr")"
fi
# ... and replacing an earlier explanation works
if "$bin" explain $img $seg --predict-cmd "$fake labels" $out >/dev/null 2>&1 && [ -f "$work/out/anchor.png" ] &&
  ! compgen -G "$work/out.*" >/dev/null; then
  pass=$((pass + 1)); echo "ok   a second run replaces OUTDIR"
else
  fail=$((fail + 1)); echo "FAIL a second run did not replace OUTDIR"
fi
rm -rf "$work/out"

# the classifier program
expect 1 "127 (command not found)" -- $img $seg --predict-cmd "/nonexistent/predictor --x" $out
expect 1 "exited with status 3" -- $img $seg --predict-cmd "$fake crash" $out
expect 1 "ValueError: boom in the model" -- $img $seg --predict-cmd "$fake crash" $out
expect 1 "killed by signal 11" -- $img $seg --predict-cmd "$fake segv" $out
expect 1 "did not answer request 1 within 1 s" -- $img $seg --predict-cmd "$fake hang" --predict-timeout 1 $out
expect 1 "did not answer request 2 within 1 s" -- $img $seg --predict-cmd "$fake hang-later" --predict-timeout 1 $out
expect 1 "answered 2 rows to request 1 of 1 images" -- $img $seg --predict-cmd "$fake wrong-n" $out
expect 1 "shape (1, 3, 1)" -- $img $seg --predict-cmd "$fake wrong-shape" $out
expect 1 "dtype int64 and shape (1, 3)" -- $img $seg --predict-cmd "$fake int-scores" $out
expect 1 "non-finite score" -- $img $seg --predict-cmd "$fake nan" $out
expect 1 "malformed .npy: not a .npy array" -- $img $seg --predict-cmd "$fake garbage" $out
expect 1 "in the middle of its answer" -- $img $seg --predict-cmd "$fake truncated" $out
expect 1 "exited with status 0" -- $img $seg --predict-cmd "$fake exit-now" $out
# flags and parameters
expect 2 "unknown option '--bogus'" -- $img $seg --predict-cmd "$fake ok" --bogus 1 $out
expect 2 "threshold" -- $img $seg --predict-cmd "$fake ok" --threshold 1.5 $out
expect 2 "threshold" -- $img $seg --predict-cmd "$fake ok" --threshold 0 $out
expect 2 "p_sample" -- $img $seg --predict-cmd "$fake ok" --p-sample 1.01 $out
expect 2 "delta" -- $img $seg --predict-cmd "$fake ok" --delta 1 $out
expect 2 "tau" -- $img $seg --predict-cmd "$fake ok" --tau 0 $out
expect 2 "--batch-size: 0 is out of range" -- $img $seg --predict-cmd "$fake ok" --batch-size 0 $out
expect 2 "--beam-size: -1 is out of range" -- $img $seg --predict-cmd "$fake ok" --beam-size -1 $out
expect 2 "--coverage-samples: 'many' is not an integer" -- $img $seg --predict-cmd "$fake ok" --coverage-samples many $out
expect 2 "--seed: 4294967296 is out of range" -- $img $seg --predict-cmd "$fake ok" --seed 4294967296 $out
expect 2 "--p-sample: 'nan' is not a number" -- $img $seg --predict-cmd "$fake ok" --p-sample nan $out
expect 2 "--predict-timeout must be > 0" -- $img $seg --predict-cmd "$fake ok" --predict-timeout 0 $out
expect 2 "--threshold needs a value" -- $img $seg --predict-cmd "$fake ok" $out --threshold
expect 2 "no output directory" -- $img $seg --predict-cmd "$fake ok"
expect 2 "no classifier" -- $img $seg $out
expect 2 "no IMAGE" -- $seg --predict-cmd "$fake ok" $out
expect 2 "exclusive" -- $img $seg --predict-cmd "$fake ok" --model m.onnx $out
expect 2 "--segments (your own label map) excludes" -- $img $seg --seg-arg n_segments=5 --predict-cmd "$fake ok" $out
expect 2 "expected KEY=VALUE" -- $img --seg-arg n_segments --predict-cmd "$fake ok" $out
expect 2 "--resize: expected WIDTHxHEIGHT" -- $img --resize 12 --predict-cmd "$fake ok" $out
expect 2 "does not exist" -- $img $seg --predict-cmd "$fake ok" -o "$work/no/such/dir/out"
expect 1 "n_segmentz" -- $img --seg-arg n_segmentz=5 --predict-cmd "$fake ok" $out
expect 1 "--segmentation" -- $img --segmentation watershed --predict-cmd "$fake ok" $out
# shapes and files
expect 1 "label map $work/labels_small.npy is 10 x 10 (H x W) but the image is 48 x 64" -- $img --segments "$work/labels_small.npy" --predict-cmd "$fake ok" $out
expect 1 "background $work/bg_wrong.npy is 48 x 60 x 3 (H x W x C) but the image is 48 x 64 x 3" -- $img $seg --background "$work/bg_ok.npy" --background "$work/bg_wrong.npy" --predict-cmd "$fake ok" $out
expect 1 "background $work/bg_gray.npy is 48 x 64 x 1" -- $img $seg --background "$work/bg_gray.npy" --predict-cmd "$fake ok" $out
expect 1 "the image must be uint8 or float32" -- "$work/float64.npy" $seg --predict-cmd "$fake ok" $out
expect 1 "$work/missing.png" -- "$work/missing.png" $seg --predict-cmd "$fake ok" $out
if [ "${ANCHOR_WITH_ONNX:-1}" = 0 ]; then
  # a build without the engine says so, whatever the model
  expect 1 "this build of anchor has no ONNX support (built with -DANCHOR_WITH_ONNX=OFF)" -- $img $seg --model "$work/missing.onnx" $out
else
  expect nz "onnx" -- $img $seg --model "$work/missing.onnx" $out
fi
model=${ANCHOR_SHARED:-/nonexistent}/models/squeezenet1.1_fp32_from_winml_fp16.onnx
if [ -f "$model" ] && [ "${ANCHOR_WITH_ONNX:-1}" != 0 ]; then
  # --model resizes to its input size by default; an explicit other size is refused
  expect 1 "takes 224 x 224 images but the image is 48 x 64 (H x W): use --resize 224x224" -- $img --resize 64x48 --model "$model" $out
  expect 1 "label map $work/labels.npy is 48 x 64 (H x W) but the image is 224 x 224" -- $img $seg --model "$model" $out
  expect 1 "unknown preprocessing 'bogus'" -- $img --resize 224x224 --model "$model" --preprocess bogus $out
fi
expect 2 "--preprocess and --softmax apply to --model only" -- $img $seg --predict-cmd "$fake ok" --softmax $out
# an OUTDIR that is not ours is never replaced
mkdir -p "$work/outx" && echo keep >"$work/outx/notes.txt"
"$bin" explain $img $seg --predict-cmd "$fake ok" -o "$work/outx" >/dev/null 2>"$work/stderr"
if [ $? -eq 2 ] && grep -q "refusing to replace" "$work/stderr" && [ "$(cat "$work/outx/notes.txt")" = keep ] &&
  ! compgen -G "$work/outx.*" >/dev/null; then
  pass=$((pass + 1)); echo "ok   $(cat "$work/stderr")"
else
  fail=$((fail + 1)); echo "FAIL a foreign OUTDIR: $(cat "$work/stderr")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
