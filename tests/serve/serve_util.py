# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the anchor serve tests: start servers on free loopback ports, talk
to them with Python's urllib, stop them with SIGTERM and check they exit 0.

Env: ANCHOR_BIN (the CLI), ANCHOR_SHARED (the shared data folder, for the model tests)."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN = os.environ.get("ANCHOR_BIN", "anchor")
SHARED = os.environ.get("ANCHOR_SHARED", "")
MODEL = os.path.join(SHARED, "models", "squeezenet1.1_fp32_from_winml_fp16.onnx")
CHELSEA = os.path.join(SHARED, "images", "chelsea.png")


def need_shared():
    if not (os.path.exists(MODEL) and os.path.exists(CHELSEA)):
        print(f"SKIP: {MODEL} or {CHELSEA} not found (set ANCHOR_SHARED)")
        sys.exit(77)
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("SKIP: Python's Pillow is not installed (scripts/install-deps.sh installs python3-pil)")
        sys.exit(77)


class Server:
    """`anchor serve ARGS --port 0`; the port is read from its first stderr line."""

    def __init__(self, *args, timeout=120):
        self.log = []
        self.proc = subprocess.Popen([BIN, "serve", "--port", "0", *args], stderr=subprocess.PIPE, text=True)
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError(f"anchor serve {args} exited ({self.proc.wait()}) before listening: {self.log}")
            self.log.append(line)
            m = re.search(r"listening on http://([0-9.]+):(\d+)", line)
            if m:
                self.port = int(m.group(2))
                self.url = f"http://127.0.0.1:{self.port}"
                break
        else:
            raise RuntimeError("anchor serve did not start in time")
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def stop(self, expect=0, timeout=60):
        """SIGTERM, then the exit status must be `expect` within `timeout` seconds."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        assert rc == expect, f"anchor serve exited {rc}, expected {expect}; log:\n{''.join(self.log[-20:])}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def request(url, body=None, headers=None, method=None, timeout=120):
    """(status, headers, body bytes) for any status, via urllib."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def png_rgb(path):
    from PIL import Image
    import numpy as np
    return np.asarray(Image.open(path).convert("RGB"))


class FakePredictor:
    """A KServe v1 predictor on a free port whose behaviour a test chooses: `mode` is
    "ok" (a labels classifier: the label is whether the image's mean exceeds a threshold),
    "slow" (sleeps first), or "garbage" (answers something that is not the protocol).
    Records the headers of every request."""

    def __init__(self, mode="ok", delay=0.0):
        self.mode, self.delay, self.headers, self.calls = mode, delay, [], 0
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(n)
                outer.calls += 1
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                if outer.mode == "slow":
                    time.sleep(outer.delay)
                if outer.mode == "garbage":
                    out = b"<html>certainly not json"
                else:
                    inst = json.loads(raw)["instances"]
                    out = json.dumps({"predictions": [outer.classify(x) for x in inst]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def classify(image):
        # scores of a two-class linear model on the top-left quarter's mean brightness
        import numpy as np
        a = np.asarray(image, dtype=np.float64)
        h, w = a.shape[0] // 2, a.shape[1] // 2
        m = a[:h, :w].mean() / 255.0
        return [1.0 - m, m]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def small_image(h=32, w=48):
    import numpy as np
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 5 % 256, y * 7 % 256, (x + y) * 3 % 256], axis=-1).astype(np.uint8)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")
