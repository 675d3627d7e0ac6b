#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference outputs for anchor's quickshift, felzenszwalb and numpy-RNG emulation, from
Debian's scikit-image 0.19.3 / numpy 1.24.

Run from the repository root:  /usr/bin/python3 tools/make_segment_fixtures.py [SHARED_DIR]
(SHARED_DIR defaults to ../shared). Writes tests/fixtures/quickshift/ and
tests/fixtures/felzenszwalb/:

  img_<name>.npy.gz     the resized input pixels (uint8, H x W x C, Pillow resize), so the
                        C tests do not depend on our own resize
  <case>.npy.gz         skimage's labels (int32, H x W)
  cases.txt             one case per line: case image dtype key=value...
                        dtype u8 (as stored), f32 (u8 / float32(255)), or u8x1 (the 1-channel
                        image given as such, without alibi's repeat to 3 channels)
  quickshift/rng.txt    numpy.random.default_rng(seed) checks: raw PCG64 words and a hash
                        of many standard normals

Gray images are stored with 1 channel; the tests run them through anchor_segmenter_run,
which repeats them to 3 channels as alibi does before calling skimage (np.repeat here).

numpy picks SVML's pow/cbrt for rgb2lab on AVX-512 machines; those differ from glibc's
libm in the last bit. As tools/make_slic_fixtures.py does, we re-execute with numpy's
AVX-512 dispatch disabled, i.e. compute the references as an AVX2 machine does; the C
library uses libm. (SEGMENT_FIXTURES_KEEP_AVX512=1 keeps SVML, to measure the difference.)
"""
import gzip
import io
import os
import sys

AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
if os.environ.get("NPY_DISABLE_CPU_FEATURES") is None and os.environ.get("SEGMENT_FIXTURES_KEEP_AVX512") is None:
    os.environ["NPY_DISABLE_CPU_FEATURES"] = AVX512
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage.segmentation import felzenszwalb, quickshift  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
FIX = os.path.join(ROOT, "tests", "fixtures")

# name -> (file, size (W, H), Pillow mode)
IMAGES = {
    "chelsea299": ("chelsea.png", (299, 299), "RGB"),
    "astronaut320x240": ("astronaut.png", (320, 240), "RGB"),
    "coffee_gray200x150": ("coffee.png", (200, 150), "L"),
    "rocket160x224": ("rocket.jpg", (160, 224), "RGB"),
}

QUICKSHIFT = [
    ("qs_default_chelsea", "chelsea299", "u8", {}),
    ("qs_lime_chelsea", "chelsea299", "u8", dict(kernel_size=4, max_dist=200, ratio=0.2)),
    ("qs_default_astronaut", "astronaut320x240", "u8", {}),
    ("qs_lime_astronaut", "astronaut320x240", "u8", dict(kernel_size=4, max_dist=200, ratio=0.2)),
    ("qs_default_gray", "coffee_gray200x150", "u8", {}),
    ("qs_lime_gray", "coffee_gray200x150", "u8", dict(kernel_size=4, max_dist=200, ratio=0.2)),
    ("qs_default_f32", "chelsea299", "f32", {}),
    ("qs_lime_f32", "astronaut320x240", "f32", dict(kernel_size=4, max_dist=200, ratio=0.2)),
    ("qs_sigma_rocket", "rocket160x224", "u8", dict(sigma=1.5, kernel_size=3, max_dist=8)),
    ("qs_nolab_rocket", "rocket160x224", "u8",
     dict(convert2lab=False, random_seed=7, ratio=0.5, kernel_size=2.5, max_dist=6)),
    ("qs_nolab_gray1", "coffee_gray200x150", "u8x1", dict(convert2lab=False, kernel_size=3, max_dist=5)),
]

FELZENSZWALB = [
    ("fz_default_chelsea", "chelsea299", "u8", {}),
    ("fz_lime_chelsea", "chelsea299", "u8", dict(scale=100, sigma=0.5, min_size=50)),
    ("fz_default_astronaut", "astronaut320x240", "u8", {}),
    ("fz_lime_astronaut", "astronaut320x240", "u8", dict(scale=100, sigma=0.5, min_size=50)),
    ("fz_default_gray", "coffee_gray200x150", "u8", {}),
    ("fz_gray1", "coffee_gray200x150", "u8x1", dict(scale=50, sigma=0.6, min_size=30)),
    ("fz_default_f32", "chelsea299", "f32", {}),
    ("fz_sigma0_rocket", "rocket160x224", "u8", dict(scale=10, sigma=0, min_size=0)),
    ("fz_sigma0_gray", "coffee_gray200x150", "u8", dict(scale=300, sigma=0, min_size=10)),
    ("fz_big_rocket", "rocket160x224", "f32", dict(scale=500, sigma=2.0, min_size=200)),
]


def save(path, arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))


def load_image(name):
    src, size, mode = IMAGES[name]
    arr = np.asarray(Image.open(os.path.join(SHARED, "images", src)).convert(mode).resize(size))
    if arr.ndim == 2:
        arr = arr[..., None]
    return arr


def as_input(img, dtype):
    """What the C test builds from the stored uint8 image, and what alibi would pass."""
    if dtype == "u8x1":
        return img
    if img.shape[2] == 1:  # alibi repeats a gray image to 3 channels
        img = np.repeat(img, 3, axis=2)
    if dtype == "f32":
        return img.astype(np.float32) / np.float32(255.0)
    return img


def run(method, cases, area):
    out = os.path.join(FIX, area)
    os.makedirs(out, exist_ok=True)
    used = sorted({c[1] for c in cases})
    for name in used:
        save(os.path.join(out, "img_%s.npy.gz" % name), load_image(name))
    lines = []
    for case, image, dtype, kwargs in cases:
        img = as_input(load_image(image), dtype)
        if dtype == "u8x1":
            img = img[..., 0]  # a 2-D gray array, as skimage's own callers pass it
        labels = method(img, **kwargs)
        save(os.path.join(out, case + ".npy.gz"), labels.astype(np.int32))
        kv = " ".join("%s=%s" % (k, v) for k, v in kwargs.items())
        lines.append(("%s %s %s %s" % (case, image, dtype, kv)).rstrip())
        print("%s: %d segments" % (case, labels.max() + 1))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def rng_checks():
    """seed, count, first raw word, hash of count standard normals' bit patterns."""
    lines = []
    for seed in (42, 0, 7, 123456789, 2**31 - 1, 2**32 + 5):
        raw = np.random.PCG64(seed).random_raw(3)
        n = 2_000_000
        z = np.random.default_rng(seed).normal(scale=1.0, size=n)
        bits = z.view(np.uint64)
        # order-sensitive: sum of bits[i] * (2 i + 1) mod 2^64
        h = int(np.sum(bits * (2 * np.arange(n, dtype=np.uint64) + np.uint64(1)), dtype=np.uint64))
        first = " ".join(v.hex() for v in z[:4])
        noise = np.random.default_rng(seed).normal(scale=0.00001, size=5)
        lines.append("%d %d %016x %016x %016x %016x %s %s" % (
            seed, n, raw[0], raw[1], raw[2], h, first, " ".join(v.hex() for v in noise)))
    with open(os.path.join(FIX, "quickshift", "rng.txt"), "w") as f:
        f.write("# seed count raw0 raw1 raw2 hash(normals) normal[0..3] normal(scale=1e-5)[0..4]\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    run(quickshift, QUICKSHIFT, "quickshift")
    run(felzenszwalb, FELZENSZWALB, "felzenszwalb")
    rng_checks()
