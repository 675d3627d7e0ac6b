#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference outputs for anchor's SLIC and its filters, from Debian's scikit-image 0.19.3.

Run from the repository root:  /usr/bin/python3 tools/make_slic_fixtures.py [SHARED_DIR]
(SHARED_DIR defaults to ../shared). Writes tests/fixtures/slic/:

  img_<name>.npy.gz        the resized input pixels (uint8, H x W x C), so the C test does
                           not depend on our own resize
  lab_*.npy.gz, gauss_*    rgb2lab and gaussian_filter references on small random arrays
  lab_*/gauss_*/kernel_*   (see filters.txt for what each one is)
  labels_<case>.npy.gz     skimage.segmentation.slic's labels (int32, H x W)
  cases.txt                one case per line: name image dtype key=value...

numpy picks SVML's exp/pow/cbrt on AVX-512 machines; those differ from glibc's libm in
the last bit. We generate the references with numpy's AVX-512 dispatch disabled, i.e. as
an AVX2 machine (like the one that produced ../shared/fixtures/alibi) computes them; the
C library uses libm, so it matches that bit for bit on every machine. The script
re-executes itself with NPY_DISABLE_CPU_FEATURES set before numpy is imported.
"""
import gzip
import io
import os
import sys

AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
if os.environ.get("NPY_DISABLE_CPU_FEATURES") is None and os.environ.get("SLIC_FIXTURES_KEEP_AVX512") is None:
    os.environ["NPY_DISABLE_CPU_FEATURES"] = AVX512
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import scipy.ndimage as ndi  # noqa: E402
from PIL import Image  # noqa: E402
from skimage.color import rgb2lab  # noqa: E402
from skimage.segmentation import slic  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
OUT = os.path.join(ROOT, "tests", "fixtures", "slic")


def save(name, arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    with open(os.path.join(OUT, name + ".npy.gz"), "wb") as f:
        # mtime=0: the same input gives the same bytes
        f.write(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))


def load_resized(src, size, mode):
    img = Image.open(os.path.join(SHARED, "images", src)).convert(mode).resize(size)
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    return arr


def filters():
    rng = np.random.default_rng(20240601)
    lines = []
    x64 = rng.random((23, 31, 3))
    # include exact knees and extremes
    x64[0, 0] = (0.0, 1.0, 0.04045)
    x64[0, 1] = (0.5, 0.04045 + 1e-9, 1e-6)
    x32 = x64.astype(np.float32)
    save("filt_in_f64", x64)
    save("filt_lab_f64", rgb2lab(x64))
    save("filt_lab_f32", rgb2lab(x32))
    lines.append("lab filt_in_f64 -> filt_lab_f64 (float64) and float32(filt_in_f64) -> filt_lab_f32")
    # slic-style: a 1 x H x W x C volume, sigmas as numpy scalars of the image type
    for tag, sig in (("a", (0.5, 0.5, 0.5)), ("b", (0.3, 0.3, 0.15)), ("c", (1.7, 2.3, 0.9)), ("d", (0.0, 3.1, 0.0))):
        for dt in (np.float64, np.float32):
            img = rgb2lab(x64.astype(dt))[None]
            s = list(np.array(sig, dtype=dt)) + [0]
            out = ndi.gaussian_filter(img, s, mode="reflect")
            name = "filt_gauss_%s_%s" % (tag, "f64" if dt == np.float64 else "f32")
            save(name, out[0])
            lines.append("gauss_zyx %s sigma=%r dtype=%s" % (name, sig, np.dtype(dt).name))
    # quickshift/felzenszwalb-style: H x W x C, Python-float sigmas, tiny image (kernel > image)
    small = x64[:5, :4]
    for dt in (np.float64, np.float32):
        out = ndi.gaussian_filter(small.astype(dt), [3.0, 1.2, 0], mode="reflect")
        save("filt_gauss_small_%s" % ("f64" if dt == np.float64 else "f32"), out)
    with open(os.path.join(OUT, "filters.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# (name, image file, size (w, h), mode, kwargs). Image-level variants are built in C too.
CASES = [
    ("chelsea_alibi", "chelsea", "u8", dict(n_segments=10, compactness=10, sigma=0.5, start_label=0)),
    ("coffee_kserve", "coffee", "u8", dict(n_segments=15, compactness=20, sigma=0.5)),
    ("astronaut_n50", "astronaut", "u8", dict(n_segments=50, compactness=10, sigma=0.5, start_label=0)),
    ("chelsea_n50", "chelsea", "u8", dict(n_segments=50, compactness=10, sigma=0.5, start_label=0)),
    ("chelsea_n100", "chelsea", "u8", dict(n_segments=100)),
    ("coffee_n100_sigma1", "coffee", "u8", dict(n_segments=100, sigma=1.0)),
    ("coffee_sigma0", "coffee", "u8", dict(n_segments=10, compactness=10, sigma=0, start_label=0)),
    ("chelsea_slic_zero", "chelsea", "u8", dict(n_segments=30, slic_zero=True)),
    ("astronaut_slic_zero", "astronaut", "u8", dict(n_segments=60, slic_zero=True, sigma=0.5, start_label=0)),
    ("astronaut_spacing", "astronaut", "u8", dict(n_segments=40, spacing=[2.0, 1.0], sigma=1.0)),
    ("coffee_noconn", "coffee", "u8", dict(n_segments=20, enforce_connectivity=False, sigma=0.5, start_label=0)),
    ("astro200x150_n30", "astro200x150", "u8", dict(n_segments=30, compactness=10, sigma=0.5, start_label=0)),
    ("rocket320x240_n60", "rocket320x240", "u8", dict(n_segments=60, compactness=15, sigma=0.8)),
    ("chelsea_iters", "chelsea", "u8",
     dict(n_segments=25, max_num_iter=3, min_size_factor=0.2, max_size_factor=1.5, start_label=0)),
    ("coffee_nolab", "coffee", "u8", dict(n_segments=20, convert2lab=False, compactness=0.1, sigma=0.5)),
    ("astronaut_n200_c100", "astronaut", "u8", dict(n_segments=200, compactness=100)),
    ("chelsea_gray3_alibi", "chelsea_gray", "gray3", dict(n_segments=10, compactness=10, sigma=0.5, start_label=0)),
    ("chelsea_gray1_n30", "chelsea_gray", "u8", dict(n_segments=30, compactness=0.2, sigma=0.5, start_label=0)),
    ("chelsea_f32_alibi", "chelsea", "f32", dict(n_segments=10, compactness=10, sigma=0.5, start_label=0)),
    ("chelsea_f32_n50_s03", "chelsea", "f32", dict(n_segments=50, compactness=10, sigma=0.3, start_label=0)),
    ("astronaut_f32_slic_zero", "astronaut", "f32", dict(n_segments=40, slic_zero=True, sigma=0.7)),
    ("coffee_f64_scaled", "coffee", "f64s", dict(n_segments=25, compactness=5, sigma=0.5)),
    ("astronaut_f32_scaled", "astronaut", "f32s", dict(n_segments=25, compactness=5, sigma=0.5, start_label=0)),
    # edge cases on tiny random images
    ("tiny_n1", "rand7x5", "u8", dict(n_segments=1, sigma=0.5)),
    ("tiny_more_segments_than_pixels", "rand7x5", "u8", dict(n_segments=1000, compactness=3)),
    ("tiny_no_iterations", "rand7x5", "u8", dict(n_segments=4, max_num_iter=0, start_label=0)),
    ("tiny_no_iterations_noconn", "rand7x5", "u8", dict(n_segments=4, max_num_iter=0, enforce_connectivity=False)),
    ("tiny_big_min_size", "rand7x5", "u8", dict(n_segments=6, min_size_factor=5, compactness=1)),
    ("row1x40", "rand1x40", "u8", dict(n_segments=5, sigma=2.0)),
    ("col40x1", "rand40x1", "u8", dict(n_segments=5, sigma=1.0, start_label=0)),
    ("rgba_nolab", "rand23x17x4", "u8", dict(n_segments=12, compactness=0.5, sigma=0.7)),
    ("rand_f32_tiny_sigma", "rand23x17", "f32", dict(n_segments=9, compactness=1, sigma=0.05)),
    ("rand_gray1_big_sigma", "rand23x17g", "u8", dict(n_segments=9, compactness=0.1, sigma=6.0)),
    ("constant_image", "const30x40", "u8", dict(n_segments=12, sigma=0.5)),
    ("constant_image_f32", "const30x40", "f32", dict(n_segments=12, slic_zero=True)),
]

# dtype variants the C test rebuilds from the uint8 pixels:
#   u8    as stored; gray3 the 1-channel image repeated to 3 channels (alibi)
#   f32   float32(u8 / 255.0)                     (alibi's float32 case)
#   f64s  u8 / 255.0 * 0.5 + 0.2 in float64        (exercises slic's rescale to [0, 1])
#   f32s  float32(u8 / 255.0 * 0.5 + 0.2)


def make_input(u8, dtype):
    if dtype == "u8":
        return u8
    if dtype == "gray3":
        return np.repeat(u8, 3, axis=2)
    if dtype == "f32":
        return (u8 / 255.0).astype(np.float32)
    if dtype == "f64s":
        return u8 / 255.0 * 0.5 + 0.2
    if dtype == "f32s":
        return (u8 / 255.0 * 0.5 + 0.2).astype(np.float32)
    raise ValueError(dtype)


def kw_text(kw):
    out = []
    for k, v in kw.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, list):
            v = ",".join(repr(x) for x in v)
        out.append("%s=%s" % (k, v))
    return " ".join(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    filters()
    images = {
        "chelsea": load_resized("chelsea.png", (299, 299), "RGB"),
        "coffee": load_resized("coffee.png", (299, 299), "RGB"),
        "astronaut": load_resized("astronaut.png", (299, 299), "RGB"),
        "astro200x150": load_resized("astronaut.png", (200, 150), "RGB"),
        "rocket320x240": load_resized("rocket.jpg", (320, 240), "RGB"),
        "chelsea_gray": load_resized("chelsea.png", (299, 299), "L"),
    }
    rng = np.random.default_rng(99)
    images["rand7x5"] = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    images["rand1x40"] = rng.integers(0, 256, (1, 40, 3), dtype=np.uint8)
    images["rand40x1"] = rng.integers(0, 256, (40, 1, 3), dtype=np.uint8)
    images["rand23x17x4"] = rng.integers(0, 256, (23, 17, 4), dtype=np.uint8)
    images["rand23x17"] = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    images["rand23x17g"] = rng.integers(0, 256, (23, 17, 1), dtype=np.uint8)
    images["const30x40"] = np.full((30, 40, 3), 77, dtype=np.uint8)
    for name, arr in images.items():
        save("img_" + name, arr)
    lines = []
    for name, img, dtype, kw in CASES:
        inp = make_input(images[img], dtype)
        labels = slic(inp, channel_axis=-1, **kw)
        save("labels_" + name, labels.astype(np.int32))
        k = len(np.unique(labels))
        lines.append("%s %s %s %s" % (name, img, dtype, kw_text(kw)))
        print("%-26s K=%-4d labels %d..%d" % (name, k, labels.min(), labels.max()))
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# name image dtype kwargs (see tools/make_slic_fixtures.py)\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
