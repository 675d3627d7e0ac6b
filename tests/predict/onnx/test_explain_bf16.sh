#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --precision on the command line: bad values and misplaced flags are usage errors; on a
# CPU capped below bfloat16 (oneDNN's DNNL_MAX_CPU_ISA=AVX2) bf16 runs in fp32 with a
# one-line notice; and with native bfloat16, `explain --model --precision bf16` finds
# the same anchors as fp32 on chelsea, coffee and astronaut (the real SqueezeNet).
# Skips (77) without ../shared, or at the last step on a CPU without bfloat16.
set -u
bin=${ANCHOR_BIN:?} shared=${ANCHOR_SHARED:-} fx=${ANCHOR_FIXTURES:?}
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$bin" predict x.png --model "$fx/onnx/conv_basic.onnx" --precision fp16 >"$tmp/o" 2>"$tmp/e"; rc=$?
check "predict: unknown precision" '[ $rc -eq 2 ] && grep -q "unknown precision .fp16. (fp32, bf16)" "$tmp/e"'
"$bin" explain x.png --predict-cmd true --precision bf16 -o "$tmp/x" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "explain: --precision needs --model" '[ $rc -eq 2 ] && grep -q -- "--precision applies to --model only" "$tmp/e"'
"$bin" explain x.png --model m.onnx --precision half -o "$tmp/x" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "explain: unknown precision" '[ $rc -eq 2 ] && grep -q "unknown precision .half." "$tmp/e"'

[ -f "$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx" ] || { echo "SKIP: ../shared absent"; exit $([ $fail = 0 ] && echo 77 || echo 1); }
M=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
DNNL_MAX_CPU_ISA=AVX2 "$bin" predict "$shared/images/chelsea.png" --model "$M" --precision bf16 --top 1 \
  >"$tmp/o" 2>"$tmp/e"; rc=$?
check "no bf16 on avx2: fp32 with one notice" '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] &&
  grep -q "notice: this CPU has no native bfloat16 (oneDNN ISA avx2): running in fp32" "$tmp/e"'
"$bin" predict "$shared/images/chelsea.png" --model "$M" --top 1 >"$tmp/o32" 2>/dev/null
check "... and fp32's answer" 'cmp -s "$tmp/o" "$tmp/o32"'
"$bin" predict "$shared/images/chelsea.png" --model "$M" --precision bf16 --verbose --top 1 >"$tmp/o" 2>"$tmp/e"; rc=$?
check "--verbose names the precision and ISA" '[ $rc -eq 0 ] && grep -q "onnx engine: precision \(bf16\|fp32\), oneDNN ISA [a-z0-9_]*$" "$tmp/e"'
if ! grep -q "precision bf16" "$tmp/e"; then
  echo "SKIP: this CPU has no native bfloat16 ($(cat "$tmp/e"))"
  exit $([ $fail = 0 ] && echo 77 || echo 1)
fi

anchors() { /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["data"]["raw"]
print(r["prediction"], sorted(r["feature"]))' "$1"; }
for img in chelsea coffee astronaut; do
  for p in fp32 bf16; do
    "$bin" explain "$shared/images/$img.png" --model "$M" --precision $p -o "$tmp/$img.$p" >/dev/null 2>"$tmp/e.$p" ||
      { echo "FAIL $img $p: $(cat "$tmp/e.$p")"; fail=1; }
  done
  a=$(anchors "$tmp/$img.fp32/explanation.json") b=$(anchors "$tmp/$img.bf16/explanation.json")
  echo "$img: fp32 [$a] bf16 [$b]"
  check "$img: bf16 finds fp32's anchor" '[ -n "$a" ] && [ "$a" = "$b" ]'
done
exit $fail
