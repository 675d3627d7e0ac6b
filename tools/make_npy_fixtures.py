#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write small .npy files with NumPy itself, so the C reader is tested against the
reference writer: every dtype we accept, versions 1.0 and 2.0, 2-D/3-D/4-D shapes.
Values are arange(count) cast to the dtype, so the test can check them without Python.
Usage: tools/make_npy_fixtures.py tests/fixtures/npy"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
cases = [
    ("u8_hw", np.uint8, (5, 7), (1, 0)),
    ("i32_hw", np.int32, (4, 3), (1, 0)),
    ("i64_hwc", np.int64, (2, 3, 1), (1, 0)),
    ("f32_hwc", np.float32, (3, 4, 3), (1, 0)),
    ("f64_nhwc", np.float64, (2, 3, 2, 3), (1, 0)),
    ("u16_hw_v2", np.uint16, (6, 2), (2, 0)),
    ("f32_hw_v2", np.float32, (3, 3), (2, 0)),
]
for name, dt, shape, ver in cases:
    a = (np.arange(int(np.prod(shape))) % 251).astype(dt).reshape(shape)
    with open(os.path.join(out, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=ver, allow_pickle=False)
# malformed inputs
good = open(os.path.join(out, "u8_hw.npy"), "rb").read()
open(os.path.join(out, "bad_truncated.npy"), "wb").write(good[:-5])
with open(os.path.join(out, "bad_fortran.npy"), "wb") as f:
    np.lib.format.write_array(f, np.asfortranarray(np.zeros((3, 4), np.int32)), version=(1, 0))
with open(os.path.join(out, "bad_bigendian.npy"), "wb") as f:
    np.lib.format.write_array(f, np.zeros((3, 4), ">i4"), version=(1, 0))
with open(os.path.join(out, "bad_complex.npy"), "wb") as f:
    np.lib.format.write_array(f, np.zeros((3, 4), np.complex64), version=(1, 0))
open(os.path.join(out, "bad_magic.npy"), "wb").write(b"NOTNUMPY" + good[8:])
