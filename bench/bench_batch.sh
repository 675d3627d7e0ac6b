#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Many images (issue 13): BENCH_IMAGES (default 100) pictures made here from the shared
# photos by flips, crops and rescales, explained with the shared SqueezeNet (the call of
# bench_e2e.sh: threshold 0.9, seed 0, alibi's slic defaults, 224x224), three ways:
#   loop    the single-image CLI once per image in a shell loop (model loaded every time)
#   jobs1   one batch run, --jobs 1 (model loaded once)
#   jobs2   one batch run, --jobs 2 (two explanations share the engine, one batch at a time)
# Prints images per hour and peak RSS of each, and alibi + PyTorch's rate from the recorded
# per-image times of bench_e2e.sh (121 s, 10.8 s, 140 s: alibi cannot run here).
# Also checks that the batch answers equal the single-image runs'.
# usage: bench/bench_batch.sh BUILD/anchor SHARED_DIR
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
n=${BENCH_IMAGES:-100}
py=/usr/bin/python3
model=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--model "$model" --preprocess raw-bgr --threshold 0.9 --p-sample 0.5 --seed 0)

$py - "$shared/images" "$work/photos" "$n" <<'PY'
import os, sys
from PIL import Image, ImageOps
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
photos = [Image.open(os.path.join(src, f)).convert("RGB") for f in sorted(os.listdir(src))
          if f.endswith((".png", ".jpg"))]
for i in range(n):
    im = photos[i % len(photos)]
    k = i // len(photos)
    if k % 2:
        im = ImageOps.mirror(im)
    if k % 3 == 1:
        im = ImageOps.flip(im)
    w, h = im.size
    c = (k % 5) / 20  # crop up to 20 % off each side
    im = im.crop((int(w * c), int(h * c / 2), w - int(w * c / 2), h - int(h * c)))
    s = (0.5, 0.75, 1.0, 1.25)[k % 4]
    im = im.resize((max(32, int(im.width * s)), max(32, int(im.height * s))), Image.BICUBIC)
    im.save(os.path.join(dst, f"img{i:03d}.png"))
PY

# measure NAME CMD...: wall seconds and the peak RSS of the largest process it waited for
measure() {
  local name=$1
  shift
  $py - "$@" <<'PY' >"$work/$name.time"
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
dt = time.monotonic() - t
print(f"{dt:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} {rc}")
PY
}
loop() {
  for f in "$work"/photos/*.png; do
    b=$(basename "$f" .png)
    "$bin" explain "$f" "${args[@]}" -o "$work/loop/$b" >/dev/null || echo "failed: $f" >&2
  done
}
export -f loop
export bin work
mkdir -p "$work/loop"
measure loop bash -c "$(declare -p args); $(declare -f loop); loop"
measure jobs1 "$bin" explain "$work/photos" "${args[@]}" -o "$work/jobs1" --jobs 1 --quiet
measure jobs2 "$bin" explain "$work/photos" "${args[@]}" -o "$work/jobs2" --jobs 2 --quiet

same=$($py - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
def core(d):
    e = json.load(open(os.path.join(d, "explanation.json")))
    return e["data"]["raw"]["feature"], e["data"]["precision"], e["data"]["coverage"], e["stats"]["batch_sizes"]
names = sorted(os.listdir(os.path.join(w, "loop")))
diff = [b for b in names for j in ("jobs1", "jobs2") if core(os.path.join(w, "loop", b)) != core(os.path.join(w, j, b))]
print("all answers equal" if not diff else f"DIFFER: {sorted(set(diff))}")
PY
)
printf '%-8s %8s %10s %12s %6s\n' run images seconds images/hour rss_MB
for r in loop jobs1 jobs2; do
  read -r s rss rc <"$work/$r.time"
  printf '%-8s %8d %10.1f %12.0f %6s%s\n' "$r" "$n" "$s" "$(awk -v n="$n" -v s="$s" 'BEGIN { print n * 3600 / s }')" \
    "$rss" "$([ "$rc" = 0 ] || echo " (exit $rc)")"
done
printf '%-8s %8s %10s %12.0f %6s\n' alibi "-" "-" "$(awk 'BEGIN { print 3 * 3600 / (121 + 10.8 + 140) }')" "-"
echo "batch vs single-image runs: $same"
