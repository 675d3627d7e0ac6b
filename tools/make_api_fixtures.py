#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write the NumPy answers that the public API's array helpers must reproduce:
anchor_image_convert against ndarray.astype(float32 / float64), anchor_image_stack against
np.concatenate(axis=0), and anchor_prediction_top_k against np.argsort(-scores,
kind="stable") (equal scores keep the lower class first).
Usage: tools/make_api_fixtures.py tests/fixtures/api"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(8)


def save(name, a):
    with open(os.path.join(out, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(a), version=(1, 0), allow_pickle=False)


# sources in every dtype the library holds, with values that float32 must round
sources = {
    "u8": rng.integers(0, 256, (1, 4, 5, 3)).astype(np.uint8),
    "u16": rng.integers(0, 65536, (3, 7)).astype(np.uint16),
    "i32": np.concatenate([rng.integers(-2**31, 2**31, 19), [2**31 - 1, -2**31]]).astype(np.int32).reshape(3, 7),
    "i64": np.concatenate([rng.integers(-2**62, 2**62, 17),
                           [2**53 + 1, 2**53 + 3, 2**24 + 1, -(2**60) - 12345]]).astype(np.int64).reshape(3, 7),
    "f32": (rng.standard_normal((2, 3, 2, 3)) * 1e3).astype(np.float32),
    "f64": np.concatenate([rng.standard_normal(18) * 10.0 ** rng.integers(-40, 38, 18),
                           [1 / 3, 16777217.0, -0.0]]).reshape(3, 7),
}
for name, a in sources.items():
    save(f"convert_{name}", a)
    save(f"convert_{name}_f32", a.astype(np.float32))
    save(f"convert_{name}_f64", a.astype(np.float64))

# three parts of one H x W x C, one of them a batch
parts = [rng.standard_normal((2, 3, 4, 3)).astype(np.float32), rng.standard_normal((1, 3, 4, 3)).astype(np.float32),
         rng.standard_normal((3, 3, 4, 3)).astype(np.float32)]
for i, p in enumerate(parts):
    save(f"stack_part{i}", p)
save("stack_all", np.concatenate(parts, axis=0))

# scores full of ties (quarters), one row all equal, one row of distinct values
scores = np.round(rng.random((6, 50)) * 4) / 4
scores[4, :] = 0.5
scores[5, :] = rng.permutation(50) / 50.0
save("topk_scores", scores)
save("topk_order", np.argsort(-scores, axis=1, kind="stable").astype(np.int64))
