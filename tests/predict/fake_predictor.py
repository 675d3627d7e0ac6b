#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A misbehaving predictor for the pipe tests: speaks the .npy pipe protocol
(../../../shared/fixtures/alibi/README.md) but fails in the way MODE says.

Scores for a good answer: (N, 3) float64, row i = [m, 1 - m, 0.5] where m is the mean
of image i scaled to [0, 1]; so tests can check the values and the row order.

Modes: ok, labels, f32, crash, segv, hang, hang-later, wrong-n, wrong-shape, int-scores,
f16, nan, garbage, truncated, exit-now, stderr-flood, early, count (answers ok and
appends N to the file given as the 2nd argument), stubborn (ignores SIGTERM and hangs),
fork-hang (a forked worker and the parent both hang), fork-exit (leaves a forked worker
sleeping and exits 4), classes-change (3 classes, then 4 from the 2nd request on), inf,
flood-crash (1 MB of stderr, then exit 5), bool, zero-classes, huge (claims 2^40 classes).
Any further argument is ignored (tests pass a token to find leftover processes)."""
import ast
import os
import signal
import sys
import time

import numpy as np

mode = sys.argv[1]
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer


def read_exact(n):
    out = b""
    while len(out) < n:
        b = stdin.read(n - len(out))
        if not b:
            break
        out += b
    return out


def read_header():
    magic = read_exact(6)
    if not magic:
        return None
    ver = read_exact(2)
    hlen = int.from_bytes(read_exact(2 if ver[0] == 1 else 4), "little")
    h = ast.literal_eval(read_exact(hlen).decode("latin1"))
    return np.dtype(h["descr"]), h["shape"]


def read_data(dt, shape):
    n = int(np.prod(shape)) * dt.itemsize
    return np.frombuffer(read_exact(n), dtype=dt).reshape(shape)


def npy(arr):
    import io
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), version=(1, 0), allow_pickle=False)
    return buf.getvalue()


def scores(x):
    x = x.astype(np.float64)
    if x.size and x.max() > 1.5:
        x = x / 255.0
    m = x.reshape(x.shape[0], -1).mean(axis=1) if x.shape[0] else np.zeros(0)
    return np.stack([m, 1 - m, np.full_like(m, 0.5)], axis=1)


def send(arr):
    stdout.write(npy(arr))
    stdout.flush()


if mode == "exit-now":
    sys.exit(0)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stderr.write("ignoring SIGTERM\n")
    sys.stderr.flush()
    time.sleep(1000)
if mode in ("fork-hang", "fork-exit"):
    if os.fork() == 0:  # a worker, in our process group, that outlives us
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.close(0)
        os.close(1)
        time.sleep(1000)
        os._exit(0)
    if mode == "fork-exit":
        sys.stderr.write("started a worker, leaving\n")
        sys.exit(4)
    time.sleep(1000)
if mode == "flood-crash":
    sys.stderr.write(("noise " * 20 + "\n") * 9000)
    sys.stderr.write("the real error: model file corrupt\n")
    sys.exit(5)
if mode == "stderr-flood":
    sys.stderr.write(("chatter " * 16 + "\n") * 8000)  # ~1 MB before reading anything
    sys.stderr.flush()
n_req = 0
while True:
    hd = read_header()
    if hd is None:
        sys.exit(0)
    dt, shape = hd
    n_req += 1
    if mode == "early":
        send(scores(np.zeros((shape[0], 1))))
        time.sleep(1)  # the caller sees the answer while most of its request is unwritten
    x = read_data(dt, shape)
    n = shape[0]
    s = scores(x)
    if mode in ("ok", "stderr-flood", "early") or (mode == "hang-later" and n_req == 1):
        if mode != "early":
            send(s)
    elif mode == "count":
        with open(sys.argv[2], "a") as f:
            f.write(f"{n}\n")
        send(s)
    elif mode == "labels":
        send(np.argmax(s, axis=1).astype("<i8"))
    elif mode == "f32":
        send(s.astype("<f4"))
    elif mode == "crash":
        sys.stderr.write("Traceback (most recent call last):\n  File \"model.py\", line 1\nValueError: boom in the model\n")
        sys.exit(3)
    elif mode == "segv":
        sys.stderr.write("about to die\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode in ("hang", "hang-later"):
        sys.stderr.write("thinking forever\n")
        sys.stderr.flush()
        time.sleep(1000)
    elif mode == "wrong-n":
        send(np.zeros((n + 1, 3)))
    elif mode == "wrong-shape":
        send(np.zeros((n, 3, 1)))
    elif mode == "int-scores":
        send(np.zeros((n, 3), dtype="<i8"))
    elif mode == "f16":
        send(np.zeros((n, 3), dtype="<f2"))
    elif mode == "classes-change":
        send(s if n_req == 1 else np.zeros((n, 4)))
    elif mode == "inf":
        s[0, 0] = np.inf
        send(s)
    elif mode == "bool":
        send(np.zeros((n, 3), dtype=bool))
    elif mode == "zero-classes":
        send(np.zeros((n, 0)))
    elif mode == "huge":
        hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, 1099511627776), }" % n
        hdr = hdr + " " * (117 - len(hdr)) + "\n"
        stdout.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
        stdout.flush()
        time.sleep(5)
    elif mode == "nan":
        s[n // 2, 1] = np.nan
        send(s)
    elif mode == "garbage":
        stdout.write(b"hello, I am not a numpy array\n" * 4)
        stdout.flush()
        time.sleep(5)
    elif mode == "truncated":
        b = npy(s)
        stdout.write(b[: len(b) - 5])
        stdout.flush()
        sys.stderr.write("oops, cut short\n")
        sys.exit(1)
    else:
        sys.stderr.write(f"unknown mode {mode}\n")
        sys.exit(2)
