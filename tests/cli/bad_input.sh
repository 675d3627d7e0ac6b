#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor explain on bad input, one table per input channel (argument: files, flags,
# predictor, output; no argument runs all four).
#
# Each row is   STATUS | NEEDLE | ARGS   and asserts, for `anchor explain ARGS`:
#  - exit status STATUS (1 or 2),
#  - the first stderr line starts with "anchor explain:" and contains NEEDLE (the file or
#    flag and the problem),
#  - nothing left behind: no OUTDIR, no OUTDIR.tmp.* / .old.*,
#  - no process left: nothing still running whose command line holds this run's token
#    (predictor commands carry it, so forked workers do too),
#  - no sanitizer report on stderr, and no hang (each case is bounded by `timeout`).
# ARGS are shell words, expanded with the variables set up below ($img, $seg, $out, $P for
# the misbehaving predictor, $W for the work folder).
# Env: ANCHOR_BIN (the CLI), ANCHOR_SOURCE (repo root), ANCHOR_SHARED (optional).
set -u
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?}
part=${1:-all}
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null ||
  { echo "SKIP: needs /usr/bin/python3 with numpy"; exit 77; }
W=$(mktemp -d /tmp/anchor_bad_input.XXXXXX)
token="anchor-bad-input-$$"
# pids of our own test predictors still running: their command lines hold the token
token_pids() {
  ps -eo pid=,stat=,args= | awk -v t="$token" 'index($0, t) && $2 !~ /^Z/ && !/awk/ && !/ps -eo/ {print $1}'
}
kill_leftovers() {
  local pids
  pids=$(token_pids)
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
}
cleanup() {
  kill_leftovers
  rm -rf "$W"
}
trap cleanup EXIT
pass=0 fail=0

/usr/bin/python3 "$src/tests/cli/make_bad_inputs.py" "$W" "$src/tests/cli" "${ANCHOR_SHARED:-}" || exit 1
mkfifo "$W/fifo.png"
mkdir "$W/dir.png"
ln -s "$W/loop_b" "$W/loop_a" && ln -s "$W/loop_a" "$W/loop_b"

P="/usr/bin/python3 $src/tests/predict/fake_predictor.py"
img="$W/photo.png" seg="--segments $W/labels.npy" out="-o $W/out"
model=${ANCHOR_SHARED:-/nonexistent}/models/squeezenet1.1_fp32_from_winml_fp16.onnx

left_processes() {
  local pids
  pids=$(token_pids)
  [ -z "$pids" ] || ps -o pid=,args= -p "$(echo $pids | tr ' ' ',')"
}

run_case() { # STATUS NEEDLE ARGS-TEXT
  local want=$1 needle args=$3
  needle=$(eval "printf '%s' \"$2\"")
  rm -rf "$W"/out "$W"/out.tmp.* "$W"/out.old.*
  local t0=$SECONDS
  eval "set -- $args"
  timeout -k 5 60 "$bin" explain "$@" >"$W/stdout" 2>"$W/stderr" </dev/null
  local rc=$? why=""
  local first
  first=$(head -n 1 "$W/stderr")
  [ "$rc" -eq "$want" ] || why="exit $rc, not $want;"
  case "$first" in "anchor explain: "*) ;; *) why="$why first line not 'anchor explain: ...';" ;; esac
  [[ "$first" == *"$needle"* ]] || why="$why first line lacks '$needle';"
  compgen -G "$W/out*" >/dev/null && why="$why left $(ls -d "$W"/out* | tr '\n' ' ');"
  grep -qE "Sanitizer|runtime error:" "$W/stderr" && why="$why sanitizer report;"
  local procs
  procs=$(left_processes)
  [ -z "$procs" ] && sleep 0 || { sleep 0.5; procs=$(left_processes); }
  [ -z "$procs" ] || { why="$why processes left: $procs;"; kill_leftovers; }
  if [ -z "$why" ]; then
    pass=$((pass + 1))
    echo "ok   [$rc $((SECONDS - t0))s] $first"
  else
    fail=$((fail + 1))
    echo "FAIL $args"
    echo "     $why"
    sed 's/^/     stderr: /' "$W/stderr" | head -n 5
  fi
}

run_table() {
  local line
  while IFS= read -r line; do
    case "$line" in '' | '#'*) continue ;; esac
    local want=${line%% | *} rest=${line#* | }
    local needle=${rest%% | *} args=${rest#* | }
    run_case "$want" "$needle" "$args"
  done
}

# ---- images, .npy files, label maps, backgrounds, models --------------------------------------
files_table() {
  run_table <<'EOF'
1 | missing.png: cannot open: No such file | $W/missing.png $seg --predict-cmd "$P ok $token" $out
1 | fifo.png: is a FIFO (named pipe), not a regular file | $W/fifo.png $seg --predict-cmd "$P ok $token" $out
1 | /dev/zero: is a character device | /dev/zero $seg --predict-cmd "$P ok $token" $out
1 | dir.png: is a directory | $W/dir.png $seg --predict-cmd "$P ok $token" $out
1 | loop_a: cannot open: Too many levels of symbolic links | $W/loop_a $seg --predict-cmd "$P ok $token" $out
1 | empty.png: empty file, not an image | $W/empty.png $seg --predict-cmd "$P ok $token" $out
1 | text.png: unknown image format | $W/text.png $seg --predict-cmd "$P ok $token" $out
1 | fake.gif: unknown image format | $W/fake.gif $seg --predict-cmd "$P ok $token" $out
1 | truncated.png | $W/truncated.png $seg --predict-cmd "$P ok $token" $out
1 | truncated.jpg | $W/truncated.jpg $seg --predict-cmd "$P ok $token" $out
1 | header_only.jpg | $W/header_only.jpg $seg --predict-cmd "$P ok $token" $out
1 | zero_width.png | $W/zero_width.png $seg --predict-cmd "$P ok $token" $out
1 | bomb.png | $W/bomb.png --predict-cmd "$P ok $token" $out
1 | huge_dims.jpg | $W/huge_dims.jpg --predict-cmd "$P ok $token" $out
1 | bad_crc.png | $W/bad_crc.png $seg --predict-cmd "$P ok $token" $out
1 | npy_version.npy | $W/npy_version.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_hlen.npy | $W/npy_hlen.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_descr.npy | $W/npy_descr.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_fortran.npy | $W/npy_fortran.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_bigendian.npy | $W/npy_bigendian.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_negshape.npy | $W/npy_negshape.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_overflow.npy | $W/npy_overflow.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_5d.npy | $W/npy_5d.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_truncdata.npy | $W/npy_truncdata.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_notdict.npy | $W/npy_notdict.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_nokey.npy | $W/npy_nokey.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_object.npy | $W/npy_object.npy $seg --predict-cmd "$P ok $token" $out
1 | npy_magic_only.npy | $W/npy_magic_only.npy $seg --predict-cmd "$P ok $token" $out
1 | float64.npy is float64; the image must be uint8 or float32 | $W/float64.npy $seg --predict-cmd "$P ok $token" $out
1 | batch2.npy holds 2 images | $W/batch2.npy $seg --predict-cmd "$P ok $token" $out
1 | zero_rows.npy | $W/zero_rows.npy --predict-cmd "$P ok $token" $out
1 | f32_nan.npy has a non-finite value (nan) at row 5, column 7, channel 2 | $W/f32_nan.npy --segmentation grid --predict-cmd "$P ok $token" $out
1 | f32_inf.npy has a non-finite value (-inf) at row 40, column 1 | $W/f32_inf.npy $seg --predict-cmd "$P ok $token" $out
1 | f32_nan.npy has a non-finite value | $W/f32_nan.npy --predict-cmd "$P ok $token" $out
1 | labels_small.npy is 10 x 10 (H x W) but the image is 48 x 64 | $img --segments $W/labels_small.npy --predict-cmd "$P ok $token" $out
1 | labels_f32.npy: a label map must be an H x W integer array | $img --segments $W/labels_f32.npy --predict-cmd "$P ok $token" $out
1 | labels_rgb.png: a label map must be an H x W integer array | $img --segments $W/labels_rgb.png --predict-cmd "$P ok $token" $out
1 | labels.txt: a label map must be a .npy or a gray PNG | $img --segments $W/labels.txt --predict-cmd "$P ok $token" $out
1 | fifo.png: is a FIFO | $img --segments $W/fifo.png --predict-cmd "$P ok $token" $out
1 | missing.npy: cannot open | $img --segments $W/missing.npy --predict-cmd "$P ok $token" $out
1 | labels_trunc.npy | $img --segments $W/labels_trunc.npy --predict-cmd "$P ok $token" $out
1 | labels_many.npy: the label map has 90000 segments, beyond the limit of 65536 | $W/photo_big.png --segments $W/labels_many.npy --predict-cmd "$P ok $token" $out
1 | bg_wrong.npy is 48 x 60 x 3 (H x W x C) but the image is 48 x 64 x 3 | $img $seg --background $W/bg_ok.npy --background $W/bg_wrong.npy --predict-cmd "$P ok $token" $out
1 | bg_gray.npy is 48 x 64 x 1 | $img $seg --background $W/bg_gray.npy --predict-cmd "$P ok $token" $out
1 | float64.npy is float64; it must be uint8 or the image's dtype | $img $seg --background $W/float64.npy --predict-cmd "$P ok $token" $out
1 | missing_bg.png: cannot open | $img $seg --background $W/missing_bg.png --predict-cmd "$P ok $token" $out
1 | fifo.png: is a FIFO | $img $seg --background $W/fifo.png --predict-cmd "$P ok $token" $out
1 | text.png: unknown image format | $img $seg --background $W/text.png --predict-cmd "$P ok $token" $out
1 | bg_nan.npy has a non-finite value (nan) | $W/f32_ok.npy $seg --background $W/bg_nan.npy --predict-cmd "$P ok $token" $out
EOF
  if [ "${ANCHOR_WITH_ONNX:-1}" = 0 ]; then
    # a build without the engine says so, whatever the model
    run_table <<'EOF'
1 | this build of anchor has no ONNX support (built with -DANCHOR_WITH_ONNX=OFF) | $img $seg --model $W/missing.onnx $out
EOF
    return
  fi
  run_table <<'EOF'
1 | missing.onnx | $img $seg --model $W/missing.onnx $out
1 | empty.onnx | $img $seg --model $W/empty.onnx $out
1 | text.onnx | $img $seg --model $W/text.onnx $out
1 | fifo.png: is a FIFO | $img $seg --model $W/fifo.png $out
1 | dir.png: is a directory | $img $seg --model $W/dir.png $out
EOF
  if [ -f "$model" ]; then
    run_table <<'EOF'
1 | truncated.onnx | $img --model $W/truncated.onnx $out
1 | takes 224 x 224 images but the image is 48 x 64 (H x W): use --resize 224x224 | $img --resize 64x48 --model $model $out
1 | label map $W/labels.npy is 48 x 64 (H x W) but the image is 224 x 224 | $img $seg --model $model $out
1 | f32_ok.npy is a 48 x 64 float32 array, but $model takes 224 x 224 | $W/f32_ok.npy --model $model $out
EOF
  fi
}

# ---- flags ----------------------------------------------------------------------------------
flags_table() {
  run_table <<'EOF'
2 | unknown option '--bogus' | $img $seg --predict-cmd "$P ok $token" --bogus 1 $out
2 | threshold must be in (0, 1], got 1.5 | $img $seg --predict-cmd "$P ok $token" --threshold 1.5 $out
2 | threshold must be in (0, 1], got 0 | $img $seg --predict-cmd "$P ok $token" --threshold 0 $out
2 | p_sample must be in [0, 1] | $img $seg --predict-cmd "$P ok $token" --p-sample 1.01 $out
2 | delta must be in (0, 1) | $img $seg --predict-cmd "$P ok $token" --delta 1 $out
2 | tau must be a finite number > 0 | $img $seg --predict-cmd "$P ok $token" --tau 0 $out
2 | --batch-size: 0 is out of range [1, 100000] | $img $seg --predict-cmd "$P ok $token" --batch-size 0 $out
2 | --batch-size: 100001 is out of range [1, 100000] | $img $seg --predict-cmd "$P ok $token" --batch-size 100001 $out
2 | --beam-size: -1 is out of range [1, 1000] | $img $seg --predict-cmd "$P ok $token" --beam-size -1 $out
2 | --coverage-samples: 2147483647 is out of range [1, 1000000] | $img $seg --predict-cmd "$P ok $token" --coverage-samples 2147483647 $out
2 | --coverage-samples: 'many' is not an integer | $img $seg --predict-cmd "$P ok $token" --coverage-samples many $out
2 | --min-samples-start: 99999999999 is out of range | $img $seg --predict-cmd "$P ok $token" --min-samples-start 99999999999 $out
2 | --n-covered-ex: 1001 is out of range [0, 1000] | $img $seg --predict-cmd "$P ok $token" --n-covered-ex 1001 $out
2 | --binary-cache-size: 1000000001 is out of range | $img $seg --predict-cmd "$P ok $token" --binary-cache-size 1000000001 $out
2 | --cache-margin: -5 is out of range | $img $seg --predict-cmd "$P ok $token" --cache-margin -5 $out
2 | --max-anchor-size: 70000 is out of range [1, 65536] | $img $seg --predict-cmd "$P ok $token" --max-anchor-size 70000 $out
2 | --max-batch: -1 is out of range | $img $seg --predict-cmd "$P ok $token" --max-batch -1 $out
2 | --seed: 4294967296 is out of range | $img $seg --predict-cmd "$P ok $token" --seed 4294967296 $out
2 | --seed: -1 is out of range | $img $seg --predict-cmd "$P ok $token" --seed -1 $out
2 | --p-sample: 'nan' is not a number | $img $seg --predict-cmd "$P ok $token" --p-sample nan $out
2 | --predict-timeout must be > 0 | $img $seg --predict-cmd "$P ok $token" --predict-timeout 0 $out
2 | --predict-timeout: 'inf' is not a number | $img $seg --predict-cmd "$P ok $token" --predict-timeout inf $out
2 | --threshold needs a value | $img $seg --predict-cmd "$P ok $token" $out --threshold
2 | --stop-on-first takes no value | $img $seg --predict-cmd "$P ok $token" --stop-on-first=1 $out
2 | no output directory | $img $seg --predict-cmd "$P ok $token"
2 | no classifier | $img $seg $out
2 | no IMAGE | $seg --predict-cmd "$P ok $token" $out
2 | one IMAGE only | $img $img $seg --predict-cmd "$P ok $token" $out
2 | exclusive | $img $seg --predict-cmd "$P ok $token" --model m.onnx $out
2 | --segments (your own label map) excludes | $img $seg --seg-arg n_segments=5 --predict-cmd "$P ok $token" $out
2 | expected KEY=VALUE | $img --seg-arg n_segments --predict-cmd "$P ok $token" $out
2 | --resize: expected WIDTHxHEIGHT | $img --resize 12 --predict-cmd "$P ok $token" $out
2 | --resize: expected WIDTHxHEIGHT | $img --resize 0x0 --predict-cmd "$P ok $token" $out
2 | --resize: expected WIDTHxHEIGHT | $img --resize 70000x10 --predict-cmd "$P ok $token" $out
2 | --resize-filter needs --resize | $img --resize-filter lanczos --predict-cmd "$P ok $token" $out
1 | --resize-filter | $img --resize 32x32 --resize-filter sharp --predict-cmd "$P ok $token" $out
2 | --preprocess and --softmax apply to --model only | $img $seg --predict-cmd "$P ok $token" --softmax $out
2 | --max-batch and --predict-timeout apply to --predict-cmd only | $img --model $W/missing.onnx --max-batch 3 $out
1 | --seg-arg n_segments=0: must be in [1, | $img --seg-arg n_segments=0 --predict-cmd "$P ok $token" $out
1 | --seg-arg n_segmentz | $img --seg-arg n_segmentz=5 --predict-cmd "$P ok $token" $out
1 | --seg-arg compactness=abc: not a finite number | $img --seg-arg compactness=abc --predict-cmd "$P ok $token" $out
1 | --segmentation | $img --segmentation watershed --predict-cmd "$P ok $token" $out
EOF
}

# ---- the classifier program ------------------------------------------------------------------
predictor_table() {
  run_table <<'EOF'
1 | /nonexistent/predictor: command not found | $img $seg --predict-cmd "/nonexistent/predictor --x $token" $out
1 | /nonexistent/predictor: not found | $img $seg --predict-cmd "/nonexistent/predictor $token | cat" $out
1 | predictor command is blank | $img $seg --predict-cmd "   " $out
1 | exited with status 3 | $img $seg --predict-cmd "$P crash $token" $out
1 | ValueError: boom in the model | $img $seg --predict-cmd "$P crash $token" $out
1 | killed by signal 11 | $img $seg --predict-cmd "$P segv $token" $out
1 | did not answer request 1 within 3 s (stopped it with SIGTERM | $img $seg --predict-cmd "$P hang $token" --predict-timeout 3 $out
1 | did not answer request 2 within 3 s | $img $seg --predict-cmd "$P hang-later $token" --predict-timeout 3 $out
1 | it outlived SIGTERM by 1 s: killed its process group with SIGKILL | $img $seg --predict-cmd "$P stubborn $token" --predict-timeout 3 $out
1 | it outlived SIGTERM by 1 s: killed its process group with SIGKILL | $img $seg --predict-cmd "$P fork-hang $token" --predict-timeout 3 $out
1 | exited with status 4 | $img $seg --predict-cmd "$P fork-exit $token" $out
1 | did not answer request 1 within 3 s | $img $seg --predict-cmd "$P stubborn $token | cat" --predict-timeout 3 $out
1 | answered 2 rows to request 1 of 1 images | $img $seg --predict-cmd "$P wrong-n $token" $out
1 | shape (1, 3, 1) | $img $seg --predict-cmd "$P wrong-shape $token" $out
1 | dtype int64 and shape (1, 3) | $img $seg --predict-cmd "$P int-scores $token" $out
1 | '<f2' is not supported | $img $seg --predict-cmd "$P f16 $token" $out
1 | dtype bool | $img $seg --predict-cmd "$P bool $token" $out
1 | scores for 0 classes | $img $seg --predict-cmd "$P zero-classes $token" $out
1 | malformed .npy | $img $seg --predict-cmd "$P huge $token" $out
1 | non-finite score (nan) | $img $seg --predict-cmd "$P nan $token" $out
1 | non-finite score (inf) | $img $seg --predict-cmd "$P inf $token" $out
1 | malformed .npy: not a .npy array | $img $seg --predict-cmd "$P garbage $token" $out
1 | in the middle of its answer | $img $seg --predict-cmd "$P truncated $token" $out
1 | exited with status 0 | $img $seg --predict-cmd "$P exit-now $token" $out
1 | scores for 4 classes, but its first answer was scores for 3 classes | $img $seg --predict-cmd "$P classes-change $token" $out
1 | the real error: model file corrupt | $img $seg --predict-cmd "$P flood-crash $token" $out
EOF
}

# ---- output locations --------------------------------------------------------------------------
output_table() {
  # a working run first, so the failures are not an artefact of the setup; then a second
  # run replaces it; then a stale temporary folder of a dead process is cleaned up
  if "$bin" explain $img $seg --predict-cmd "$P ok $token" $out >/dev/null 2>"$W/stderr" && [ -f "$W/out/explanation.json" ] &&
    "$bin" explain $img $seg --predict-cmd "$P labels $token" $out >/dev/null 2>&1 && [ -f "$W/out/anchor.png" ] &&
    ! compgen -G "$W/out.*" >/dev/null; then
    pass=$((pass + 1)); echo "ok   a good run writes OUTDIR, a second replaces it"
  else
    fail=$((fail + 1)); echo "FAIL the good runs: $(cat "$W/stderr")"
  fi
  # a dead process's leftovers: pid 2^22+1 is above any pid_max, so never alive
  mkdir -p "$W/out.tmp.4194305/examples" "$W/out.old.4194305"
  if "$bin" explain $img $seg --predict-cmd "$P ok $token" $out >/dev/null 2>&1 && ! compgen -G "$W/out.*" >/dev/null; then
    pass=$((pass + 1)); echo "ok   stale OUTDIR.tmp.PID / .old.PID of a dead process removed"
  else
    fail=$((fail + 1)); echo "FAIL stale folders left: $(ls -d "$W"/out.* 2>/dev/null)"
  fi
  rm -rf "$W/out"
  mkdir -p "$W/keep" && echo keep >"$W/keep/notes.txt" && echo file >"$W/afile"
  # a folder we may not write in: a read-only one, or for root (who may write anywhere) /sys
  mkdir -p "$W/ro" && chmod 555 "$W/ro"
  ro="$W/ro"
  [ "$(id -u)" -ne 0 ] || ro=/sys
  run_table <<'EOF'
2 | the folder $W/no/such does not exist | $img $seg --predict-cmd "$P ok $token" -o $W/no/such/out
2 | keep exists and is not an anchor explanation directory; refusing to replace it | $img $seg --predict-cmd "$P ok $token" -o $W/keep
2 | afile exists and is not an anchor explanation directory | $img $seg --predict-cmd "$P ok $token" -o $W/afile
2 | -o $ro/anchor_out: cannot write there | $img $seg --predict-cmd "$P ok $token" -o $ro/anchor_out
2 | name a folder to create, not .. | $img $seg --predict-cmd "$P ok $token" -o $W/..
2 | the folder $W/afile does not exist | $img $seg --predict-cmd "$P ok $token" -o $W/afile/out
EOF
  if [ "$(cat "$W/keep/notes.txt")" = keep ] && ! compgen -G "$W/keep.*" >/dev/null && ! compgen -G "$ro/anchor_out*" >/dev/null; then
    pass=$((pass + 1)); echo "ok   a foreign OUTDIR is untouched"
  else
    fail=$((fail + 1)); echo "FAIL a foreign OUTDIR was changed"
  fi
  rm -rf "$W/keep" "$W/afile"
}

case $part in
files) files_table ;;
flags) flags_table ;;
predictor) predictor_table ;;
output) output_table ;;
all) files_table; flags_table; predictor_table; output_table ;;
*) echo "unknown part $part"; exit 2 ;;
esac
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
