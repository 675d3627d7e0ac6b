#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference side of bench_slic.sh (Debian's scikit-image 0.19.3).

  bench_slic.py prepare SHARED_DIR WORK   writes the bench inputs as .npy into WORK
  bench_slic.py run IMAGE.npy RUNS [key=value ...]
      times skimage.segmentation.slic in this process (best CPU time of RUNS, after one
      warm-up call, so import and first-call costs are excluded) and prints "seconds K".
      CPU time, like the C driver: numpy and scipy run these calls on one thread.
Values are parsed like anchor's --seg-arg: integers, floats, true/false, "a,b" lists.
"""
import sys
import time

import numpy as np


def prepare(shared, work):
    from PIL import Image
    for name, src, size in (("chelsea299", "chelsea.png", (299, 299)),
                            ("astronaut1000", "astronaut.png", (1000, 1000))):
        img = np.asarray(Image.open("%s/images/%s" % (shared, src)).convert("RGB").resize(size))
        np.save("%s/%s.npy" % (work, name), img)
        np.save("%s/%s_f32.npy" % (work, name), (img / 255.0).astype(np.float32))


def value(text):
    if text in ("true", "false"):
        return text == "true"
    if "," in text:
        return [float(v) for v in text.split(",")]
    try:
        return int(text)
    except ValueError:
        return float(text)


def run(path, runs, args):
    from skimage.segmentation import slic
    img = np.load(path)
    kw = {}
    for a in args:
        k, v = a.split("=", 1)
        kw[k] = value(v)
    if not kw:  # alibi's defaults, as the CLI uses without --seg-arg
        kw = dict(n_segments=10, compactness=10, sigma=0.5, start_label=0)
    labels = slic(img, **kw)
    best = float("inf")
    for _ in range(max(runs, 1)):
        t0 = time.process_time()
        labels = slic(img, **kw)
        best = min(best, time.process_time() - t0)
    print("%.6f %d" % (best, len(np.unique(labels))))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
