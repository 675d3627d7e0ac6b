#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Indexing, comparison and selection operators (Gather, Slice, Split, Tile, Expand, Where,
Equal/Less/Greater/Not/And/Or, Mod, Min/Max/Sum/Mean, Range, ScatterND) as small ONNX files
with reference outputs, written at test time into the directory given as the only argument,
for the predict_onnx_index test (run by test_onnx_hostile).

Two kinds of good cases:
  - torch modules exported by torch 1.13 (opsets 13 and 17, dynamic batch), compared with
    PyTorch's own output: torch.roll, x[:, 0], chunk, repeat, expand + cat (ViT's class
    token), masked where, and Swin-T's shifted-window block without its LayerNorm and
    attention (padding, roll, 6-D window partition, the attention mask built with
    slice assignments, relative position bias gathered from a table). Their shape
    subgraphs (Shape, Gather, Equal, Where, Range, Mod, ScatterND...) must fold.
  - single ONNX nodes compared with numpy: negative indices and steps, broadcasting, the
    same operator on constants (folded) and on the input (run time), Mod's two signs.
Bad cases: indices out of range and inconsistent sizes, refused with a message naming the
node. Writes DIR/NAME.onnx, NAME.in.npy, NAME.out.npy and DIR/CASES (the format of
tools/make_onnx_hostile.py). Needs Debian's python3-onnx (1.12) and torch.
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
np.random.seed(3)
torch.manual_seed(3)
lines = []
F32 = TensorProto.FLOAT


def save_model(name, m):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def save_io(name, x, y):
    np.save(os.path.join(OUT, name + ".in.npy"), np.ascontiguousarray(x, np.float32))
    np.save(os.path.join(OUT, name + ".out.npy"), np.ascontiguousarray(y, np.float32))
    lines.append("\t".join([name, "OK", "-", "-"]))


def graph(name, nodes, x_shape, inits=(), opset=13):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F32, x_shape)],
                          [helper.make_tensor_value_info("y", F32, None)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_index")
    m.ir_version = 7
    return m


def node_case(name, nodes, x, y, inits=(), opset=13):
    """A graph of ONNX nodes; y is numpy's result. The batch dimension is symbolic."""
    save_model(name, graph(name, nodes, ["n"] + list(x.shape[1:]), inits, opset))
    save_io(name, x, y)


def bad(name, status, needle, needle2, nodes, inits=(), opset=13, x_shape=(1, 3, 8, 8)):
    save_model(name, graph(name, nodes, list(x_shape), inits, opset))
    lines.append("\t".join([name, status, needle, needle2 or "-"]))


def torch_case(name, module, x, opsets=(13, 17)):
    module.eval()
    with torch.inference_mode():
        y = module(torch.from_numpy(x)).numpy()
    for opset in opsets:
        buf = io.BytesIO()
        torch.onnx.export(module, torch.from_numpy(x), buf, opset_version=opset, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
        m = onnx.load_from_string(buf.getvalue())
        save_model("%s_op%d" % (name, opset), m)
        save_io("%s_op%d" % (name, opset), x, y)


x4 = np.random.randn(2, 6, 8, 10).astype(np.float32)
i64 = lambda v: np.array(v, np.int64)  # noqa: E731
N = helper.make_node

# ---- torch modules ---------------------------------------------------------------------


class Roll(torch.nn.Module):
    def forward(self, x):
        return torch.roll(x, shifts=(-3, 2), dims=(2, 3)) * 2


class FirstToken(torch.nn.Module):  # ViT's head input: x[:, 0] after flattening
    def forward(self, x):
        t = x.flatten(2).transpose(1, 2)
        return t[:, 0] + t[:, -1]


class Chunk(torch.nn.Module):  # ShuffleNetV2's channel split and shuffle
    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        y = torch.cat((a * 2, b), dim=1)
        n, c, h, w = y.shape
        return y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


class Repeat(torch.nn.Module):
    def forward(self, x):
        return x[:, :2].repeat(1, 2, 1, 3)


class ClassToken(torch.nn.Module):  # ViT: cat(cls.expand(n, -1, -1), x) + position embedding
    def __init__(self):
        super().__init__()
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 6))
        self.pos = torch.nn.Parameter(torch.randn(1, 7, 6))

    def forward(self, x):
        t = x.flatten(2).transpose(1, 2)
        n = t.shape[0]
        return torch.cat([self.cls.expand(n, -1, -1), t], dim=1) + self.pos


class Select(torch.nn.Module):
    def forward(self, x):
        m = (x > 0.5) | (x < -1.0)
        y = torch.where(m, x, 0.1 * x)
        y = torch.where(x == x[:, :1], torch.zeros_like(y), y)
        return torch.maximum(y, x[:, 1:2]) + torch.minimum(y, torch.tensor(0.25))


class ShiftedWindows(torch.nn.Module):
    """torchvision 0.14's shifted_window_attention without its LayerNorm and matmuls: pad,
    roll, window partition (6-D), the attention mask (ScatterND from slice assignments,
    Equal/Where), the relative position bias (Gather of a table by a constant index),
    window merge, reverse roll, crop."""

    def __init__(self, ws=4, shift=2, heads=2):
        super().__init__()
        self.ws, self.shift, self.heads = ws, shift, heads
        self.table = torch.nn.Parameter(torch.randn((2 * ws - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij"))
        flat = torch.flatten(coords, 1)
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("index", rel.sum(-1).flatten())

    def forward(self, x):
        ws, s = self.ws, self.shift
        x = x.permute(0, 2, 3, 1)  # B H W C
        B, H, W, C = x.shape
        pad_r = (ws - W % ws) % ws
        pad_b = (ws - H % ws) % ws
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        _, pH, pW, _ = x.shape
        x = torch.roll(x, shifts=(-s, -s), dims=(1, 2))
        nW = (pH // ws) * (pW // ws)
        w = x.view(B, pH // ws, ws, pW // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(B * nW, ws * ws, C)
        bias = self.table[self.index].view(ws * ws, ws * ws, self.heads).permute(2, 0, 1)
        mask = x.new_zeros((pH, pW))
        slices = ((0, -ws), (-ws, -s), (-s, None))
        count = 0
        for h in slices:
            for v in slices:
                mask[h[0]:h[1], v[0]:v[1]] = count
                count += 1
        mask = mask.view(pH // ws, ws, pW // ws, ws).permute(0, 2, 1, 3).reshape(nW, ws * ws)
        mask = mask.unsqueeze(1) - mask.unsqueeze(2)
        mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
        # stands in for the attention: each window's tokens get their mask row's first C
        # entries and the bias of head 0
        extra = (mask[:, :, :C].unsqueeze(0) + bias[0, :, :C]).expand(B, nW, ws * ws, C)
        w = w.view(B, nW, ws * ws, C) * 0.5 + extra * 0.01
        x = w.view(B, pH // ws, pW // ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(B, pH, pW, C)
        x = torch.roll(x, shifts=(s, s), dims=(1, 2))
        x = x[:, :H, :W, :].contiguous()
        return x.permute(0, 3, 1, 2)


# each at one of opsets 13 and 17 (an export takes a second), Swin's windows at both
torch_case("roll", Roll(), x4, (13,))
torch_case("first_token", FirstToken(), x4, (17,))
torch_case("chunk_shuffle", Chunk(), x4, (13,))
torch_case("repeat", Repeat(), x4, (17,))
torch_case("class_token", ClassToken(), np.random.randn(2, 6, 2, 3).astype(np.float32), (13,))
torch_case("select", Select(), x4, (17,))
torch_case("shifted_windows", ShiftedWindows(), np.random.randn(2, 3, 10, 9).astype(np.float32))

# ---- single nodes against numpy ---------------------------------------------------------
x = x4
# Slice: negative steps and starts, clamped ends, on the input and on a constant
node_case("slice_negative_steps", [N("Slice", ["x", "st", "en", "ax", "sp"], ["y"])], x,
          x[:, ::-2, 7:0:-3, -2:-100:-1],
          inits=[("st", i64([-1, 7, -2])), ("en", i64([-100, 0, -100])), ("ax", i64([1, 2, -1])),
                 ("sp", i64([-2, -3, -1]))])
node_case("slice_clamped", [N("Slice", ["x", "st", "en", "ax"], ["y"])], x, x[:, :, 2:, -3:],
          inits=[("st", i64([2, -3])), ("en", i64([1000, 2**62])), ("ax", i64([2, 3]))])
node_case("slice_opset9", [N("Slice", ["x"], ["y"], starts=[1, -4], ends=[3, -1], axes=[1, 3])], x,
          x[:, 1:3, :, -4:-1], opset=9)
c = np.random.randn(5, 6).astype(np.float32)
xc = np.random.randn(2, 3, 3, 2).astype(np.float32)
node_case("slice_const", [N("Slice", ["c", "st", "en", "ax", "sp"], ["s"]), N("Add", ["x", "s"], ["y"])], xc,
          xc + c[4:-6:-2, 0:6:3], inits=[("c", c), ("st", i64([4, 0])), ("en", i64([-6, 6])), ("ax", i64([0, 1])),
                                          ("sp", i64([-2, 3]))])
# Gather: negative scalar, index tensors, any axis
node_case("gather_scalar_negative", [N("Gather", ["x", "i"], ["y"], axis=-1)], x, x[..., -3],
          inits=[("i", i64(-3))])
gi = i64([[0, -1], [2, 2], [-6, 1]])
node_case("gather_matrix_axis1", [N("Gather", ["x", "i"], ["y"], axis=1)], x, np.take(x, gi % 6, axis=1),
          inits=[("i", gi)])
node_case("gather_const_table", [N("Gather", ["t", "i"], ["g"], axis=0), N("Transpose", ["g"], ["gt"]),
                                N("Reshape", ["gt", "sh"], ["gr"]), N("Add", ["x", "gr"], ["y"])],
          x, x + np.take(c, [3, 4, 0, 0, 2, 1, 4, 3], axis=0).T.reshape(1, 6, 8, 1),
          inits=[("t", c), ("i", i64([3, -1, 0, 0, 2, 1, 4, 3])), ("sh", i64([1, 6, 8, 1]))])
# Split: opset 13 input form, opset 11 attribute form, equal parts, opset 17
for opset in (11, 13, 17):
    ins = ["x", "sz"] if opset >= 13 else ["x"]
    kw = {} if opset >= 13 else {"split": [1, 3, 2]}
    node_case("split_sizes_op%d" % opset, [N("Split", ins, ["a", "b", "c"], axis=1, **kw),
                                           N("Concat", ["c", "a", "b"], ["y"], axis=1)],
              x, np.concatenate([x[:, 4:], x[:, :1], x[:, 1:4]], axis=1),
              inits=[("sz", i64([1, 3, 2]))] if opset >= 13 else [], opset=opset)
node_case("split_equal", [N("Split", ["x"], ["a", "b"], axis=-1), N("Sub", ["a", "b"], ["y"])], x,
          x[..., :5] - x[..., 5:])
# Tile, Expand
node_case("tile", [N("Tile", ["x", "r"], ["y"])], x[:, :2, :3], np.tile(x[:, :2, :3], (1, 3, 2, 1)),
          inits=[("r", i64([1, 3, 2, 1]))])
xe = np.random.randn(2, 1, 4, 1).astype(np.float32)
node_case("expand_runtime", [N("Expand", ["x", "s"], ["y"])], xe, np.broadcast_to(xe, (2, 3, 4, 5)),
          inits=[("s", i64([1, 3, 1, 5]))])
node_case("expand_const_rank_up", [N("Expand", ["v", "s"], ["e"]), N("Mul", ["x", "e"], ["y"])], x,
          x * np.broadcast_to(np.arange(10, dtype=np.float32), (6, 8, 10)),
          inits=[("v", np.arange(10, dtype=np.float32)), ("s", i64([6, 8, 1]))])
# Comparisons and Where on the input (run time, float 0/1) and Not/And/Or/Xor
y = np.where(np.logical_xor(np.logical_not(x > 0.2), (x <= -0.5) | (x >= 1.0)), x, np.float32(-2)) \
    + (x == x[:, :1]).astype(np.float32) + (x < 0).astype(np.float32)
node_case("compare_where_runtime",
          [N("Greater", ["x", "a"], ["g"]), N("Not", ["g"], ["ng"]), N("LessOrEqual", ["x", "b"], ["le"]),
           N("GreaterOrEqual", ["x", "one"], ["ge"]), N("Or", ["le", "ge"], ["o"]), N("Xor", ["ng", "o"], ["xo"]),
           N("Where", ["xo", "x", "m2"], ["w"]), N("Slice", ["x", "z", "one_i", "one_i"], ["x0"]),
           N("Equal", ["x", "x0"], ["eq"]), N("Cast", ["eq"], ["eqf"], to=1), N("Less", ["x", "zf"], ["lt"]),
           N("Cast", ["lt"], ["ltf"], to=1), N("Sum", ["w", "eqf", "ltf"], ["y"])], x, y,
          inits=[("a", np.float32(0.2)), ("b", np.float32(-0.5)), ("one", np.float32(1.0)), ("m2", np.float32(-2)),
                 ("z", i64([0])), ("one_i", i64([1])), ("zf", np.float32(0))])
# Min/Max/Sum/Mean: variadic with broadcasting, on the input and on constants
b1 = np.random.randn(10).astype(np.float32)
b2 = np.random.randn(6, 1, 1).astype(np.float32)
node_case("minmax_sum_mean", [N("Min", ["x", "b1", "b2"], ["mn"]), N("Max", ["x", "b1"], ["mx"]),
                              N("Mean", ["mn", "mx", "b2"], ["me"]), N("Sum", ["me", "x"], ["y"])], x,
          (np.minimum(np.minimum(x, b1), b2) + np.maximum(x, b1) + b2) / 3 + x,
          inits=[("b1", b1), ("b2", b2)])
node_case("minmax_const", [N("Max", ["b1", "b2"], ["m"]), N("Mean", ["b1", "b2", "m"], ["me"]),
                           N("Add", ["x", "me"], ["y"])], x,
          x + (b1 + b2 + np.maximum(b1, b2)) / 3, inits=[("b1", b1), ("b2", b2)])
# Mod: C's sign (fmod=1) at run time, Python's sign on int64 constants
node_case("mod_fmod_runtime", [N("Mod", ["x", "d"], ["y"], fmod=1)], x, np.fmod(x, np.float32(0.7)),
          inits=[("d", np.float32(0.7))])
ia, ib = i64([7, -7, 7, -7, 0, 5]), i64([3, 3, -3, -3, 2, 5])
node_case("mod_int_const", [N("Mod", ["ia", "ib"], ["m"]), N("Cast", ["m"], ["mf"], to=1),
                            N("Add", ["x", "mf"], ["y"])], x[..., :6], x[..., :6] + np.mod(ia, ib).astype(np.float32),
          inits=[("ia", ia), ("ib", ib)])
# Range (int and float), folded and added
node_case("range_int_float", [N("Range", ["s", "l", "d"], ["r"]), N("Cast", ["r"], ["rf"], to=1),
                              N("Range", ["fs", "fl", "fd"], ["q"]), N("Add", ["rf", "q"], ["rq"]),
                              N("Add", ["x", "rq"], ["y"])], x,
          x + (np.arange(12, -8, -2).astype(np.float32) + np.arange(0.5, 3.0, 0.25, dtype=np.float32)),
          inits=[("s", i64(12)), ("l", i64(-8)), ("d", i64(-2)), ("fs", np.float32(0.5)), ("fl", np.float32(3.0)),
                 ("fd", np.float32(0.25))])
# ScatterND on the input (run time: data and updates), with a negative index
xt = x.transpose(1, 0, 2, 3)
ref = xt.copy()
ref[1], ref[4] = 2 * xt[0], 2 * xt[1]
node_case("scatternd_runtime", [N("Transpose", ["x"], ["t"], perm=[1, 0, 2, 3]),
                                N("Slice", ["t", "z", "two", "z"], ["t01"]), N("Mul", ["t01", "f2"], ["u"]),
                                N("ScatterND", ["t", "si", "u"], ["s"]), N("Transpose", ["s"], ["y"], perm=[1, 0, 2, 3])],
          x, ref.transpose(1, 0, 2, 3), inits=[("si", i64([[1], [-2]])), ("z", i64([0])), ("two", i64([2])),
                                              ("f2", np.float32(2))])
# ScatterND with reduction add (opset 16) at run time, a repeated index accumulating
ref = xt.copy()
ref[3] += 2 * xt[0] + 2 * xt[1]
node_case("scatternd_add_runtime", [N("Transpose", ["x"], ["t"], perm=[1, 0, 2, 3]),
                                    N("Slice", ["t", "z", "two", "z"], ["t01"]), N("Mul", ["t01", "f2"], ["u"]),
                                    N("ScatterND", ["t", "si", "u"], ["s"], reduction="add"),
                                    N("Transpose", ["s"], ["y"], perm=[1, 0, 2, 3])],
          x, ref.transpose(1, 0, 2, 3), inits=[("si", i64([[3], [-3]])), ("z", i64([0])), ("two", i64([2])),
                                              ("f2", np.float32(2))], opset=16)
# 6-D transpose at run time (Swin's window partition)
x6 = x.reshape(2, 6, 2, 4, 2, 5)
node_case("transpose_6d", [N("Reshape", ["x", "s6"], ["r"]), N("Transpose", ["r"], ["t"], perm=[0, 2, 4, 1, 3, 5]),
                           N("Reshape", ["t", "s4"], ["y"])], x,
          x6.transpose(0, 2, 4, 1, 3, 5).reshape(2, 6, 8, 10),
          inits=[("s6", i64([0, 6, 2, 4, 2, 5])), ("s4", i64([0, 6, 8, 10]))])

# ---- malformed: refused with a message naming the node ----------------------------------
bad("gather_index_out_of_range", "FORMAT", "node 'g' (Gather)", "index 8 out of range",
    [N("Gather", ["x", "i"], ["y"], axis=2, name="g")], inits=[("i", i64([0, 8]))])
bad("gather_negative_out_of_range", "FORMAT", "node 'g' (Gather)", "index -4 out of range",
    [N("Gather", ["x", "i"], ["y"], axis=1, name="g")], inits=[("i", i64(-4))])
bad("gather_const_out_of_range", "FORMAT", "node 'gc' (Gather)", "out of range",
    [N("Gather", ["t", "i"], ["g"], name="gc"), N("Add", ["x", "g"], ["y"])],
    inits=[("t", np.ones((3, 8), np.float32)), ("i", i64(3))])
bad("scatternd_out_of_range", "FORMAT", "node 's' (ScatterND)", "index 3 out of range",
    [N("ScatterND", ["x", "i", "u"], ["y"], name="s")],
    inits=[("i", i64([[0, 3]])), ("u", np.ones((1, 8, 8), np.float32))])
bad("scatternd_bad_updates", "FORMAT", "node 's' (ScatterND)", "do not agree",
    [N("ScatterND", ["x", "i", "u"], ["y"], name="s")],
    inits=[("i", i64([[0, 1]])), ("u", np.ones((1, 8, 7), np.float32))])
bad("slice_step_zero", "FORMAT", "node 'sl' (Slice)", "step 0",
    [N("Slice", ["x", "a", "b", "c", "d"], ["y"], name="sl")],
    inits=[("a", i64([0])), ("b", i64([2])), ("c", i64([1])), ("d", i64([0]))])
bad("split_sizes_wrong", "FORMAT", "node 'sp' (Split)", "add up to 4",
    [N("Split", ["x", "s"], ["a", "y"], axis=1, name="sp")], inits=[("s", i64([1, 3]))])
bad("split_unequal", "FORMAT", "node 'sp' (Split)", "equal parts",
    [N("Split", ["x"], ["a", "y"], axis=1, name="sp")])
bad("expand_not_broadcastable", "FORMAT", "node 'e' (Expand)", "do not broadcast",
    [N("Expand", ["x", "s"], ["y"], name="e")], inits=[("s", i64([1, 2, 8, 8]))])
bad("tile_wrong_rank", "FORMAT", "node 't' (Tile)", "2 repeats for rank 4",
    [N("Tile", ["x", "r"], ["y"], name="t")], inits=[("r", i64([1, 2]))])
bad("range_delta_zero", "FORMAT", "node 'r' (Range)", "delta is 0",
    [N("Range", ["a", "b", "c"], ["r"], name="r"), N("Add", ["x", "r"], ["y"])],
    inits=[("a", i64(0)), ("b", i64(5)), ("c", i64(0))])
bad("range_huge", "LIMIT", "node 'r' (Range)", "elements",
    [N("Range", ["a", "b", "c"], ["r"], name="r"), N("Add", ["x", "r"], ["y"])],
    inits=[("a", np.float32(0)), ("b", np.float32(3e38)), ("c", np.float32(1))])
bad("where_not_broadcastable", "FORMAT", "node 'w' (Where)", "do not broadcast",
    [N("Where", ["c", "x", "x"], ["y"], name="w")], inits=[("c", np.ones(3, np.float32))])

with open(os.path.join(OUT, "CASES"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("%d cases in %s" % (len(lines), OUT))
