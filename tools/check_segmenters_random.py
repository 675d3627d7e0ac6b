#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Random cross-check of `anchor segment` against Debian's scikit-image 0.19.3.

  /usr/bin/python3 tools/check_segmenters_random.py BUILD/anchor [N]

Runs quickshift and felzenszwalb on N (default 120) random small images (1 to 39 pixels a
side; uint8 noise, uint8 with three levels so that edge weights tie, float32, float64) with
random parameters, through the CLI and through skimage, and prints every case whose labels
differ. Not part of the test suite (it needs Python); the committed fixtures are.

As tools/make_segment_fixtures.py does, it re-executes itself with numpy's AVX-512 dispatch
disabled: numpy's SVML pow/cbrt (used by rgb2lab) differ from libm's in the last bit, and
on float32 images that can move many quickshift labels. SEGMENT_FIXTURES_KEEP_AVX512=1
keeps SVML, to see those differences.
"""
import os
import subprocess
import sys
import tempfile

AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
if os.environ.get("NPY_DISABLE_CPU_FEATURES") is None and os.environ.get("SEGMENT_FIXTURES_KEEP_AVX512") is None:
    os.environ["NPY_DISABLE_CPU_FEATURES"] = AVX512
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
from skimage.segmentation import felzenszwalb, quickshift  # noqa: E402


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 120
    rng = np.random.default_rng(5)
    work = tempfile.mkdtemp()
    inp, out = os.path.join(work, "in.npy"), os.path.join(work, "out.npy")
    bad = 0
    total = 0
    for it in range(n):
        h, w = rng.integers(1, 40, 2)
        c = 3
        kind = it % 4
        if kind == 0:
            img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        elif kind == 1:
            img = (rng.integers(0, 3, (h, w, c)) * 120).astype(np.uint8)
        elif kind == 2:
            img = rng.random((h, w, c)).astype(np.float32)
        else:
            img = rng.random((h, w, c))
        np.save(inp, img)
        if it % 2 == 0:
            kw = dict(ratio=float(rng.choice([0.0, 0.2, 0.5, 1.0])), kernel_size=float(rng.choice([1, 1.5, 3, 5, 50])),
                      max_dist=float(rng.choice([0.5, 3, 10, 1e6])), sigma=float(rng.choice([0, 0.7])),
                      convert2lab=bool(rng.integers(0, 2)), random_seed=int(rng.integers(0, 100)))
            ref, method = quickshift(img, **kw), 'quickshift'
        else:
            kw = dict(scale=float(rng.choice([0.1, 1, 50, 1000])), sigma=float(rng.choice([0, 0.5, 2])), min_size=int(rng.integers(0, 30)))
            ref, method = felzenszwalb(img, **kw), 'felzenszwalb'
        args = [binary, 'segment', inp, '-o', out, '--method', method]
        for k, v in kw.items():
            args += ['--seg-arg', '%s=%s' % (k, v)]
        r = subprocess.run(args, capture_output=True, text=True)
        total += 1
        if r.returncode != 0:
            print('FAIL rc', r.returncode, r.stderr.strip(), img.shape, img.dtype, kw)
            bad += 1
            continue
        got = np.load(out)
        if got.shape != ref.shape or not (got == ref).all():
            print('DIFF', method, img.shape, img.dtype, kw, (got == ref).mean() if got.shape == ref.shape else 'shape')
            bad += 1
    print('total', total, 'bad', bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
