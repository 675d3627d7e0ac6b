#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The built-in ONNX engine in bf16 against itself in fp32 (--precision), same models as
# bench_onnx.sh: torchvision's InceptionV3 (random weights, exported here into a temporary
# folder by tools/export_inception.py) and the shared SqueezeNet 1.1; batch 1 and 16,
# 2 threads.
#   bash bench/bench_onnx_bf16.sh BUILD/anchor SHARED_DIR
# fp32 and bf16 run alternately BENCH_ROUNDS times (default 3) for BENCH_SECONDS each
# (default 4); each figure is the best single-batch throughput over all rounds, so that
# other load on the machine hurts both alike. Prints img/s, the speedup and the precision
# and oneDNN ISA the bf16 model actually got (fp32 on a CPU without native bfloat16).
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$bin") src=$(cd "$here/.." && pwd)
secs=${BENCH_SECONDS:-4} rounds=${BENCH_ROUNDS:-3} threads=${BENCH_THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/bench_onnx_driver.c" \
  "$build/libanchor.a" -ldnnl $(pkg-config --libs libprotobuf-c libpng libjpeg libcjson zlib) -fopenmp -lm -lpthread \
  -o "$work/driver"
/usr/bin/python3 "$src/tools/export_inception.py" "$work/inception_v3.onnx" 2>&1 | grep -v -i warn || true
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

printf '%-13s %5s %10s %10s %7s %-9s %s\n' model batch fp32_img/s bf16_img/s speedup got isa
for spec in "inception_v3:$work/inception_v3.onnx" "squeezenet1.1:$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx"; do
  name=${spec%%:*} model=${spec#*:}
  for batch in ${BENCH_BATCHES:-1 16}; do
    f_best=0 b_best=0
    for _ in $(seq "$rounds"); do
      read -r _ fb _ _ _ _ < <("$work/driver" "$model" "$batch" "$threads" "$secs" fp32)
      read -r _ bb _ _ got isa < <("$work/driver" "$model" "$batch" "$threads" "$secs" bf16)
      f_best=$(max "$f_best" "$fb") b_best=$(max "$b_best" "$bb")
    done
    awk -v n="$name" -v b="$batch" -v f="$f_best" -v g="$b_best" -v got="$got" -v isa="$isa" 'BEGIN {
      printf "%-13s %5d %10.2f %10.2f %6.2fx %-9s %s\n", n, b, f, g, g / f, got, isa }'
  done
done
