#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor predict end to end: the shared SqueezeNet on chelsea.png prints the reference
# top 5 (SOURCES.md: PIL bilinear, BGR 0..255), --json is one object per image, and bad
# invocations fail with a message and a non-zero status. Skips (77) without ../shared.
set -u
bin=${ANCHOR_BIN:?} shared=${ANCHOR_SHARED:-} fx=${ANCHOR_FIXTURES:?}
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# bad invocations that need no shared data
"$bin" predict --model "$fx/onnx/conv_basic.onnx" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "no image: usage error" '[ $rc -eq 2 ] && grep -q "no IMAGE" "$tmp/e"'
"$bin" predict x.png >"$tmp/o" 2>"$tmp/e"; rc=$?
check "no model: usage error" '[ $rc -eq 2 ] && grep -q -- "--model is required" "$tmp/e"'
"$bin" predict x.png --model "$fx/onnx/bad_unsupported_op.onnx" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "unsupported operator named" '[ $rc -eq 1 ] && grep -q "unsupported operator Einsum in node .my_einsum." "$tmp/e" && [ ! -s "$tmp/o" ]'
"$bin" predict x.png --model "$fx/onnx/MANIFEST" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "corrupt model" '[ $rc -eq 1 ] && grep -q "not an ONNX model" "$tmp/e"'
"$bin" predict x.png --model "$fx/onnx/conv_basic.onnx" --preprocess imagenet >"$tmp/o" 2>"$tmp/e"; rc=$?
check "unknown preset" '[ $rc -eq 1 ] && grep -q "unknown preprocessing" "$tmp/e"'
"$bin" predict x.png --model "$fx/onnx/conv_basic.onnx" --top 0 >"$tmp/o" 2>"$tmp/e"; rc=$?
check "bad --top" '[ $rc -eq 2 ]'

[ -f "$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx" ] || { echo "SKIP: ../shared absent"; exit $([ $fail = 0 ] && echo 77 || echo 1); }
M=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
L=$shared/models/imagenet_labels_1000.txt
"$bin" predict "$shared/images/chelsea.png" --model "$M" --labels "$L" --preprocess raw-bgr --resize-filter bilinear \
  >"$tmp/top5" 2>"$tmp/e"; rc=$?
printf '285 Egyptian cat 0.9204\n281 tabby 0.0582\n282 tiger cat 0.0169\n287 lynx 0.0036\n293 cheetah 0.0004\n' >"$tmp/want"
check "chelsea top 5 as the reference" '[ $rc -eq 0 ] && cmp -s "$tmp/top5" "$tmp/want"'
"$bin" predict "$shared/images/chelsea.png" "$shared/images/coffee.png" --model "$M" --labels "$shared/models/imagenet_class_index.json" \
  --preprocess raw-bgr --resize-filter bilinear --json --top 3 >"$tmp/json" 2>"$tmp/e"; rc=$?
check "json: one object per image" '[ $rc -eq 0 ] && [ $(wc -l <"$tmp/json") -eq 2 ]'
check "json: chelsea first is 285 Egyptian_cat" 'head -1 "$tmp/json" | grep -q "\"image\":\"[^\"]*chelsea.png\",\"top\":\[{\"index\":285,\"label\":\"Egyptian_cat\",\"probability\":0.92"'
check "json: coffee first is 967 espresso" 'sed -n 2p "$tmp/json" | grep -q "{\"index\":967,\"label\":\"espresso\""'
"$bin" predict "$shared/images/chelsea.png" --model "$M" --labels "$shared/models/tflite_labels_1001.txt" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "labels count differs: refused" '[ $rc -eq 1 ] && grep -q "has 1001 labels but .* has 1000 outputs" "$tmp/e" && [ ! -s "$tmp/o" ]'
"$bin" predict "$shared/images/chelsea.png" --model "$fx/onnx/gemm_plain.onnx" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "rank-2 model refused for images" '[ $rc -eq 1 ] && grep -q "rank 4" "$tmp/e"'
"$bin" predict "$shared/images/chelsea.png" --model "$M" --threads 1 --top 1 >"$tmp/o" 2>"$tmp/e"; rc=$?
check "no labels: index and probability" '[ $rc -eq 0 ] && grep -Eq "^285 0\.[0-9]{4}$" "$tmp/o"'
exit $fail
