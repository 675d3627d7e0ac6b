#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Normalisations, reductions, attention and resizing (issue 9) as small ONNX files with
PyTorch 1.13's (or numpy's, for hand-made graphs) outputs, written at test time into the
directory given as the only argument, for the predict_onnx_norm test.

torch modules exported at opsets 13 and 17: LayerNorm (17: LayerNormalization; 13: the
ReduceMean/Sub/Pow/Sqrt/Div decomposition), a ConvNeXt-style channels-last LayerNorm, a
2-block ViT-style encoder (attention with both MatMul operands computed at run time, exact
GELU), batched MatMul with broadcast batch dimensions, InstanceNorm, PReLU, the reductions,
Softmax/LogSoftmax on inner axes, and F.interpolate (nearest, bilinear with and without
align_corners, by scale and by size). Hand-made graphs: the LayerNorm decomposition where an
intermediate has another reader (must run node by node), opset-11 Softmax (flattening
rule), ReduceSumSquare, Upsample (opset 9). And malformed files that must be refused with a
message naming the node (bad axis, mismatched batch dimensions, bad scales, a read
LayerNormalization mean, cubic Resize).

Writes DIR/NAME.onnx, NAME.in.npy, NAME.out.npy and DIR/CASES (tools/make_onnx_hostile.py's
format). Needs Debian's python3-onnx (1.12) and torch.
"""
import io
import math
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore")
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
np.random.seed(3)
torch.manual_seed(3)
lines = []
F32 = TensorProto.FLOAT


def write(name, model_bytes, x, y):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model_bytes)
    np.save(os.path.join(OUT, name + ".in.npy"), np.ascontiguousarray(x, np.float32))
    np.save(os.path.join(OUT, name + ".out.npy"), np.ascontiguousarray(y, np.float32))
    lines.append("\t".join([name, "OK", "-", "-"]))


def export(name, module, x, opsets=(13, 17)):
    """module(x) exported at each opset; the reference is PyTorch's own output."""
    module.eval()
    xt = torch.from_numpy(x)
    with torch.inference_mode():
        y = module(xt).numpy()
    for op in opsets:
        f = io.BytesIO()
        torch.onnx.export(module, xt, f, opset_version=op, input_names=["x"], output_names=["y"])
        write("%s_op%d" % (name, op), f.getvalue(), x, y)


def graph(name, nodes, x_shape, inits=(), opset=13):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F32, list(x_shape))],
                          [helper.make_tensor_value_info("y", F32, None)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_norm")
    m.ir_version = 7
    return m.SerializeToString()


def good(name, nodes, x, y, inits=(), opset=13):
    write(name, graph(name, nodes, x.shape, inits, opset), x, y)


def bad(name, status, needle, nodes, x_shape, inits=(), opset=13):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(graph(name, nodes, x_shape, inits, opset))
    lines.append("\t".join([name, status, needle, "-"]))


def rnd(*shape, scale=1.0):
    return (np.random.randn(*shape) * scale).astype(np.float32)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def randomize(module):
    """Random affine parameters, so that a scale or bias applied wrongly shows."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return module


# ---- LayerNorm -----------------------------------------------------------------------------
ln = randomize(nn.LayerNorm(16))
export("layernorm", ln, rnd(2, 5, 16, scale=3) + 1)
export("layernorm_2d", randomize(nn.LayerNorm([4, 6])), rnd(2, 3, 4, 6))


class ChannelsLastLN(nn.Module):  # ConvNeXt's LayerNorm: permute to NHWC, normalise C, back
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.ln = randomize(nn.LayerNorm(c, eps=1e-6))
        self.fc = nn.Linear(c, 2 * c)  # rank-4 left operand, constant right (ConvNeXt's MLP)

    def forward(self, x):
        x = self.conv(x).permute(0, 2, 3, 1)
        return self.fc(self.ln(x)).permute(0, 3, 1, 2)


export("convnext_ln", ChannelsLastLN(8), rnd(2, 3, 6, 6))

# the decomposition with an intermediate read elsewhere: the nodes run one by one
x = rnd(2, 4, 8, scale=2)
mu = x.mean(-1, keepdims=True)
d = x - mu
ref = d / np.sqrt((d ** 2).mean(-1, keepdims=True) + 1e-5) + d
good("layernorm_decomposed_shared", [
    helper.make_node("ReduceMean", ["x"], ["m"], axes=[-1]), helper.make_node("Sub", ["x", "m"], ["d"]),
    helper.make_node("Pow", ["d", "two"], ["p"]), helper.make_node("ReduceMean", ["p"], ["v"], axes=[-1]),
    helper.make_node("Add", ["v", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["s"]),
    helper.make_node("Div", ["d", "s"], ["n"]), helper.make_node("Add", ["n", "d"], ["y"])],
    x, ref, inits=[("two", np.float32(2)), ("eps", np.float32(1e-5))])


# ---- attention ------------------------------------------------------------------------------
class Attention(nn.Module):  # torchvision's ViT encoder block, with the heads written out
    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.h, self.t, self.dh = heads, tokens, dim // heads
        self.ln1, self.ln2 = randomize(nn.LayerNorm(dim)), randomize(nn.LayerNorm(dim))
        self.q, self.k, self.v, self.proj = (nn.Linear(dim, dim) for _ in range(4))
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        b = x.shape[0]
        y = self.ln1(x)
        q, k, v = (f(y).reshape(b, self.t, self.h, self.dh).transpose(1, 2) for f in (self.q, self.k, self.v))
        a = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dh))
        o = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, self.t, self.h * self.dh)
        x = x + self.proj(o)
        return x + self.mlp(self.ln2(x))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Attention(16, 2, 5), Attention(16, 2, 5))
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.blocks(x).mean(1))


export("vit_2block", Encoder(), rnd(2, 5, 16))


# ---- batched MatMul -------------------------------------------------------------------------
export("matmul_broadcast", Fn(lambda x: x.sum(1, keepdim=True) @ x.transpose(-1, -2)), rnd(2, 3, 4, 5))
export("matmul_rank3", Fn(lambda x: x @ (x * 2).transpose(-1, -2)[:, :, :]), rnd(3, 4, 5))
x = rnd(2, 3, 4)
good("matmul_vec_left", [helper.make_node("MatMul", ["v", "x"], ["y"])], x, np.matmul(np.ones(3, np.float32) * 0.5, x),
     inits=[("v", np.full(3, 0.5, np.float32))])

# MatMul of constants, folded while planning (broadcast batch, 1-D operands)
x = rnd(2, 3, 5)
A, B, v = rnd(3, 4), rnd(2, 4, 5), rnd(4)
good("matmul_const_fold", [helper.make_node("MatMul", ["A", "B"], ["ab"]), helper.make_node("Add", ["x", "ab"], ["y"])],
     x, x + np.matmul(A, B), inits=[("A", A), ("B", B)])
w, x2, x3 = rnd(5), rnd(3, 2, 5), rnd(2, 4)
good("matmul_const_vec_left", [helper.make_node("MatMul", ["v", "B"], ["vb"]), helper.make_node("Mul", ["x", "vb"], ["y"])],
     x2, x2 * np.matmul(v, B), inits=[("v", v), ("B", B)])
good("matmul_const_vec_right", [helper.make_node("MatMul", ["B", "w"], ["bw"]), helper.make_node("Add", ["x", "bw"], ["y"])],
     x3, x3 + np.matmul(B, w), inits=[("B", B), ("w", w)])

# ---- InstanceNorm, PRelu --------------------------------------------------------------------
inorm = nn.InstanceNorm2d(3, affine=True)
randomize(inorm)
export("instancenorm", inorm, rnd(2, 3, 5, 7, scale=2) + 1, opsets=(13,))
pr = nn.PReLU(4)
with torch.no_grad():
    pr.weight.copy_(torch.tensor([0.1, -0.5, 2.0, 0.0]))
export("prelu_channels", nn.Sequential(nn.Conv2d(3, 4, 3), pr), rnd(2, 3, 6, 6), opsets=(13,))
export("prelu_scalar", nn.PReLU(), rnd(2, 3, 4, 4), opsets=(13,))
x = rnd(2, 3, 4, 5)
slope = rnd(4, 1)
good("prelu_broadcast", [helper.make_node("PRelu", ["x", "s"], ["y"])], x, np.where(x < 0, x * slope, x),
     inits=[("s", slope)])

# ---- reductions -----------------------------------------------------------------------------
x = rnd(2, 3, 4, 5)
export("reduce_sum", Fn(lambda t: t.sum(dim=(1, 3), keepdim=True)), x)
export("reduce_sum_drop", Fn(lambda t: t.sum(dim=(2, 3))), x)
export("reduce_mean", Fn(lambda t: t.mean(dim=(1, 3))), x)
export("reduce_max", Fn(lambda t: torch.amax(t, dim=(2, 3))), x)
export("reduce_min", Fn(lambda t: torch.amin(t, dim=1)), x)
export("reduce_prod", Fn(lambda t: torch.prod(t * 0.5 + 1, dim=2)), x)
export("reduce_l1", Fn(lambda t: torch.norm(t, p=1, dim=(1, 2))), x)
export("reduce_l2", Fn(lambda t: torch.norm(t, p=2, dim=3)), x)
export("reduce_logsumexp", Fn(lambda t: torch.logsumexp(t * 4, dim=(1, 3))), x)
good("reduce_sumsquare", [helper.make_node("ReduceSumSquare", ["x"], ["y"], axes=[2, 3], keepdims=1)], x,
     (x.astype(np.float64) ** 2).sum(axis=(2, 3), keepdims=True))
good("reduce_all_keep", [helper.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=1)], x,
     x.astype(np.float64).sum(axis=(1, 2, 3), keepdims=True), inits=[("ax", np.array([1, 2, 3], np.int64))])

good("reduce_sum_noop", [helper.make_node("ReduceSum", ["x"], ["y"], noop_with_empty_axes=1)], x, x)

# ---- Softmax and LogSoftmax -----------------------------------------------------------------
export("softmax_axis1", Fn(lambda t: torch.softmax(t * 3, dim=1)), x)
export("logsoftmax_last", Fn(lambda t: torch.log_softmax(t * 3, dim=-1)), x)
export("logsoftmax_axis2", Fn(lambda t: torch.log_softmax(t, dim=2)), x)
e = np.exp(x.reshape(2, -1) - x.reshape(2, -1).max(1, keepdims=True))
good("softmax_opset11_flatten", [helper.make_node("Softmax", ["x"], ["y"], axis=1)], x,
     (e / e.sum(1, keepdims=True)).reshape(x.shape), opset=11)

# ---- Resize and Upsample ---------------------------------------------------------------------
x = rnd(2, 3, 5, 7)
conv = nn.Conv2d(3, 3, 1)
for name, kw in [("nearest_x2", dict(scale_factor=2, mode="nearest")),
                 ("nearest_x3", dict(scale_factor=3, mode="nearest")),
                 ("nearest_size", dict(size=(8, 11), mode="nearest")),
                 ("bilinear_x2", dict(scale_factor=2, mode="bilinear", align_corners=False)),
                 ("bilinear_x1_5", dict(scale_factor=1.5, mode="bilinear", align_corners=False)),
                 ("bilinear_size", dict(size=(9, 4), mode="bilinear", align_corners=False)),
                 ("bilinear_corners", dict(size=(9, 13), mode="bilinear", align_corners=True)),
                 ("bilinear_down", dict(scale_factor=0.5, mode="bilinear", align_corners=False))]:
    # opset 10 has no sizes input: torch writes size/in as scales, and floor(7 * float(11 / 7)) is 10 by ONNX's
    # rule; nor is its linear mode torch's bilinear
    opsets = (10, 11, 13, 17) if kw["mode"] == "nearest" and "size" not in kw else (11, 13, 17)
    export("resize_" + name, nn.Sequential(conv, Fn(lambda t, kw=kw: F.interpolate(t, **kw))), x, opsets=opsets)
export("resize_linear1d", Fn(lambda t: F.interpolate(t, scale_factor=2, mode="linear", align_corners=False)),
       rnd(2, 3, 6), opsets=(13,))
# ONNX's defaults (half_pixel, round_prefer_floor) and ceil, against numpy
x = rnd(1, 2, 4, 5)
for nm, attrs in [("resize_half_pixel_nearest", {}), ("resize_ceil", dict(coordinate_transformation_mode="asymmetric",
                                                                             nearest_mode="ceil"))]:
    def src(n_out, n_in, ct=attrs.get("coordinate_transformation_mode", "half_pixel"), nm=attrs.get("nearest_mode")):
        s_ = np.float32(n_out) / np.float32(n_in)
        c_ = (np.arange(n_out, dtype=np.float32) + 0.5) / s_ - 0.5 if ct == "half_pixel" else np.arange(n_out) / s_
        i_ = np.ceil(c_) if nm == "ceil" else np.where(c_ - np.floor(c_) == 0.5, np.floor(c_), np.round(c_))
        return np.clip(i_, 0, n_in - 1).astype(int)
    ref = x[:, :, src(7, 4)][:, :, :, src(9, 5)]
    good(nm, [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest", **attrs)], x, ref,
         inits=[("sz", np.array([1, 2, 7, 9], np.int64))])
x = rnd(2, 3, 4, 5)
good("upsample_opset9", [helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")], x,
     x.repeat(2, 2).repeat(3, 3), inits=[("sc", np.array([1, 1, 2, 3], np.float32))], opset=9)
good("upsample_opset7", [helper.make_node("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 3.0, 2.0])], x,
     x.repeat(3, 2).repeat(2, 3), opset=7)

# ---- malformed --------------------------------------------------------------------------------
bad("bad_layernorm_axis", "FORMAT", "ln_axis",
    [helper.make_node("LayerNormalization", ["x", "g"], ["y"], axis=5, name="ln_axis")], [1, 3, 8, 8],
    inits=[("g", np.ones(8, np.float32))], opset=17)
bad("bad_layernorm_mean_read", "UNSUPPORTED", "ln_mean",
    [helper.make_node("LayerNormalization", ["x", "g"], ["n", "mean"], name="ln_mean"),
     helper.make_node("Add", ["n", "mean"], ["y"])], [1, 3, 8, 8], inits=[("g", np.ones(8, np.float32))], opset=17)
bad("bad_layernorm_scale", "UNSUPPORTED", "ln_scale",
    [helper.make_node("LayerNormalization", ["x", "g"], ["y"], name="ln_scale")], [1, 3, 8, 8],
    inits=[("g", np.ones(5, np.float32))], opset=17)
bad("bad_matmul_batch", "FORMAT", "mm_batch",
    [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 3, 2]), helper.make_node("MatMul", ["x", "t"], ["y"], name="mm_batch")],
    [2, 3, 8, 8])
bad("bad_matmul_inner", "FORMAT", "mm_inner", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm_inner")],
    [2, 3, 8, 8], inits=[("w", np.ones((3, 5, 4), np.float32))])
bad("bad_reduce_axis", "FORMAT", "red_axis",
    [helper.make_node("ReduceMax", ["x"], ["y"], axes=[4], name="red_axis")], [1, 3, 8, 8])
bad("bad_reduce_axes_input", "FORMAT", "red_in",  # ReduceMax takes axes as an input from opset 18 only
    [helper.make_node("ReduceMax", ["x", "ax"], ["y"], name="red_in")], [1, 3, 8, 8],
    inits=[("ax", np.array([1], np.int64))])
bad("bad_softmax_axis", "FORMAT", "sm_axis", [helper.make_node("Softmax", ["x"], ["y"], axis=-5, name="sm_axis")],
    [1, 3, 8, 8])
bad("bad_instancenorm_scale", "FORMAT", "in_scale",
    [helper.make_node("InstanceNormalization", ["x", "g", "b"], ["y"], name="in_scale")], [1, 3, 8, 8],
    inits=[("g", np.ones(4, np.float32)), ("b", np.zeros(3, np.float32))])
bad("bad_prelu_slope", "FORMAT", "pr_slope", [helper.make_node("PRelu", ["x", "s"], ["y"], name="pr_slope")],
    [1, 3, 8, 8], inits=[("s", np.ones(5, np.float32))])

bad("bad_resize_scales", "FORMAT", "rs_scales", [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs_scales")],
    [1, 3, 8, 8], inits=[("sc", np.array([1, 1, 2], np.float32))])
bad("bad_resize_negative", "FORMAT", "rs_neg", [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs_neg")],
    [1, 3, 8, 8], inits=[("sc", np.array([1, 1, -2, 2], np.float32))])
bad("bad_resize_huge", "FORMAT", "rs_huge", [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs_huge")],
    [1, 3, 8, 8], inits=[("sc", np.array([1, 1, 1e30, 2], np.float32))])
bad("bad_resize_cubic", "UNSUPPORTED", "rs_cubic",
    [helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="cubic", name="rs_cubic")], [1, 3, 8, 8],
    inits=[("sc", np.array([1, 1, 2, 2], np.float32))])
bad("bad_resize_both", "FORMAT", "rs_both",
    [helper.make_node("Resize", ["x", "", "sc", "sz"], ["y"], name="rs_both")], [1, 3, 8, 8],
    inits=[("sc", np.array([1, 1, 2, 2], np.float32)), ("sz", np.array([1, 3, 16, 16], np.int64))])
bad("bad_resize_linear_channels", "UNSUPPORTED", "rs_lin",
    [helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear", name="rs_lin")], [1, 3, 8, 8],
    inits=[("sc", np.array([1, 2, 2, 2], np.float32))])

with open(os.path.join(OUT, "CASES"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("%d cases in %s" % (len(lines), OUT))
