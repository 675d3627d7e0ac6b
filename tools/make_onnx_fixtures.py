#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Tiny random-weight ONNX models, one per operator and attribute variant, with their
inputs and PyTorch 1.13's outputs, for tests/predict/onnx/test_onnx_fixtures.c.

Most models are torch modules exported with torch.onnx.export (the reference output is
the module's own). Variants torch never exports (auto_pad, fp16 initializers, initializers
listed among the graph inputs as IR 3 files do, opset-7 attribute forms, a BatchNorm kept
after a Conv) are built with onnx.helper and their reference is computed with
torch.nn.functional. Writes tests/fixtures/onnx/NAME.onnx, NAME.in.npy.gz,
NAME.out.npy.gz and MANIFEST (one name per line).

Run with Debian's python3 (torch 1.13, onnx 1.12):  /usr/bin/python3 tools/make_onnx_fixtures.py
"""
import gzip
import io
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
torch.manual_seed(0)
np.random.seed(0)
cases = []


def save_npy_gz(path, a):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a, dtype=np.float32))
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(buf.getvalue())


def emit(name, model_bytes, x, y):
    onnx.checker.check_model(onnx.load_from_string(model_bytes))
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model_bytes)
    save_npy_gz(os.path.join(OUT, name + ".in.npy.gz"), x)
    save_npy_gz(os.path.join(OUT, name + ".out.npy.gz"), y)
    cases.append(name)


def export(name, module, shape, opset=13, dynamic=False, **kw):
    module.eval()
    for p in module.parameters():  # small random weights keep values in a sane range
        p.data = torch.randn_like(p) * 0.3
    for b in module.buffers():
        if b.dtype == torch.float32:
            b.data = torch.rand_like(b) * 0.5 + 0.5
    x = torch.randn(*shape)
    with torch.inference_mode():
        y = module(x)
    f = io.BytesIO()
    dyn = {"x": {0: "batch"}, "y": {0: "batch"}} if dynamic else None
    torch.onnx.export(module, x, f, opset_version=opset, input_names=["x"], output_names=["y"],
                      dynamic_axes=dyn, do_constant_folding=True, **kw)
    emit(name, f.getvalue(), x.numpy(), y.numpy())


class Lambda(nn.Module):
    def __init__(self, fn, *mods):
        super().__init__()
        self.fn = fn
        self.mods = nn.ModuleList(mods)

    def forward(self, x):
        return self.fn(x, *self.mods)


# ---- Conv variants ------------------------------------------------------------------------
export("conv_basic", nn.Conv2d(3, 8, 3, padding=1), (2, 3, 12, 12))
export("conv_stride2", nn.Conv2d(3, 8, 3, stride=2), (2, 3, 13, 13))
export("conv_groups", nn.Conv2d(8, 12, 3, padding=1, groups=4), (2, 8, 9, 9))
export("conv_depthwise", nn.Conv2d(8, 16, 3, padding=1, groups=8, bias=False), (2, 8, 10, 10))
export("conv_dilation", nn.Conv2d(4, 6, 3, padding=2, dilation=2), (1, 4, 11, 11))
export("conv_rect", nn.Conv2d(4, 6, (1, 7), padding=(0, 3)), (1, 4, 9, 9))
export("conv_1x1_opset9", nn.Conv2d(16, 8, 1), (2, 16, 5, 5), opset=9)

# ---- activations (standalone and fused into a Conv) -----------------------------------
export("relu", nn.ReLU(), (2, 4, 5, 5), opset=7)
export("leakyrelu", nn.LeakyReLU(0.2), (2, 4, 5, 5))
export("sigmoid", nn.Sigmoid(), (2, 4, 5, 5))
export("hardsigmoid", nn.Hardsigmoid(), (2, 4, 5, 5) , opset=13)
export("hardswish", nn.Hardswish(), (2, 4, 5, 5), opset=14)
export("clip_relu6", nn.ReLU6(), (2, 4, 5, 5), opset=11)
export("clip_relu6_opset9", nn.ReLU6(), (2, 4, 5, 5), opset=9)
export("conv_relu", nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU()), (2, 3, 8, 8))
export("conv_leakyrelu", nn.Sequential(nn.Conv2d(3, 8, 3), nn.LeakyReLU(0.1)), (2, 3, 8, 8))
export("conv_hardswish", nn.Sequential(nn.Conv2d(3, 8, 3), nn.Hardswish()), (2, 3, 8, 8), opset=14)
export("conv_hardsigmoid", nn.Sequential(nn.Conv2d(3, 8, 3), nn.Hardsigmoid()), (2, 3, 8, 8), opset=14)
export("conv_sigmoid", nn.Sequential(nn.Conv2d(3, 8, 3), nn.Sigmoid()), (2, 3, 8, 8))
export("conv_bn_relu6", nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU6()), (2, 3, 8, 8),
       opset=11)
export("bn_standalone", nn.Sequential(nn.ReLU(), nn.BatchNorm2d(4)), (2, 4, 6, 6))

# ---- broadcasting binaries --------------------------------------------------------------
c411 = torch.randn(4, 1, 1)
c6 = torch.rand(6) + 0.5
export("add_channel", Lambda(lambda x: x + c411), (2, 4, 5, 6))
export("mul_channel_left", Lambda(lambda x: c411 * x), (2, 4, 5, 6))
export("sub_const_left", Lambda(lambda x: c411 - x), (2, 4, 5, 6))
export("div_lastdim", Lambda(lambda x: x / c6), (2, 4, 5, 6))
export("sub_scalar", Lambda(lambda x: x - 0.5), (2, 4, 5, 6))
export("binary_runtime", Lambda(lambda x: (x * torch.sigmoid(x)) / (1.5 + x.abs().clamp(max=1.0)),), (2, 4, 5, 6),
       opset=11)
export("mul_se_broadcast", Lambda(lambda x: x * torch.sigmoid(F.adaptive_avg_pool2d(x, 1))), (2, 4, 5, 6))

# ---- pooling ---------------------------------------------------------------------------
export("maxpool_3s2", nn.MaxPool2d(3, 2), (2, 4, 11, 11))
export("maxpool_ceil", nn.MaxPool2d(3, 2, ceil_mode=True), (2, 4, 12, 12), opset=10)
export("maxpool_pad", nn.MaxPool2d(2, 2, padding=1), (2, 4, 9, 9))
export("maxpool_dilation", nn.MaxPool2d(3, 1, dilation=2), (1, 4, 9, 9), opset=11)
export("avgpool_include_pad", nn.AvgPool2d(3, 1, padding=1), (2, 4, 7, 7))
export("avgpool_exclude_pad", nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 4, 8, 8))
export("avgpool_ceil_include", nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), (2, 4, 8, 8), opset=11)
export("avgpool_ceil_exclude", nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), (2, 4, 7, 7), opset=11)
export("global_avgpool", nn.AdaptiveAvgPool2d(1), (2, 4, 5, 7))
export("global_maxpool", nn.AdaptiveMaxPool2d(1), (2, 4, 5, 7))

# ---- shapes, concat, gemm, softmax, misc --------------------------------------------------
export("concat_axis1", Lambda(lambda x, a, b: torch.cat([a(x), b(x), x], 1), nn.Conv2d(4, 16, 1), nn.Conv2d(4, 8, 3, padding=1)),
       (2, 4, 6, 6))
export("concat_lastaxis", Lambda(lambda x: torch.cat([x, x * 2], -1)), (2, 3, 4, 5))
export("concat_nine", Lambda(lambda x, c: torch.cat([F.relu(c(x) + i) for i in range(9)], 1), nn.Conv2d(3, 4, 1)),
       (2, 3, 5, 5))
export("flatten_gemm", nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10)), (2, 3, 8, 8))
export("view_shape_ops", Lambda(lambda x, l: l(x.view(x.size(0), -1)), nn.Linear(3 * 4 * 4, 5)), (2, 3, 4, 4), opset=9)
export("view_shape_ops_dynamic", Lambda(lambda x, l: l(x.reshape(x.shape[0], -1)), nn.Linear(3 * 4 * 4, 5)), (2, 3, 4, 4),
       opset=13, dynamic=True)
export("matmul_3d", Lambda(lambda x: x @ c6.view(6, 1).expand(6, 3).contiguous() ), (2, 4, 6))
export("transpose", Lambda(lambda x: x.permute(0, 2, 3, 1) * 1.5), (2, 3, 4, 5))
export("squeeze_unsqueeze_11", Lambda(lambda x: F.adaptive_avg_pool2d(x, 1).squeeze(3).squeeze(2).unsqueeze(1)), (2, 4, 5, 5),
       opset=11)
export("squeeze_unsqueeze_13", Lambda(lambda x: F.adaptive_avg_pool2d(x, 1).squeeze(3).squeeze(2).unsqueeze(1)), (2, 4, 5, 5),
       opset=13)
export("softmax_opset11", nn.Softmax(1), (2, 10), opset=11)
export("softmax_opset13_axis1_4d", nn.Softmax(1), (2, 5, 3, 3), opset=13)
export("softmax_lastaxis", nn.Softmax(-1), (2, 3, 7), opset=13)
export("dropout", nn.Sequential(nn.Dropout(0.5), nn.ReLU()), (2, 4, 5, 5), opset=12)
export("pad_constant", Lambda(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)), (2, 3, 5, 5), opset=11)
export("pad_reflect", Lambda(lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect")), (2, 3, 5, 5), opset=11)
export("pad_edge", Lambda(lambda x: F.pad(x, (1, 1, 2, 0), mode="replicate")), (2, 3, 5, 5), opset=11)
export("pad_opset9", Lambda(lambda x: F.pad(x, (1, 2, 0, 1))), (2, 3, 5, 5), opset=9)
export("reducemean_keep", Lambda(lambda x: x.mean((2, 3), keepdim=True)), (2, 4, 5, 6))
export("reducemean_nokeep", Lambda(lambda x: x.mean((2, 3))), (2, 4, 5, 6))
export("constant_of_shape_cast", Lambda(lambda x: x + torch.ones(x.shape[1], dtype=torch.int64).float().view(1, -1, 1, 1)),
       (2, 4, 3, 3), opset=13)


# ---- small nets ---------------------------------------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


export("resnet_blocks", nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.ReLU(), BasicBlock(16, 16, 1), BasicBlock(16, 32, 2),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)), (2, 3, 16, 16))


class InvertedResidual(nn.Module):
    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.body = nn.Sequential(nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
                                  nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.Hardswish())
        self.se1 = nn.Conv2d(h, 4, 1)
        self.se2 = nn.Conv2d(4, h, 1)
        self.proj = nn.Sequential(nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        y = self.body(x)
        s = F.hardsigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(y, 1)))))
        return x + self.proj(y * s)


export("mobilenet_block", nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
                                        nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
                                        nn.Conv2d(8, 16, 1, bias=False), nn.BatchNorm2d(16), InvertedResidual(16, 4),
                                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, 10)),
       (2, 3, 16, 16), opset=14)


class Fire(nn.Module):
    def __init__(self, cin, s, e):
        super().__init__()
        self.sq = nn.Conv2d(cin, s, 1)
        self.e1 = nn.Conv2d(s, e, 1)
        self.e3 = nn.Conv2d(s, e, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.sq(x))
        return torch.cat([F.relu(self.e1(x)), F.relu(self.e3(x))], 1)


export("squeezenet_fire", nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
                                        Fire(16, 8, 16), Fire(32, 8, 16), nn.MaxPool2d(3, 2, ceil_mode=True),
                                        nn.Dropout(0.5), nn.Conv2d(32, 10, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                        nn.Flatten(), nn.Softmax(1)), (2, 3, 33, 33), opset=9)


class MiniInception(nn.Module):
    def __init__(self):
        super().__init__()
        def bc(i, o, k, **kw):
            return nn.Sequential(nn.Conv2d(i, o, k, bias=False, **kw), nn.BatchNorm2d(o, eps=0.001), nn.ReLU())
        self.stem = bc(3, 16, 3, stride=2)
        self.b1 = bc(16, 8, 1)
        self.b5 = nn.Sequential(bc(16, 6, 1), bc(6, 8, 5, padding=2))
        self.b7 = nn.Sequential(bc(16, 6, 1), bc(6, 6, (1, 7), padding=(0, 3)), bc(6, 8, (7, 1), padding=(3, 0)))
        self.bp = bc(16, 8, 1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.b1(x), self.b5(x), self.b7(x), self.bp(F.avg_pool2d(x, 3, 1, 1))], 1)
        x = F.max_pool2d(x, 3, 2)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


export("mini_inception", MiniInception(), (2, 3, 23, 23), opset=13)


# ---- hand-built graphs: what torch never exports -------------------------------------------
def rnd(*shape, scale=0.3):
    return (np.random.randn(*shape) * scale).astype(np.float32)


def build(name, nodes, inits, x, y, opset=13, ir=7, init_as_inputs=False, fp16=False, out_shape=None):  # noqa: E501
    tinits = []
    for k, v in inits.items():
        if fp16 and v.dtype == np.float32 and v.ndim > 1:
            tinits.append(numpy_helper.from_array(v.astype(np.float16), k))
        else:
            tinits.append(numpy_helper.from_array(v, k))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))]
    if init_as_inputs:
        for t in tinits:
            inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape or y.shape))]
    g = helper.make_graph(nodes, name, inputs, outs, tinits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_fixtures")
    m.ir_version = ir
    emit(name, m.SerializeToString(), x, y)


def same_pad(n, k, s, d=1, lower=False):
    out = -(-n // s)
    total = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
    a = total - total // 2 if lower else total // 2
    return a, total - a


x = rnd(2, 3, 11, 11, scale=1.0)
w = rnd(6, 3, 3, 3)
b = rnd(6)
for mode in ("SAME_UPPER", "SAME_LOWER"):
    t0, t1 = same_pad(11, 3, 2, lower=mode == "SAME_LOWER")
    xp = F.pad(torch.from_numpy(x), (t0, t1, t0, t1))
    y = F.conv2d(xp, torch.from_numpy(w), torch.from_numpy(b), stride=2).numpy()
    build("conv_auto_pad_" + mode.lower(), [helper.make_node("Conv", ["x", "w", "b"], ["y"], auto_pad=mode, strides=[2, 2])],
          {"w": w, "b": b}, x, y)
    mp = F.max_pool2d(F.pad(torch.from_numpy(x), (t0, t1, t0, t1), value=-np.inf), 3, 2).numpy()
    build("maxpool_auto_pad_" + mode.lower(),
          [helper.make_node("MaxPool", ["x"], ["y"], auto_pad=mode, kernel_shape=[3, 3], strides=[2, 2])], {}, x, mp)
y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy()
build("conv_auto_pad_valid", [helper.make_node("Conv", ["x", "w", "b"], ["y"], auto_pad="VALID")], {"w": w, "b": b}, x, y)
y = F.conv2d(F.pad(torch.from_numpy(x), (1, 2, 0, 1)), torch.from_numpy(w), torch.from_numpy(b)).numpy()
build("conv_asymmetric_pads", [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[0, 1, 1, 2])], {"w": w, "b": b}, x, y)

# Conv then BatchNormalization kept as separate nodes (folded by the planner), opset 7, IR 3,
# initializers also listed as graph inputs, weights stored as float16.
gamma, beta, mean, var = rnd(6) + 1, rnd(6), rnd(6), np.abs(rnd(6)) + 0.5
w16 = w.astype(np.float16).astype(np.float32)
y = F.relu(F.batch_norm(F.conv2d(torch.from_numpy(x), torch.from_numpy(w16), torch.from_numpy(b), padding=1),
                        torch.from_numpy(mean), torch.from_numpy(var), torch.from_numpy(gamma), torch.from_numpy(beta),
                        eps=1e-3)).numpy()
build("ir3_opset7_fp16_conv_bn_relu",
      [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
       helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], epsilon=1e-3),
       helper.make_node("Relu", ["n"], ["y"])],
      {"w": w, "b": b, "gamma": gamma, "beta": beta, "mean": mean, "var": var}, x, y, opset=7, ir=3,
      init_as_inputs=True, fp16=True)

# Gemm attribute variants
a = rnd(3, 5, scale=1.0)
bm = rnd(5, 4)
cm = rnd(4)
ref = lambda A, B, C, al, be: (al * (A @ B) + be * C).astype(np.float32)
build("gemm_plain", [helper.make_node("Gemm", ["x", "b", "c"], ["y"])], {"b": bm, "c": cm}, a, ref(a, bm, cm, 1, 1))
build("gemm_transB_alpha_beta", [helper.make_node("Gemm", ["x", "b", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
      {"b": bm.T.copy(), "c": cm}, a, ref(a, bm, cm, 0.5, 2.0))
build("gemm_transA_noC", [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0]),
                          helper.make_node("Gemm", ["xt", "b"], ["y"], transA=1)], {"b": bm}, a,
      (a @ bm).astype(np.float32), opset=11)
build("gemm_opset7_scalarC", [helper.make_node("Gemm", ["x", "b", "c"], ["y"], beta=1.0)],
      {"b": bm, "c": np.array([0.25], np.float32)}, a, ref(a, bm, np.float32(0.25), 1, 1), opset=7)
# Clip with attributes (opset 7), Unsqueeze/Squeeze with attributes, Flatten axis 2, Transpose default perm
x4 = rnd(2, 3, 4, 5, scale=2.0)
build("clip_opset7_attrs", [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=1.0)], {}, x4, np.clip(x4, -0.5, 1.0),
      opset=7)
x2 = rnd(2, 1, 4, 5)
build("flatten_axis2", [helper.make_node("Flatten", ["x"], ["y"], axis=2)], {}, x2, x2.reshape(2, 20))
x2 = rnd(2, 3, 4, 2)
build("transpose_default", [helper.make_node("Transpose", ["x"], ["t"]), helper.make_node("Relu", ["t"], ["r"]),
                            helper.make_node("Transpose", ["r"], ["y"])], {}, x2, np.maximum(x2, 0))
x8 = rnd(2, 8, 5, 5, scale=2.0)
build("lrn", [helper.make_node("LRN", ["x"], ["y"], size=5, alpha=1e-2, beta=0.75, bias=2.0)], {}, x8,
      F.local_response_norm(torch.from_numpy(x8), 5, alpha=1e-2, beta=0.75, k=2.0).numpy())
# Constant / Shape / Gather / ConstantOfShape / Cast folded at load time, used to reshape
build("shape_folding",
      [helper.make_node("Shape", ["x"], ["s"]),
       helper.make_node("Constant", [], ["i0"], value=numpy_helper.from_array(np.array(0, np.int64))),
       helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
       helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
       helper.make_node("ConstantOfShape", ["one"], ["m1"], value=numpy_helper.from_array(np.array([-1], np.int64))),
       helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
       helper.make_node("Cast", ["shape"], ["shape64"], to=TensorProto.INT64),
       helper.make_node("Reshape", ["x", "shape64"], ["y"])],
      {"ax": np.array([0], np.int64), "one": np.array([1], np.int64)}, x4, x4.reshape(2, -1))

with open(os.path.join(OUT, "MANIFEST"), "w") as f:
    f.write("\n".join(cases) + "\n")
total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print(f"{len(cases)} fixtures, {total} bytes in {OUT}", file=sys.stderr)


# ---- bad models for tests/predict/onnx/test_onnx_bad.c (not in MANIFEST) ----------------------------
def bad(name, nodes, inputs, inits=(), opset=13, ir=7, outs=None):
    g = helper.make_graph(nodes, name, inputs, outs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_fixtures")
    m.ir_version = ir
    with open(os.path.join(OUT, "bad_" + name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


xin = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])]
bad("unsupported_op", [helper.make_node("Relu", ["x"], ["r"], name="first_relu"),
                       helper.make_node("Einsum", ["r"], ["y"], name="my_einsum", equation="ij->ji")], xin)
bad("symbolic_size", [helper.make_node("Relu", ["x"], ["y"])],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "height", "width"])])
bad("absurd_input", [helper.make_node("Relu", ["x"], ["y"])],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 100000000, 100000000])])
huge = TensorProto()
huge.name, huge.data_type = "w", TensorProto.FLOAT
huge.dims.extend([100000, 100000, 100000, 3])
huge.raw_data = b"\0\0\0\0"
bad("absurd_initializer", [helper.make_node("Conv", ["x", "w"], ["y"])], xin, inits=[huge])
short = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")
short.raw_data = short.raw_data[:100]
bad("short_initializer", [helper.make_node("Conv", ["x", "w"], ["y"])], xin, inits=[short])
bad("two_inputs", [helper.make_node("Reshape", ["x", "x_as_shape"], ["y"])],
    xin + [helper.make_tensor_value_info("x_as_shape", TensorProto.INT64, [2])])
bad("runtime_reshape", [helper.make_node("ReduceMean", ["x"], ["m"], axes=[1, 2, 3], keepdims=0),
                        helper.make_node("Concat", ["m", "m"], ["mm"], axis=0),
                        helper.make_node("Reshape", ["x", "mm"], ["y"], name="reshape_by_data")], xin)
bad("undefined_input", [helper.make_node("Add", ["x", "ghost"], ["y"], name="adds_a_ghost")], xin)
bad("opset_too_new", [helper.make_node("Relu", ["x"], ["y"])], xin, opset=18, ir=8)
bad("ir_too_new", [helper.make_node("Relu", ["x"], ["y"])], xin, ir=9)
bad("conv_channels", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_wrong_channels")], xin,
    inits=[numpy_helper.from_array(np.zeros((4, 5, 3, 3), np.float32), "w")])


# ---- identity models for the preprocessing test (tests/predict/onnx/test_onnx_preprocess.c) --------
def identity(name, shape):
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], name,
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_onnx_fixtures")
    m.ir_version = 7
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


identity("identity_nchw", ["batch", 3, 4, 5])
identity("identity_nhwc", ["batch", 4, 5, 3])
bad("absurd_pads", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_huge_pads", pads=[2**62, 2**62, 2**62, 2**62])],
    xin, inits=[numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")])
bad("absurd_reshape", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape_huge")], xin,
    inits=[numpy_helper.from_array(np.array([2**40, 2**40, -1], np.int64), "s")])
