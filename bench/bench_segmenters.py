#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""skimage side of bench_segmenters.sh.
  bench_segmenters.py prepare SHARED_DIR OUT_DIR   -> writes the bench inputs (.npy)
  bench_segmenters.py run METHOD IMAGE.npy RUNS [key=value ...] -> "best_cpu_seconds K"
      (with BENCH_LABELS set, the labels are saved there)
  bench_segmenters.py compare A.npy B.npy -> percentage of identical labels
(CPU time: the machine may be shared; both sides run on one thread.)
"""
import os
import sys
import time

import numpy as np


def prepare(shared, out):
    from PIL import Image
    for name, src, size in (("chelsea299", "chelsea.png", (299, 299)),
                            ("astronaut1000", "astronaut.png", (1000, 1000))):
        img = Image.open(os.path.join(shared, "images", src)).convert("RGB").resize(size)
        np.save(os.path.join(out, name + ".npy"), np.asarray(img))


def value(v):
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(v.lower(), v)


def run(method, path, runs, kv):
    from skimage import segmentation
    fn = getattr(segmentation, method)
    kwargs = {k: value(v) for k, v in (a.split("=", 1) for a in kv)}
    img = np.load(path)
    best = float("inf")
    for _ in range(max(1, runs)):
        t = time.process_time()
        labels = fn(img, **kwargs)
        best = min(best, time.process_time() - t)
    if os.environ.get("BENCH_LABELS"):
        np.save(os.environ["BENCH_LABELS"], labels.astype(np.int32))
    print("%.6f %d" % (best, labels.max() + 1))


def compare(a, b):
    a, b = np.load(a), np.load(b)
    print("%.4f" % (100.0 * np.mean(a == b) if a.shape == b.shape else 0.0))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
