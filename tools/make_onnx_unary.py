#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Unary operators (Erf, Sqrt, Exp, Log, Reciprocal, Pow with a constant exponent, Neg, Elu,
Selu, Softplus, Softsign) as tiny ONNX files with PyTorch 1.13's outputs, written at test time
into the directory given as the only argument, for tests/onnx (onnx_unary). Each operator
runs standalone and after a Conv (where the engine fuses it as a post-op), and Erf also in
the exact-GELU pattern PyTorch exports (x * 0.5 * (1 + erf(x / sqrt 2))).

Writes DIR/NAME.onnx, NAME.in.npy, NAME.out.npy and DIR/CASES (the format of
tools/make_onnx_hostile.py). Needs Debian's python3-onnx (1.12) and torch.
"""
import os
import sys

import numpy as np
import onnx  # noqa: F401
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
np.random.seed(1)
lines = []


def good(name, nodes, x, y, inits=(), opset=13):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_unary")
    m.ir_version = 7
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())
    np.save(os.path.join(OUT, name + ".in.npy"), np.ascontiguousarray(x, np.float32))
    np.save(os.path.join(OUT, name + ".out.npy"), np.ascontiguousarray(y, np.float32))
    lines.append("\t".join([name, "OK", "-", "-"]))


T = torch.from_numpy
x_any = np.random.randn(2, 3, 6, 6).astype(np.float32) * 2
x_pos = np.random.uniform(0.5, 3, (2, 3, 6, 6)).astype(np.float32)
two = np.array(2.0, np.float32)
# name, attributes, extra inputs (name, value), input, torch reference
ops = [
    ("Erf", {}, [], x_any, torch.erf),
    ("Sqrt", {}, [], x_pos, torch.sqrt),
    ("Exp", {}, [], x_any, torch.exp),
    ("Log", {}, [], x_pos, torch.log),
    ("Reciprocal", {}, [], x_pos, torch.reciprocal),
    ("Pow", {}, [("e", two)], x_any, lambda t: torch.pow(t, 2.0)),
    ("Neg", {}, [], x_any, torch.neg),
    ("Elu", {"alpha": 0.7}, [], x_any, lambda t: F.elu(t, 0.7)),
    ("Selu", {}, [], x_any, F.selu),
    ("Softplus", {}, [], x_any, F.softplus),
    ("Softsign", {}, [], x_any, F.softsign),
]
w = (np.random.randn(4, 3, 3, 3) * 0.3).astype(np.float32)
for op, attrs, extra, x, ref in ops:
    ins = ["x"] + [k for k, _ in extra]
    with torch.inference_mode():
        y = ref(T(x)).numpy()
    good(op.lower(), [helper.make_node(op, ins, ["y"], **attrs)], x, y, inits=extra)
    if op in ("Log", "Sqrt", "Reciprocal"):
        continue  # a Conv output has both signs
    ins = ["c"] + [k for k, _ in extra]
    with torch.inference_mode():
        y = ref(F.conv2d(T(x), T(w))).numpy()
    good("conv_" + op.lower(), [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node(op, ins, ["y"], **attrs)],
         x, y, inits=[("w", w)] + extra)

# exact GELU as torch.onnx exports it at opset 13
half, one, sqrt2 = (np.array(v, np.float32) for v in (0.5, 1.0, 1.4142135381698608))
with torch.inference_mode():
    y = F.gelu(T(x_any)).numpy()
good("gelu_erf", [helper.make_node("Div", ["x", "s2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
                  helper.make_node("Add", ["e", "one"], ["a"]), helper.make_node("Mul", ["x", "a"], ["m"]),
                  helper.make_node("Mul", ["m", "half"], ["y"])],
     x_any, y, inits=[("s2", sqrt2), ("one", one), ("half", half)])

with open(os.path.join(OUT, "CASES"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("%d cases in %s" % (len(lines), OUT))
