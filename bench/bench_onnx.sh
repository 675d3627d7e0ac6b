#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The built-in ONNX engine against PyTorch 1.13's best CPU configuration on the same
# models: torchvision's InceptionV3 architecture (random weights, exported to ONNX here
# into a temporary folder by tools/export_inception.py) and the shared SqueezeNet 1.1;
# batch 1 and 16, 2 threads.
#   bash bench/bench_onnx.sh BUILD/anchor SHARED_DIR
# First PyTorch tries its four configurations (eager / jit.trace+freeze, each with and
# without channels_last, under inference_mode) and keeps the fastest; then ours and that
# configuration run alternately BENCH_ROUNDS times (default 3) for BENCH_SECONDS each
# (default 4, at least 3 batches). Each side's figure is its best single-batch
# throughput over all rounds, so that other load on the machine hurts both alike.
# Prints img/s, the ratio, our share of the fp32 FMA peak (PEAK_GFLOPS, default 157, the
# figure this bench was specified with; FLOPs counted from the graph: 2 x multiply-adds
# of Conv and Gemm) and each side's peak RSS. The C driver (bench_onnx_driver.c) is
# compiled here against the libanchor.a beside the anchor binary.
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$bin") src=$(cd "$here/.." && pwd)
py=/usr/bin/python3
secs=${BENCH_SECONDS:-4} rounds=${BENCH_ROUNDS:-3} peak=${PEAK_GFLOPS:-157} threads=${BENCH_THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/bench_onnx_driver.c" \
  "$build/libanchor.a" -ldnnl $(pkg-config --libs libprotobuf-c libpng libjpeg libcjson zlib) -fopenmp -lm -lpthread \
  -o "$work/driver"
"$py" "$src/tools/export_inception.py" "$work/inception_v3.onnx" 2>&1 | grep -v -i warn || true
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

printf '%-13s %5s %9s %9s %-26s %6s %7s %8s %9s\n' model batch ours_img/s torch_img/s torch_config ratio "%peak" ours_MiB torch_MiB
for spec in "inception_v3:$work/inception_v3.onnx" "squeezenet1.1:$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx"; do
  name=${spec%%:*} model=${spec#*:}
  for batch in 1 16; do
    read -r t_best t_cfg _ t_rss < <("$py" "$src/tools/bench_onnx_torch.py" "$model" "$batch" "$threads" "$secs" 2>/dev/null)
    o_best=0 o_rss=0
    for _ in $(seq "$rounds"); do
      read -r _ ob gflop orss < <("$work/driver" "$model" "$batch" "$threads" "$secs")
      o_best=$(max "$o_best" "$ob") o_rss=$(max "$o_rss" "$orss")
      read -r tb _ _ trss < <("$py" "$src/tools/bench_onnx_torch.py" "$model" "$batch" "$threads" "$secs" "$t_cfg" 2>/dev/null)
      t_best=$(max "$t_best" "$tb") t_rss=$(max "$t_rss" "$trss")
    done
    awk -v n="$name" -v b="$batch" -v ob="$o_best" -v tb="$t_best" -v tc="$t_cfg" -v g="$gflop" -v pk="$peak" \
        -v orss="$o_rss" -v trss="$t_rss" 'BEGIN {
      printf "%-13s %5d %10.2f %11.2f %-26s %6.2f %6.1f%% %8d %9d\n", n, b, ob, tb, tc, ob / tb, 100 * ob * g / pk, orss, trss }'
  done
done
echo "(ratio = ours / torch, best single-batch img/s each; GFLOP per image: InceptionV3 11.43, SqueezeNet 0.70)"
