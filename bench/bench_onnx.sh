#!/usr/bin/env bash
# The built-in ONNX engine against PyTorch 1.13's best CPU configuration on the same
# models: torchvision's InceptionV3 architecture (random weights, exported to ONNX here
# into a temporary folder by tools/export_inception.py) and the shared SqueezeNet 1.1;
# batch 1 and 16, 2 threads. Both sides report their best single-batch throughput over
# BENCH_SECONDS (default 5, at least 3 runs), so a busy machine hurts both alike.
#   bash bench/bench_onnx.sh BUILD/anchor SHARED_DIR
# Prints img/s (ours: best and mean), torch's best and which configuration gave it, the
# ratio, our share of the fp32 FMA peak (PEAK_GFLOPS, default 157 = the 2 cores this
# bench was specified on; FLOPs counted from the graph: 2 x multiply-adds of Conv/Gemm),
# and each side's peak RSS. The C driver (bench_onnx_driver.c) is compiled here against
# the libanchor.a beside the anchor binary.
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$bin") src=$(cd "$here/.." && pwd)
py=/usr/bin/python3
secs=${BENCH_SECONDS:-5} peak=${PEAK_GFLOPS:-157} threads=${BENCH_THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/bench_onnx_driver.c" \
  "$build/libanchor.a" -ldnnl $(pkg-config --libs libprotobuf-c libpng libjpeg libcjson zlib) -fopenmp -lm -lpthread \
  -o "$work/driver"
"$py" "$src/tools/export_inception.py" "$work/inception_v3.onnx" 2>&1 | grep -v -i warn || true

printf '%-12s %5s %9s %9s %9s %-26s %6s %7s %9s %9s\n' model batch ours_best ours_mean torch_best torch_config ratio "%peak" ours_MiB torch_MiB
for spec in "inception_v3:$work/inception_v3.onnx" "squeezenet1.1:$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx"; do
  name=${spec%%:*} model=${spec#*:}
  for batch in 1 16; do
    read -r o_mean o_best gflop o_rss < <("$work/driver" "$model" "$batch" "$threads" "$secs")
    read -r t_best t_cfg t_eager t_rss < <("$py" "$src/tools/bench_onnx_torch.py" "$model" "$batch" "$threads" "$secs" 2>/dev/null)
    awk -v n="$name" -v b="$batch" -v ob="$o_best" -v om="$o_mean" -v tb="$t_best" -v tc="$t_cfg" -v g="$gflop" \
        -v pk="$peak" -v orss="$o_rss" -v trss="$t_rss" 'BEGIN {
      printf "%-12s %5d %9.2f %9.2f %9.2f %-26s %6.2f %6.1f%% %9d %9d\n", n, b, ob, om, tb, tc, ob / tb, 100 * ob * g / pk, orss, trss }'
  done
done
echo "(img/s; ratio = ours_best / torch_best; GFLOP per image: InceptionV3 11.43, SqueezeNet 0.70)"
