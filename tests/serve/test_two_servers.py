# SPDX-License-Identifier: Apache-2.0
"""serve_two_servers: `anchor serve --model` as the KServe predictor and `anchor serve
--predictor_host` (KServe's explainer flags) explaining through it, over v1 JSON and over
v2 with binary tensors: the same anchors as explaining in process; :predict is passed
through unchanged; v2 infer answers JSON and binary alike (checked with curl too)."""
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import BIN, CHELSEA, MODEL, Server, check, need_shared, png_rgb, request

need_shared()
from PIL import Image
import numpy as np

KW = {"n_segments": 8, "compactness": 10, "sigma": 0.5, "start_label": 0}
img = np.asarray(Image.open(CHELSEA).convert("RGB").resize((224, 224), Image.BICUBIC))
body = {"instances": [img.tolist()], "parameters": {"segmentation_kwargs": KW, "seed": 1}}

model = Server("--model", MODEL, "--preprocess", "raw-bgr", "--name", "sq")
servers = [model]
try:
    st, _, raw = request(f"{model.url}/v1/models/sq:explain", body)
    check(st == 200, f"in-process explain answered {st}")
    ref = json.loads(raw)["data"]
    for proto in ("v1", "v2"):
        ex = Server("--model_name", "sq", "--predictor_host", f"127.0.0.1:{model.port}", "--predictor_protocol", proto,
                    "--host", "127.0.0.1")
        servers.append(ex)
        st, _, raw = request(f"{ex.url}/v1/models/sq:explain", body, headers={"x-request-id": "abc-1"})
        check(st == 200, f"explainer over {proto} answered {st}: {raw[:300]}")
        got = json.loads(raw)["data"]
        check(got["raw"]["feature"] == ref["raw"]["feature"] and got["precision"] == ref["precision"] and
              got["coverage"] == ref["coverage"], f"{proto}: same anchor {got['raw']['feature']}, precision, coverage")
        check(got["segments"] == ref["segments"], f"{proto}: same segments")

    # the CLI's remote predictor against the same model server, over both protocols
    import tempfile
    work = tempfile.mkdtemp(prefix="anchor_serve_cli.")
    Image.fromarray(img).save(f"{work}/c224.png")
    for url in (f"{model.url}/v2/models/sq/infer", f"127.0.0.1:{model.port}/v1/models/sq:predict"):
        cmd = [BIN, "explain", f"{work}/c224.png", "--predictor-url", url, "--seed", "1", "-o", f"{work}/out"]
        for k, v in KW.items():
            cmd += ["--seg-arg", f"{k}={v}"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        got = json.load(open(f"{work}/out/explanation.json"))["data"]
        check(got["raw"]["feature"] == ref["raw"]["feature"] and got["precision"] == ref["precision"] and
              got["coverage"] == ref["coverage"], f"anchor explain --predictor-url {url}: same anchor")
    subprocess.run(["rm", "-rf", work])

    # :predict through the explainer equals the model's own answer
    one = {"instances": [img.tolist()]}
    st, _, a = request(f"{model.url}/v1/models/sq:predict", one)
    st2, _, b = request(f"{servers[1].url}/v1/models/sq:predict", one)
    pa, pb = json.loads(a)["predictions"], json.loads(b)["predictions"]
    check(st == st2 == 200 and pa == pb and len(pa[0]) == 1000, ":predict passed through unchanged")
    top = int(np.argmax(pa[0]))
    check(top == ref["raw"]["instance_label"], f"predicted class {top} is the explained one")

    # v2 infer: JSON data and binary data agree with v1 (float32 scores)
    v2json = {"inputs": [{"name": "input", "shape": [1, 224, 224, 3], "datatype": "UINT8",
                          "data": img.reshape(-1).tolist()}]}
    st, _, raw = request(f"{model.url}/v2/models/sq/infer", v2json)
    out = json.loads(raw)["outputs"][0]
    check(st == 200 and out["shape"] == [1, 1000] and out["datatype"] == "FP32", "v2 JSON infer: [1, 1000] FP32")
    check(np.allclose(out["data"], pa[0], rtol=0, atol=0), "v2 JSON scores equal v1's")
    head = json.dumps({"inputs": [{"name": "input", "shape": [1, 224, 224, 3], "datatype": "UINT8",
                                   "parameters": {"binary_data_size": img.size}}],
                       "parameters": {"binary_data_output": True}}).encode()
    open("/tmp/anchor_v2_req.bin", "wb").write(head + img.tobytes())
    r = subprocess.run(["curl", "-sS", "-D", "/tmp/anchor_v2_hdr.txt", "-H", f"Inference-Header-Content-Length: {len(head)}",
                        "-H", "Content-Type: application/octet-stream", "--data-binary", "@/tmp/anchor_v2_req.bin",
                        f"{model.url}/v2/models/sq/infer"], capture_output=True, check=True).stdout
    hdr = open("/tmp/anchor_v2_hdr.txt").read().lower()
    n = int(hdr.split("inference-header-content-length:")[1].split()[0])
    meta = json.loads(r[:n])
    scores = struct.unpack("<1000f", r[n:])
    check(meta["outputs"][0]["parameters"]["binary_data_size"] == 4000 and np.array_equal(np.float32(scores),
          np.float32(pa[0])), "v2 binary infer through curl: 4000 bytes, the same scores")
    for s in reversed(servers):
        s.stop(0)
    check(any('"POST /v1/models/sq:explain" 200' in l for l in servers[1].log), "the explainer's access log")
finally:
    for s in servers:
        s.kill()
    for f in ("/tmp/anchor_v2_req.bin", "/tmp/anchor_v2_hdr.txt"):
        if os.path.exists(f):
            os.remove(f)
