#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench_serve: anchor serve under load, against the library's own explain time.
#   usage: bench/bench_serve.sh BUILD/anchor SHARED_DIR
#   env:   REPS (sequential requests per figure, 7), CONC (wrk connections = --workers, 2),
#          DURATION (wrk seconds, 60), N_SEGMENTS (slic n_segments, 10 = alibi's default)
# Prints: the CLI's explain time (anchor explain --model: a fresh process, so the engine
# plans every batch size cold), the warm server latency p50 in model mode against the
# library's own warm explain time inside it (anchor_explain, stats.seconds_explain), the same
# through a remote predictor (v2 binary, v1 JSON) against model mode, then wrk with CONC concurrent explain requests for DURATION s: requests/s, p50,
# p99, non-2xx count, and the server's RSS after warm-up and at the end.
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
reps=${REPS:-7} conc=${CONC:-2} duration=${DURATION:-60} nseg=${N_SEGMENTS:-10}
model=$shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx
py=/usr/bin/python3

# the photo at the model's size, and the explain request for it
$py - "$shared/images/chelsea.png" "$work" "$nseg" <<'PY'
import json, sys
from PIL import Image
import numpy as np
img = np.asarray(Image.open(sys.argv[1]).convert("RGB").resize((224, 224), Image.BICUBIC))
Image.fromarray(img).save(f"{sys.argv[2]}/c224.png")
kw = {"n_segments": int(sys.argv[3]), "compactness": 10, "sigma": 0.5, "start_label": 0}
json.dump({"instances": [img.tolist()], "parameters": {"segmentation_kwargs": kw, "seed": 0}},
          open(f"{sys.argv[2]}/body.json", "w"))
PY

# start_server LOG ARGS...: runs anchor serve on a free port, sets $port and $pid
start_server() {
  local log=$1; shift
  "$bin" serve --port 0 "$@" 2>"$log" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 600); do
    port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$log" | sed 's/.*://' || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "server did not start: $(cat "$log")" >&2; exit 1
}

# p50 URL: median client latency of $reps sequential explain requests after one warm-up
p50() {
  $py - "$1" "$work/body.json" "$reps" <<'PY'
import json, sys, time, urllib.request
url, body, reps = sys.argv[1], open(sys.argv[2], "rb").read(), int(sys.argv[3])
def one():
    t = time.perf_counter()
    r = urllib.request.urlopen(urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}))
    d = json.load(r)
    return time.perf_counter() - t, d["stats"]["seconds_explain"], d["data"]["raw"]["feature"]
one()
runs = sorted(one() for _ in range(reps))
print(f"{runs[len(runs) // 2][0]:.4f} {sorted(r[1] for r in runs)[len(runs) // 2]:.4f} {runs[0][2]}")
PY
}

rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$1/status"; }

echo "chelsea 224x224, SqueezeNet 1.1, slic n_segments=$nseg, seed 0; $reps requests per figure; $(nproc) cores"
lib=()
for _ in $(seq "$reps"); do
  lib+=("$("$bin" explain "$work/c224.png" --model "$model" --preprocess raw-bgr --seed 0 \
    --seg-arg n_segments="$nseg" --seg-arg compactness=10 --seg-arg sigma=0.5 --seg-arg start_label=0 \
    -o "$work/out" | awk '/^seconds:/ {print $2}')")
done
libt=$(printf '%s\n' "${lib[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "anchor explain --model (fresh process, cold plans; explain call only): median ${libt} s"

start_server "$work/model.log" --model "$model" --preprocess raw-bgr --name sq --workers "$conc"
mport=$port mpid=$pid
read -r inproc inexp anchor <<<"$(p50 "http://127.0.0.1:$mport/v1/models/sq:explain")"
echo "model mode: p50 latency ${inproc} s, library's warm explain inside ${inexp} s, anchor $anchor; latency / explain $(awk -v a="$inproc" -v b="$inexp" 'BEGIN {printf "%.2f", a / b}')x"
for proto in v2 v1; do
  start_server "$work/ex_$proto.log" --model_name sq --predictor_host "127.0.0.1:$mport" --predictor_protocol "$proto" \
    --host 127.0.0.1 --workers "$conc"
  read -r t e a <<<"$(p50 "http://127.0.0.1:$port/v1/models/sq:explain")"
  echo "remote $proto ($([ $proto = v2 ] && echo binary || echo JSON)) predictor: p50 ${t} s (explain inside ${e} s), anchor $a; ratio to model mode $(awk -v a="$t" -v b="$inproc" 'BEGIN {printf "%.2f", a / b}')x"
done

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/body.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
echo "load: wrk -t1 -c$conc -d${duration}s against model mode (--workers $conc); RSS after warm-up $(rss "$mpid")"
wrk -t1 -c"$conc" -d"${duration}s" --timeout 300s --latency -s "$work/post.lua" \
  "http://127.0.0.1:$mport/v1/models/sq:explain" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in|Socket errors" || true
echo "RSS at the end $(rss "$mpid")"
