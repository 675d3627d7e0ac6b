# SPDX-License-Identifier: Apache-2.0
"""serve_faults: explainer mode against a predictor that is down, slower than
--predictor_timeout, or answering garbage: 502/504 with a message naming the predictor,
and the server keeps serving (a healthy predictor afterwards explains fine, with
x-request-id and authorization forwarded on every model call). Then bad requests:
malformed JSON, wrong shapes, unknown or out-of-range parameters, a body over the limit,
a client that stalls or disconnects mid-body, more explanations than --workers (503 with
Retry-After); the server stays up and SIGTERM exits 0. No model needed: the predictor is
a small Python KServe v1 server (serve_util.FakePredictor)."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import FakePredictor, Server, check, request, small_image

img = small_image().tolist()
KW = {"n_segments": 6, "compactness": 10, "sigma": 0.5, "start_label": 0}
good = {"instances": [img], "parameters": {"segmentation_kwargs": KW, "seed": 0, "coverage_samples": 500}}


def explain_url(s):
    return f"{s.url}/v1/models/toy:explain"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


servers, fakes = [], []
try:
    # the predictor down: nothing listens on its port
    down = Server("--model_name", "toy", "--predictor_host", f"127.0.0.1:{free_port()}", "--host", "127.0.0.1")
    servers.append(down)
    st, _, raw = request(explain_url(down), good)
    check(st == 502 and b"127.0.0.1" in raw, f"predictor down: 502 naming it ({raw[:160]})")
    check(request(f"{down.url}/v2/health/live")[0] == 200, "still serving after a 502")

    # slow past --predictor_timeout, then garbage, then good: one explainer each
    slow = FakePredictor("slow", delay=3.0)
    garbage = FakePredictor("garbage")
    ok = FakePredictor("ok")
    fakes += [slow, garbage, ok]
    s1 = Server("--model_name", "toy", "--predictor_host", f"127.0.0.1:{slow.port}", "--predictor_timeout", "0.5",
                "--host", "127.0.0.1")
    servers.append(s1)
    t = time.time()
    st, _, raw = request(explain_url(s1), good)
    check(st == 504 and time.time() - t < 2.5, f"predictor slower than its timeout: 504 in {time.time() - t:.1f} s")
    s2 = Server("--model_name", "toy", "--predictor_host", f"127.0.0.1:{garbage.port}", "--host", "127.0.0.1")
    servers.append(s2)
    st, _, raw = request(explain_url(s2), good)
    check(st == 502 and b"not JSON" in raw, f"garbage answer: 502 ({raw[:160]})")
    check(request(f"{s2.url}/v2/health/ready")[0] == 200, "still serving after garbage")

    s3 = Server("--model_name", "toy", "--predictor_host", f"127.0.0.1:{ok.port}", "--host", "127.0.0.1",
                "--workers", "1", "--max-body-mb", "1", "--client-timeout", "1")
    servers.append(s3)
    st, _, raw = request(explain_url(s3), good, headers={"x-request-id": "req-42", "Authorization": "Bearer t0k"})
    check(st == 200 and json.loads(raw)["meta"]["name"] == "AnchorImage", f"healthy predictor: 200 ({raw[:120]})")
    check(ok.calls > 1 and all(h.get("x-request-id") == "req-42" and h.get("authorization") == "Bearer t0k"
                               for h in ok.headers), f"x-request-id and authorization forwarded on all {ok.calls} calls")

    # bad requests: 4xx with a message naming the problem
    bad = [
        (b"{not json", 400, b"not a JSON object"),
        ({"instances": [[1, 2, 3]]}, 400, b"instances[0] is not an image"),
        ({"instances": [[[[1, 2, 3]], [[1, 2]]]]}, 400, b"instances[0][1][0]"),
        ({"instances": [img, img[:5]], "parameters": {"bogus": 1}}, 400, b"unknown parameter 'bogus'"),
        ({"instances": [img], "parameters": {"batch_size": 10 ** 9}}, 400, b"parameters.batch_size"),
        ({"instances": [img], "parameters": {"threshold": "high"}}, 400, b"parameters.threshold"),
        ({"instances": [img], "parameters": {"segmentation_fn": "watershed"}}, 400, b"watershed"),
        ({"instances": [img], "parameters": {"segmentation_kwargs": {"n_segments": 10 ** 6}}}, 400, b"n_segments"),
        ({"instances": [img] * 17}, 413, b"17 instances"),
        ({"instances": []}, 400, b"empty"),
        ({"images": [img]}, 400, b"instances"),
    ]
    for body, code, needle in bad:
        st, _, raw = request(explain_url(s3), body)
        check(st == code and needle in raw, f"bad request -> {code} mentioning {needle!r} (got {st} {raw[:100]})")
    st, _, raw = request(explain_url(s3), b"[" + b"0," * 600000 + b"0]")
    check(st == 413 and b"limit" in raw, "a body over --max-body-mb: 413")
    check(request(f"{s3.url}/v1/models/toy:nothing", {})[0] == 404, "unknown verb: 404")

    # a client that stalls mid-body is cut off; one that disconnects leaves no trace
    c = socket.create_connection(("127.0.0.1", s3.port))
    c.sendall(b"POST /v1/models/toy:explain HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inst")
    c.settimeout(5)
    t = time.time()
    data = c.recv(100)
    check(data == b"" and time.time() - t < 4, f"stalled client closed after {time.time() - t:.1f} s")
    c.close()
    c = socket.create_connection(("127.0.0.1", s3.port))
    c.sendall(b"POST /v1/models/toy:explain HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"instances\": [[")
    c.close()

    # more explanations than --workers: 503 with Retry-After, the first still answered
    slow.mode, slow.delay = "slow", 0.3
    s4 = Server("--model_name", "toy", "--predictor_host", f"127.0.0.1:{slow.port}", "--host", "127.0.0.1",
                "--workers", "1")
    servers.append(s4)
    first = {}
    th = threading.Thread(target=lambda: first.update(r=request(explain_url(s4), good)))
    th.start()
    time.sleep(0.5)
    st, hd, raw = request(explain_url(s4), good)
    check(st == 503 and hd.get("Retry-After") == "1", f"second explanation with --workers 1: 503 + Retry-After")
    # SIGTERM while the first is running: it finishes, then the server exits 0
    s4.proc.send_signal(15)
    th.join(timeout=60)
    check(first.get("r", (0,))[0] == 200, "in-flight explanation finished during the drain")
    rc = s4.proc.wait(timeout=30)
    check(rc == 0, f"drained and exited {rc}")
    servers.remove(s4)

    check(request(f"{s3.url}/v2/health/live")[0] == 200, "after all that, still serving")
    st, _, raw = request(explain_url(s3), good)
    check(st == 200, "and still explaining")
    for s in servers:
        s.stop(0)
finally:
    for s in servers:
        s.kill()
    for f in fakes:
        f.close()
