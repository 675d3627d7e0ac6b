#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The built-in ONNX engine side by side with ONNX Runtime (issue 9, items 3 and 5).
#   bash bench/bench_ort.sh BUILD/anchor SHARED_DIR
# 1. Throughput. Each model runs in our engine (bench_ort_driver.c) and in ONNX Runtime
#    (npm's onnxruntime-node, CPU EP, BENCH_THREADS intra-op threads (default 2), all graph
#    optimisations; ort_bench.mjs) on the SAME .onnx file and the same input tensor,
#    alternating BENCH_ROUNDS rounds (default 3) of BENCH_SECONDS each (default 3, at least
#    3 batches), batch 1 and 16. Each side's figure is its best single-batch throughput
#    over all rounds, so that other load on the machine hurts both alike. Models: the
#    shared SqueezeNet 1.1 (batch axis made symbolic for ORT) and torchvision's
#    InceptionV3, ResNet-50, MobileNetV2, EfficientNet-B0 and ViT-B/16 with random weights
#    and BatchNorm statistics re-estimated on the shared photos, exported at opset 13 by
#    tools/export_bench_zoo.py into the cache. The inputs are 16 preprocessed photo crops.
#    "agree" is max |ours - ORT| / max |ORT| over the batch-16 scores. Ours also runs with
#    --precision bf16 (BENCH_BF16=0 skips it): bf16_ms and bf16/ORT, and the precision and
#    oneDNN ISA it got (fp32 where the CPU has no native bfloat16). The ms columns are the
#    best batch's milliseconds per image.
# 2. Cold start. `anchor explain chelsea --model squeezenet --preprocess raw-bgr` through the
#    C API (bench_ttfe_driver.c): model load, first explanation, and a second one with the
#    same model handle, best of BENCH_TTFE_RUNS fresh processes (default 3), with the engine
#    plans (distinct batch sizes, each a set of oneDNN kernels) created in each.
# BENCH_QUICK=1: 1 round of 1.5 s, 1 cold-start process. BENCH_MODELS overrides the list.
# Our engine runs on oneDNN's OpenMP threads. The anchor CLI makes idle ones sleep
# (OMP_WAIT_POLICY=passive, docs/architecture.md "Threads"), so this bench does too unless
# OMP_WAIT_POLICY is set: OMP_WAIT_POLICY=active bash bench_ort.sh measures spinning
# threads (libgomp's default). The load average is printed before and after.
# Cache (models and the npm package; never in the repo): BENCH_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/anchor-bench. Needs node + npm (bench only; tests do not).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$bin") src=$(cd "$here/.." && pwd)
py=/usr/bin/python3
secs=${BENCH_SECONDS:-3} rounds=${BENCH_ROUNDS:-3} threads=${BENCH_THREADS:-2} ttfe_runs=${BENCH_TTFE_RUNS:-3}
if [ "${BENCH_QUICK:-0}" = 1 ]; then secs=1.5 rounds=1 ttfe_runs=1; fi
models=${BENCH_MODELS:-squeezenet inception_v3 resnet50 mobilenet_v2 efficientnet_b0 vit_b_16}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anchor-bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "bench_ort: $tool not found (ONNX Runtime comes from npm)" >&2; exit 1; }
done

# ONNX Runtime: --ignore-scripts because the package's install script downloads extra
# binaries (CUDA), which fails offline; the CPU library ships inside the package.
npmdir=$cache/ort-npm
if [ ! -d "$npmdir/node_modules/onnxruntime-node" ]; then
  mkdir -p "$npmdir"
  (cd "$npmdir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error onnxruntime-node >&2) ||
    { echo "bench_ort: npm install onnxruntime-node failed" >&2; exit 1; }
fi
export ORT_NODE_DIR=$npmdir/node_modules
ort_version=$(node -e 'const o = require(process.argv[1]); console.log(o.env.versions.node)' \
  "$ORT_NODE_DIR/onnxruntime-node") || { echo "bench_ort: onnxruntime-node does not load" >&2; exit 1; }

# Models: keyed by the export script's content and torch's version, so edits re-export.
key=$(cat "$src/tools/export_bench_zoo.py" <("$py" -c 'import torch, torchvision; print(torch.__version__, torchvision.__version__)') |
  sha256sum | cut -c1-12)
zoo=$cache/zoo-$key
# shellcheck disable=SC2086
"$py" "$src/tools/export_bench_zoo.py" "$zoo" "$shared" $models 2>&1 | grep -v -i warn >&2 || true

read -ra pc_libs <<<"$(pkg-config --libs libprotobuf-c libpng libjpeg libcjson zlib)"
libs=(-ldnnl "${pc_libs[@]}" -fopenmp -lm -lpthread)
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/bench_ort_driver.c" \
  "$build/libanchor.a" "${libs[@]}" -o "$work/ours"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/src" "$here/bench_ttfe_driver.c" \
  "$build/libanchor.a" -Wl,--wrap=anc_ox_plan_create "${libs[@]}" -o "$work/ttfe"
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }

echo "ONNX Runtime $ort_version (onnxruntime-node, CPU EP) vs $("$bin" --version 2>/dev/null | head -1), $threads threads," \
  "OMP_WAIT_POLICY=$OMP_WAIT_POLICY, load average $(cut -d' ' -f1-3 /proc/loadavg)"
bf16=${BENCH_BF16:-1}
printf '%-16s %5s %8s %8s %8s %6s %6s %9s %8s %8s %s\n' model batch fp32_ms bf16_ms ort_ms fp32/ORT bf16/ORT agree \
  ours_MiB ort_MiB bf16_isa
for name in $models; do
  model=$zoo/$name.onnx input=$zoo/$name.input.f32
  if [ ! -f "$model" ]; then
    printf '%-16s export failed (see above)\n' "$name"
    continue
  fi
  shape=$("$work/ours" "$model" --shape) || true
  refused=
  if [[ "$shape" == refused:* || -z "$shape" ]]; then
    refused=${shape:-refused: (no message)}
    shape=$("$py" -c 'import onnx, sys
m = onnx.load(sys.argv[1]); d = m.graph.input[0].type.tensor_type.shape.dim
print("x".join(str(x.dim_value) for x in d[1:]))' "$model" 2>/dev/null) || {
      printf '%-16s ours %s; onnx cannot read it either\n' "$name" "$refused"
      continue
    }
  fi
  export ORT_SHAPE=$shape
  agree=-
  for batch in 1 16; do
    o_best=0 o_rss=0 t_best=0 t_rss=0 b_best=0 b_isa=-
    for _ in $(seq "$rounds"); do
      if [ -z "$refused" ]; then
        read -r _ ob orss _ _ < <("$work/ours" "$model" "$input" "$batch" "$threads" "$secs" "$work/ours.f32") ||
          ob=0 orss=0 # a failed run (its message is above) counts as 0
        o_best=$(max "$o_best" "$ob") o_rss=$(max "$o_rss" "$orss")
        if [ "$bf16" = 1 ]; then
          read -r _ bb _ bp bi < <("$work/ours" "$model" "$input" "$batch" "$threads" "$secs" - bf16) || bb=0 bp=- bi=-
          b_best=$(max "$b_best" "$bb") b_isa="$bp/$bi"
        fi
      fi
      read -r _ tb trss < <(node "$here/ort_bench.mjs" "$model" "$input" "$batch" "$threads" "$secs" "$work/ort.f32") ||
        tb=0 trss=0
      t_best=$(max "$t_best" "$tb") t_rss=$(max "$t_rss" "$trss")
    done
    if [ -n "$refused" ]; then
      awk -v n="$name" -v b="$batch" -v tb="$t_best" -v trss="$t_rss" -v r="$refused" 'BEGIN {
        printf "%-16s %5d %8s %8s %8.2f %8s %8s %9s %8s %8d   ours %s\n", n, b, "-", "-", 1000 / tb, "-", "-", "-", "-", trss, r }'
      continue
    fi
    if [ "$o_best" = 0 ] || [ "$t_best" = 0 ]; then
      printf '%-16s %5d   failed (ours %s img/s, ORT %s img/s; see the message above)\n' "$name" "$batch" "$o_best" "$t_best"
      continue
    fi
    [ "$batch" = 16 ] && agree=$(node "$here/ort_bench.mjs" --compare "$work/ours.f32" "$work/ort.f32" | cut -d' ' -f1)
    awk -v n="$name" -v b="$batch" -v ob="$o_best" -v tb="$t_best" -v bb="$b_best" -v bi="$b_isa" \
        -v ag="$([ "$batch" = 16 ] && echo "$agree" || echo -)" -v orss="$o_rss" -v trss="$t_rss" 'BEGIN {
      bms = bb > 0 ? sprintf("%8.2f", 1000 / bb) : sprintf("%8s", "-")
      br = bb > 0 ? sprintf("%7.2fx", bb / tb) : sprintf("%8s", "-")
      printf "%-16s %5d %8.2f %s %8.2f %7.2fx %s %9s %8d %8d %s\n", n, b, 1000 / ob, bms, 1000 / tb, ob / tb, br, ag,
        orss, trss, bi }'
  done
done
echo "(ms per image of the best batch; x/ORT = throughput ratio, above 1 is faster than ORT fp32; agree =" \
  "max |ours - ORT| / max |ORT|, fp32, batch 16;" \
  "load average now $(cut -d' ' -f1-3 /proc/loadavg))"

echo
echo "Cold start: anchor explain chelsea.png --model squeezenet --preprocess raw-bgr (C API, $threads threads),"
echo "best of $ttfe_runs fresh processes; plans = engine plans created (one per batch size, oneDNN kernels)"
sq=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
best=
for _ in $(seq "$ttfe_runs"); do
  line=$("$work/ttfe" "$sq" "$shared/images/chelsea.png" "$threads")
  read -r l lp f fp fps s sp sps sizes <<<"$line"
  if [ -z "$best" ] || awk -v a="$l $f" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[1] + x[2] < y[1] + y[2]) }'; then
    best="$l $f" bl=$l blp=$lp bf=$f bfp=$fp bfps=$fps bsizes=$sizes
  fi
  bs=$(if [ -z "${bs:-}" ]; then echo "$s"; else min "$bs" "$s"; fi) bsp=$sp bsps=$sps
done
awk -v l="$bl" -v lp="$blp" -v f="$bf" -v fp="$bfp" -v fps="$bfps" -v s="$bs" -v sp="$bsp" -v sps="$bsps" -v z="$bsizes" 'BEGIN {
  printf "  model load              %7.3f s  plans %d\n", l, lp
  printf "  first explanation       %7.3f s  plans %d (%.3f s creating them)\n", f, fp, fps
  printf "  time to first (load+1st)%7.3f s\n", l + f
  printf "  warm explanation        %7.3f s  plans %d (%.3f s)\n", s, sp, sps
  printf "  batch sizes planned: %s\n", z }'
