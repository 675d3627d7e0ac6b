#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hand-made hostile and edge-case ONNX files for tests/onnx/test_onnx_hostile.c, written at test
time (nothing committed) into the directory given as the only argument.

One file per defect class the loader must refuse with a one-line message naming the node or
tensor (issue 9, "Crashes"): omitted required inputs (ONNX's empty name ""), nodes without
outputs, zero-size weights, reshape folding errors, shape products that overflow, files of a
few hundred bytes asking for gigabytes, training-mode attributes, unknown attributes, wrong
arities, values defined twice. And a few files that must load and compute what PyTorch
computes (HardSigmoid on a rank-1 input, optional inputs left out with "", Dropout with
training_mode=False).

Writes DIR/NAME.onnx, DIR/NAME.in.npy and DIR/NAME.out.npy (good cases) and DIR/CASES, one
line per case: NAME <tab> expected status <tab> text the message must contain <tab> more text
("-" for none). Needs Debian's python3-onnx (1.12) and torch.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
np.random.seed(0)
lines = []
F32 = TensorProto.FLOAT


def vi(name, shape, t=F32):
    return helper.make_tensor_value_info(name, t, shape)


def save(name, nodes, inputs, inits=(), outputs=None, opset=13, ir=7):
    g = helper.make_graph(nodes, name, inputs, outputs or [vi("y", None)], list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_hostile")
    m.ir_version = ir
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def bad(name, status, needle, needle2, nodes, inputs=None, **kw):
    save(name, nodes, inputs or [vi("x", [1, 3, 8, 8])], **kw)
    lines.append("\t".join([name, status, needle, needle2 or "-"]))


def good(name, nodes, x, y, inits=(), in_shape=None, opset=13):
    onnx_inits = [numpy_helper.from_array(v, k) for k, v in inits]
    save(name, nodes, [vi("x", in_shape or list(x.shape))], onnx_inits, [vi("y", None)], opset=opset)
    np.save(os.path.join(OUT, name + ".in.npy"), np.ascontiguousarray(x, np.float32))
    np.save(os.path.join(OUT, name + ".out.npy"), np.ascontiguousarray(y, np.float32))
    lines.append("\t".join([name, "OK", "-", "-"]))


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


w3 = init("w", (np.random.randn(4, 3, 3, 3) * 0.3).astype(np.float32))
b4 = init("b", np.zeros(4, np.float32))
i64 = lambda name, v: init(name, np.array(v, np.int64))  # noqa: E731

# ---- an omitted ("") required input, for every operator that has one ---------------------
# Each node gets real inputs for the others, so only the empty name is wrong.
required = {
    "Conv": ["x", "w"], "BatchNormalization": ["x", "s", "s", "s", "s"], "LRN": ["x"], "MaxPool": ["x"],
    "AveragePool": ["x"], "GlobalAveragePool": ["x"], "GlobalMaxPool": ["x"], "Relu": ["x"], "LeakyRelu": ["x"],
    "Clip": ["x"], "Sigmoid": ["x"], "HardSigmoid": ["x"], "HardSwish": ["x"], "Tanh": ["x"], "Abs": ["x"],
    "Add": ["x", "x"], "Sub": ["x", "x"], "Mul": ["x", "x"], "Div": ["x", "x"], "Gemm": ["x", "x"],
    "MatMul": ["x", "x"], "Softmax": ["x"], "ReduceMean": ["x"], "Concat": ["x", "x"], "Reshape": ["x", "shp"],
    "Flatten": ["x"], "Squeeze": ["x"], "Unsqueeze": ["x"], "Transpose": ["x"], "Pad": ["x"], "Identity": ["x"],
    "Dropout": ["x"], "Shape": ["x"], "ConstantOfShape": ["shp"], "Cast": ["x"], "Gather": ["x", "shp"],
    "Slice": ["x"], "Split": ["x"], "Tile": ["x", "shp"], "Expand": ["x", "shp"], "Where": ["x", "x", "x"],
    "Equal": ["x", "x"], "Less": ["x", "x"], "Not": ["x"], "Mod": ["x", "x"], "Min": ["x", "x"],
    "Range": ["shp", "shp", "shp"], "ScatterND": ["x", "shp", "x"],
}
extra_inits = [init("s", np.ones(3, np.float32)), i64("shp", [1, 3, 8, 8]), w3]
for op, ins in required.items():
    for k in range(len(ins)):
        args = list(ins)
        args[k] = ""
        name = "omit_%s_%d" % (op.lower(), k)
        bad(name, "FORMAT", "node '%s' (%s)" % (name, op), "input %d is required but its name is empty" % k,
            [helper.make_node(op, args, ["y"], name=name)], inits=extra_inits)

# ---- nodes without outputs ----------------------------------------------------------------
# A Conv followed by an activation with no outputs: the Conv would fuse it and write through
# the missing output's id.
bad("conv_relu_no_output", "FORMAT", "node 'relu_nowhere' (Relu)", "has no output",
    [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"), helper.make_node("Relu", ["c"], [], name="relu_nowhere"),
     helper.make_node("Relu", ["c"], ["y"], name="relu2")], inits=[w3])
bad("relu_empty_output", "FORMAT", "node 'relu_blank' (Relu)", "has no output",
    [helper.make_node("Relu", ["x"], [""], name="relu_blank"), helper.make_node("Relu", ["x"], ["y"])])

# ---- zero-size weights (a division by zero) -----------------------------------------------
bad("conv_zero_weights", "FORMAT", "node 'conv_zero' (Conv)", "zero",
    [helper.make_node("Conv", ["x", "w0"], ["y"], name="conv_zero")],
    inits=[init("w0", np.zeros((0, 3, 3, 3), np.float32))])
bad("gemm_zero_weights", "FORMAT", "node 'gemm_zero' (Gemm)", "zero",
    [helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Gemm", ["f", "g0"], ["y"], name="gemm_zero")],
    inits=[init("g0", np.zeros((192, 0), np.float32))])

# ---- reshape folding that fails (its error path read a freed tensor) ---------------------
bad("reshape_const_wrong_count", "FORMAT", "node 'reshape_const' (Reshape)", "cannot reshape 6 elements to 4",
    [helper.make_node("Reshape", ["c6", "s4"], ["r"], name="reshape_const"),
     helper.make_node("Add", ["x", "r"], ["y"])], inits=[init("c6", np.ones(6, np.float32)), i64("s4", [4])])

# ---- shape products that overflow int64 before a limit check could see them ----------------
bad("input_product_overflow", "LIMIT", "input 'x'", "values per image",
    [helper.make_node("Relu", ["x"], ["y"])], inputs=[vi("x", [1, 2**27, 2**27, 2**27])])
bad("constantofshape_overflow", "LIMIT", "node 'cos_overflow' (ConstantOfShape)", "elements",
    [helper.make_node("ConstantOfShape", ["big"], ["c"], name="cos_overflow"),
     helper.make_node("Add", ["x", "c"], ["y"])], inits=[i64("big", [2**27, 2**27, 2**27])])

# ---- a few hundred bytes asking for gigabytes ------------------------------------------------
bad("constantofshape_2gb", "LIMIT", "node 'cos_2gb' (ConstantOfShape)", "would make the loader allocate more than",
    [helper.make_node("ConstantOfShape", ["big"], ["c"], name="cos_2gb"),
     helper.make_node("Add", ["x", "c"], ["y"])], inits=[i64("big", [2**14, 2**15])])
lying = TensorProto()
lying.name, lying.data_type = "w_lies", F32
lying.dims.extend([4, 3, 2**12, 2**12])  # 1 GiB declared, 4 bytes held
lying.raw_data = b"\0\0\0\0"
bad("initializer_declares_1gb", "FORMAT", "tensor 'w_lies'", "but holds 4 bytes",
    [helper.make_node("Conv", ["x", "w_lies"], ["y"])], inits=[lying])
bad("activations_2gb", "LIMIT", "would make the loader allocate more than", "activations",
    [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sigmoid", ["r"], ["y"])],
    inputs=[vi("x", [1, 1, 2**14, 2**14])])

# ---- training mode: refused by name, never run as inference ---------------------------------
bn_inits = [init("s", np.ones(3, np.float32))]
bad("batchnorm_training_mode", "UNSUPPORTED", "node 'bn_train' (BatchNormalization)", "training_mode=1",
    [helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"], name="bn_train", training_mode=1)],
    inits=bn_inits, opset=15)
bad("batchnorm_training_outputs", "UNSUPPORTED", "node 'bn_stats' (BatchNormalization)", "training-mode outputs",
    [helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y", "m", "v", "sm", "sv"], name="bn_stats")],
    inits=bn_inits, opset=9)
bad("dropout_training_mode", "UNSUPPORTED", "node 'drop_train' (Dropout)", "training_mode must be a constant false",
    [helper.make_node("Dropout", ["x", "", "t"], ["y"], name="drop_train")],
    inits=[init("t", np.array(True))], opset=13)
bad("dropout_runtime_training_mode", "UNSUPPORTED", "node 'drop_rt' (Dropout)", "training_mode",
    [helper.make_node("Shape", ["x"], ["sh"]), helper.make_node("Cast", ["sh"], ["t"], to=TensorProto.BOOL),
     helper.make_node("Dropout", ["x", "", "t"], ["y"], name="drop_rt")], opset=13)
bad("dropout_mask_read", "UNSUPPORTED", "node 'drop_mask' (Dropout)", "output 1 ('mask') is read",
    [helper.make_node("Dropout", ["x"], ["d", "mask"], name="drop_mask"),
     helper.make_node("Cast", ["mask"], ["mf"], to=F32), helper.make_node("Add", ["d", "mf"], ["y"])], opset=13)
bad("maxpool_indices_read", "UNSUPPORTED", "node 'pool_idx' (MaxPool)", "output 1 ('idx') is read",
    [helper.make_node("MaxPool", ["x"], ["p", "idx"], name="pool_idx", kernel_shape=[2, 2])],
    outputs=[vi("p", None), vi("idx", None, TensorProto.INT64)])

# ---- attributes we do not compute, arities, values defined twice ---------------------------
bad("unknown_attribute", "UNSUPPORTED", "node 'relu_attr' (Relu)", "attribute 'alpha' is not supported",
    [helper.make_node("Relu", ["x"], ["y"], name="relu_attr", alpha=0.5)])
bad("batchnorm_not_spatial", "UNSUPPORTED", "node 'bn_ps' (BatchNormalization)", "spatial=0",
    [helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"], name="bn_ps", spatial=0)],
    inits=bn_inits, opset=8)
bad("auto_pad_unknown", "UNSUPPORTED", "node 'conv_pad' (Conv)", "auto_pad is not",
    [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_pad", auto_pad="SAME_MIDDLE")], inits=[w3])
bad("conv_kernel_shape_mismatch", "FORMAT", "node 'conv_ks' (Conv)", "kernel_shape does not match",
    [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_ks", kernel_shape=[5, 5])], inits=[w3])
bad("lrn_even_size", "UNSUPPORTED", "node 'lrn4' (LRN)", "only odd sizes",
    [helper.make_node("LRN", ["x"], ["y"], name="lrn4", size=4)])
bad("add_three_inputs", "FORMAT", "node 'add3' (Add)", "has 3 inputs (2 to 2)",
    [helper.make_node("Add", ["x", "x", "x"], ["y"], name="add3")])
bad("gemm_one_input", "FORMAT", "node 'gemm1' (Gemm)", "has 1 inputs (2 to 3)",
    [helper.make_node("Gemm", ["x"], ["y"], name="gemm1")])
bad("value_defined_twice", "FORMAT", "node 'relu_again' (Relu)", "'r', which is already defined",
    [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Relu", ["x"], ["r"], name="relu_again"),
     helper.make_node("Relu", ["r"], ["y"])])
bad("node_overwrites_input", "FORMAT", "node 'relu_self' (Relu)", "'x', which is already defined",
    [helper.make_node("Relu", ["x"], ["x"], name="relu_self"), helper.make_node("Relu", ["x"], ["y"])])
bad("cycle", "FORMAT", "node 'cyc_a' (Relu)", "nothing before it produces",
    [helper.make_node("Relu", ["b"], ["a"], name="cyc_a"), helper.make_node("Relu", ["a"], ["b"], name="cyc_b"),
     helper.make_node("Add", ["x", "b"], ["y"])])

# ---- must load and compute what PyTorch computes -------------------------------------------
x1 = np.linspace(-5, 5, 23).astype(np.float32)
good("hardsigmoid_rank1", [helper.make_node("HardSigmoid", ["x"], ["y"], alpha=1.0 / 6, beta=0.5)],
     x1, F.hardsigmoid(torch.from_numpy(x1)).numpy(), in_shape=["n"])
x2 = np.linspace(-5, 5, 24).astype(np.float32).reshape(2, 12)
good("hardsigmoid_rank2", [helper.make_node("HardSigmoid", ["x"], ["y"], alpha=1.0 / 6, beta=0.5)],
     x2, F.hardsigmoid(torch.from_numpy(x2)).numpy())
xc = np.random.randn(2, 3, 8, 8).astype(np.float32)
hi = np.array(0.25, np.float32)
good("clip_min_omitted", [helper.make_node("Clip", ["x", "", "hi"], ["y"])], xc,
     torch.clamp(torch.from_numpy(xc), max=0.25).numpy(), inits=[("hi", hi)])
wt = (np.random.randn(4, 3, 3, 3) * 0.3).astype(np.float32)
good("conv_bias_omitted", [helper.make_node("Conv", ["x", "w", ""], ["y"])], xc,
     F.conv2d(torch.from_numpy(xc), torch.from_numpy(wt)).numpy(), inits=[("w", wt)])
good("dropout_inference", [helper.make_node("Dropout", ["x", "r", "t"], ["y", ""])], xc,
     F.dropout(torch.from_numpy(xc), 0.5, training=False).numpy(),
     inits=[("r", np.array(0.5, np.float32)), ("t", np.array(False))])
# training mode with a ratio of 0 drops nothing (torchvision's Swin exports its attention dropout so)
good("dropout_training_ratio0", [helper.make_node("Dropout", ["x", "r", "t"], ["y"])], xc,
     F.dropout(torch.from_numpy(xc), 0.0, training=True).numpy(),
     inits=[("r", np.array(0.0, np.float32)), ("t", np.array(True))])

# a Slice step of 2^63 - 1 on a folded constant (found by fuzz_onnx_load: its length
# computation overflowed); numpy slices it to the first element (torch overflows too)
c3 = np.array([5.0, 6.0, 7.0], np.float32)
xs = np.random.randn(2, 3).astype(np.float32)
good("slice_huge_step", [helper.make_node("Slice", ["c3", "st", "en", "ax", "sp"], ["s"]),
                         helper.make_node("Add", ["x", "s"], ["y"])], xs,
     xs + c3[0:3:2**63 - 1],
     inits=[("c3", c3), ("st", np.array([0], np.int64)), ("en", np.array([3], np.int64)),
            ("ax", np.array([0], np.int64)), ("sp", np.array([2**63 - 1], np.int64))])

with open(os.path.join(OUT, "CASES"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("%d cases in %s" % (len(lines), OUT))
