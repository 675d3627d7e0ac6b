# SPDX-License-Identifier: Apache-2.0
"""serve_kserve_v1: a KServe v1 explain request, in the form KServe's alibi image sample
sends ({"instances": [image.tolist()]}), to `anchor serve --model` gives the same anchor,
precision and coverage as `anchor explain --model` on the same photo and parameters, through
Python's urllib and through curl; two instances give {"explanations": [...]} in order; the
v2 metadata, health and /metrics routes answer; SIGTERM exits 0."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import BIN, CHELSEA, MODEL, Server, check, need_shared, png_rgb, request

need_shared()
KW = {"n_segments": 8, "compactness": 10, "sigma": 0.5, "start_label": 0}
SEED = 3
work = tempfile.mkdtemp(prefix="anchor_serve_v1.")

# the reference: the CLI on the same photo (resized to the model's 224 x 224 as the server does)
cli = [BIN, "explain", CHELSEA, "--model", MODEL, "--preprocess", "raw-bgr", "--seed", str(SEED), "-o", f"{work}/cli"]
for k, v in KW.items():
    cli += ["--seg-arg", f"{k}={v}"]
subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
ref = json.load(open(f"{work}/cli/explanation.json"))

LABELS = os.path.join(os.path.dirname(MODEL), "imagenet_labels_1000.txt")
srv = Server("--model", MODEL, "--preprocess", "raw-bgr", "--name", "squeezenet", "--labels", LABELS)
try:
    img = png_rgb(CHELSEA)  # 300 x 451: the server resizes it to the model's input
    body = {"instances": [img.tolist()], "parameters": {"segmentation_kwargs": KW, "seed": SEED}}
    st, hd, raw = request(f"{srv.url}/v1/models/squeezenet:explain", body)
    check(st == 200, f"explain answered {st}: {raw[:200]}")
    got = json.loads(raw)
    for key in ("precision", "coverage"):
        check(got["data"][key] == ref["data"][key], f"data.{key} {got['data'][key]} == CLI {ref['data'][key]}")
    for key in ("feature", "precision", "coverage", "instance_label"):
        check(got["data"]["raw"][key] == ref["data"]["raw"][key], f"raw.{key} equals the CLI's")
    names = open(LABELS).read().splitlines()
    check(got["instance_label_name"] == names[ref["data"]["raw"]["instance_label"]],
          f"--labels: instance_label_name {got['instance_label_name']!r}")
    check(got["meta"]["name"] == "AnchorImage" and got["meta"]["params"]["seed"] == SEED, "alibi's meta layout")
    seg = got["data"]["segments"]
    check(len(seg) == 224 and len(seg[0]) == 224, "data.segments is the 224 x 224 label map")
    anchor = got["data"]["anchor"]
    check(len(anchor) == 224 and len(anchor[0][0]) == 3, "data.anchor is the 224 x 224 x 3 picture")

    # curl, the other real client, with the body from a file
    with open(f"{work}/body.json", "w") as f:
        json.dump(body, f)
    out = subprocess.run(["curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                          f"@{work}/body.json", f"{srv.url}/v1/models/squeezenet:explain"],
                         check=True, capture_output=True).stdout
    c = json.loads(out)
    check(c["data"]["raw"]["feature"] == ref["data"]["raw"]["feature"] and
          c["data"]["precision"] == ref["data"]["precision"], "curl gets the same anchor")

    # two instances: a list, in order, each as if alone
    small = img[:224, :224]
    two = {"instances": [small.tolist(), img.tolist()], "parameters": {"segmentation_kwargs": KW, "seed": SEED}}
    st, _, raw = request(f"{srv.url}/v1/models/squeezenet:explain", two)
    check(st == 200, f"two instances answered {st}")
    ex = json.loads(raw)["explanations"]
    check(len(ex) == 2 and ex[1]["data"]["raw"]["feature"] == ref["data"]["raw"]["feature"],
          "two instances: {\"explanations\": [...]}, the second equal to the CLI's")

    # the Open Inference Protocol's metadata and health, and the metrics
    st, _, raw = request(f"{srv.url}/v2/models/squeezenet")
    meta = json.loads(raw)
    check(st == 200 and meta["inputs"][0]["shape"] == [-1, 224, 224, 3] and meta["outputs"][0]["shape"] == [-1, 1000],
          "GET /v2/models/NAME: input and output shapes")
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/squeezenet/ready", "/v2"):
        check(request(srv.url + path)[0] == 200, f"GET {path} 200")
    check(request(f"{srv.url}/v2/models/other/ready")[0] == 404, "another model's name: 404")
    st, hd, raw = request(f"{srv.url}/metrics")
    text = raw.decode()
    check('anchor_requests_total{route="explain",code="200"} 3' in text, "metrics count the three explanations")
    check("anchor_model_images_total" in text and "anchor_memo_hits_total" in text and
          'anchor_request_duration_seconds_bucket{le="+Inf"}' in text, "metrics: model images, memo hits, latency")
    srv.stop(0)
    check(any('"POST /v1/models/squeezenet:explain" 200' in l for l in srv.log), "access log line per request")
finally:
    srv.kill()
    subprocess.run(["rm", "-rf", work])
