#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""toy_linear.py's model behind the pipe protocol, logging what it receives, for the
exactness tests: per request one line `N DTYPE CRC32 LABELS`, where CRC32 is zlib's CRC
of the request's raw data bytes (exactly the bytes after the .npy header, as
expected.json's predictor.calls[i].crc32) and LABELS the argmax label of each image,
comma-separated. Answers are toy_linear's float64 scores, unchanged.

usage: crc_predictor.py TOY_LINEAR_PY LOGFILE [toy_linear options: --grid --classes --gain
       --centre --bias-scale]"""
import argparse
import importlib.util
import sys
import zlib

import numpy as np

spec = importlib.util.spec_from_file_location("toy_linear", sys.argv[1])
toy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(toy)
log_path = sys.argv[2]
ap = argparse.ArgumentParser()
ap.add_argument("--grid", type=int, default=13)
ap.add_argument("--classes", type=int, default=10)
ap.add_argument("--gain", type=float, default=1.0)
ap.add_argument("--centre", type=float, default=0.5)
ap.add_argument("--bias-scale", type=float, default=0.0)
a = ap.parse_args(sys.argv[3:])
model = toy.ToyLinearSoftmax(a.grid, a.classes, a.gain, a.centre, a.bias_scale)
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
with open(log_path, "a") as log:
    while True:
        try:
            x = toy.read_npy(stdin)
        except toy.ProtocolError as e:
            print(f"crc_predictor: {e}", file=sys.stderr)
            sys.exit(2)
        if x is None:
            sys.exit(0)
        crc = zlib.crc32(np.ascontiguousarray(x).tobytes()) & 0xFFFFFFFF
        s = model(x)
        labels = ",".join(str(int(v)) for v in np.argmax(s, axis=1)) if len(s) else "-"
        log.write(f"{x.shape[0]} {x.dtype.name} {crc:08x} {labels}\n")
        log.flush()
        stdout.write(toy.npy_bytes(s.astype("<f8")))
        stdout.flush()
