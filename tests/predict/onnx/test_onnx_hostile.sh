#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile ONNX files, made now by tools/make_onnx_hostile.py with Debian's python3-onnx:
# the library refuses each with the right status and a one-line message naming the node
# or tensor (test_onnx_hostile), and the CLI exits 1 with that one line on stderr and
# nothing on stdout. Skips (77) without python3-onnx and torch.
set -u
tester=${1:?usage: test_onnx_hostile.sh TEST_BINARY}
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?}
py=/usr/bin/python3
"$py" -c 'import onnx, torch' 2>/dev/null || { echo "SKIP: python3-onnx or torch missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$py" "$src/tools/make_onnx_hostile.py" "$tmp/m" || { echo "FAIL: the generator failed"; exit 1; }
fail=0
"$tester" "$tmp/m" || fail=1
for name in omit_conv_0 conv_relu_no_output constantofshape_2gb batchnorm_training_mode reshape_const_wrong_count; do
  "$bin" predict x.png --model "$tmp/m/$name.onnx" >"$tmp/o" 2>"$tmp/e"; rc=$?
  if [ $rc -eq 1 ] && [ ! -s "$tmp/o" ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q "$name.onnx" "$tmp/e"; then
    echo "ok   cli $name: $(cat "$tmp/e")"
  else
    echo "FAIL cli $name: exit $rc, stderr: $(cat "$tmp/e")"; fail=1
  fi
done
exit $fail
