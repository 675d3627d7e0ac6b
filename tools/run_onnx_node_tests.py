#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""ONNX's own node tests, regenerated now with Debian's python3-onnx (1.12) and run on our engine.

Usage: run_onnx_node_tests.py RUNNER DIR [--min-matched N] [--min-folded N] [--only SUBSTRING]
                              [--verbose]
RUNNER is tests/predict/onnx/test_onnx_nodes (built), DIR a scratch folder; --verbose lists
every case with its bucket and our message or the difference.

The cases come from onnx's generator itself, onnx.backend.test.case.node.collect_testcases()
(what `python3 -m onnx.backend.test.cmd_tools generate-data` writes to disk), taken in memory
so that nothing is downloaded or committed, one per name as that command's folders are.
numpy 1.24 dropped the aliases np.float, np.int, np.bool and np.object that onnx 1.12's
generator still uses; they are put back (as the builtins they always were) before it is
imported.

Our engine takes ONE run-time float32 input whose dimension 0 is the batch and gives one
output with the batch first, so each case (its first data set) is converted by these rules:
  - the run-time input is the graph's first float32 input that the first output depends on
    (else its first float32 input); every other input becomes an initializer holding the
    test's value (int64 indices and shapes, second operands...);
  - a model below opset 7 (the oldest our loader takes) is lifted to opset 7 when each of its
    operators has the same definition there (onnx.defs: the same since_version), as the
    node tests of Elu, Selu, HardSigmoid, Softplus, Softsign and the global pools are written
    at the opset their operator last changed; otherwise it stays as it is (and is refused);
  - only the first output is compared; the graph's other outputs are dropped (a node that
    declares more outputs keeps them, unread);
  - direct form: when the input and output both have rank >= 1 and the same dimension 0,
    the model runs as is, with that dimension as the batch;
  - batch-wrapped form otherwise (rank 0, or dimension 0 changes, as in Transpose, reductions
    over axis 0, MatMul's (K, N) inputs): the input becomes X of shape (1, *shape), a Reshape
    gives the node its own shape, and the output is reshaped to (1, *shape). The node under
    test sees the same tensors; only a batch of one is wrapped around it.
Every case lands in exactly one bucket:
  not convertible  no float32 input, a first output that is not float32, or a sequence,
                   map or optional anywhere in the graph's inputs or outputs;
  refused          converted, and our engine refused it (load, plan or run) with a message;
  matched          converted, run, and every value within onnx's tolerance (rtol 1e-3,
                   atol 1e-7, NaN where NaN is expected, infinities equal);
  mismatched       converted, run, and a value wrong or the wrong count: a silent wrong result;
  crashed          the runner died or hung on it.
The same cases are also run folded: every input a constant and the first output (of any
number type) cast to float32 and added to a run-time input of zeros, since the planner must
fold every operator whose inputs are all constants (that is how shape subgraphs vanish).
The node tests draw a few values per operator; our own range cases add, for each activation
the engine has, every order of magnitude from 1e-8 to 1e2 of both signs (and the overflow
edge of Exp), standalone and fused after a 1x1 Conv, against numpy's float64 functions
(log1p, expm1, tanh...) rounded to float32, at the same tolerance; and Cast to float16 and
back, run and folded, equal to numpy's float16 rounding exactly. Each suite is counted
apart, and a deliberately wrong expectation (the canary) must be reported as a mismatch.
Exit status 1 when any case mismatched or crashed, a range case did not match, the canary
was not caught, or fewer than --min-matched (run-time) or --min-folded cases matched.
"""
import argparse
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import warnings

import numpy as np

warnings.simplefilter("ignore")
for _alias, _builtin in (("float", float), ("int", int), ("bool", bool), ("object", object),
                         ("complex", complex), ("str", str)):
    if not hasattr(np, _alias):
        setattr(np, _alias, _builtin)

import onnx  # noqa: E402
import onnx.backend.test.case.node as node_cases  # noqa: E402
from onnx import TensorProto, defs, helper, numpy_helper  # noqa: E402

RTOL, ATOL = 1e-3, 1e-7


def tensor_type(vi):
    """The element type of a tensor value, or None for a sequence, map or optional."""
    return vi.type.tensor_type.elem_type if vi.type.HasField("tensor_type") else None


def initializer(value, vi):
    """The test's value for input vi as a constant; bfloat16 arrives as its uint16 bits."""
    value = np.asarray(value)
    if tensor_type(vi) == TensorProto.BFLOAT16:
        return helper.make_tensor(vi.name, TensorProto.BFLOAT16, value.shape, value.astype(np.uint16).tobytes(), raw=True)
    return numpy_helper.from_array(value, vi.name)


def as_float32(value, vi):
    """The test's value of vi as float32 numbers (bfloat16 bits widened)."""
    value = np.asarray(value)
    if tensor_type(vi) == TensorProto.BFLOAT16:
        return (value.astype(np.uint32) << 16).view(np.float32)
    return value.astype(np.float32)


def lift_opset(m, floor):
    """Raises the default domain's opset to `floor` where no operator of m changes on the way."""
    for imp in m.opset_import:
        if imp.domain in ("", "ai.onnx") and imp.version < floor:
            try:
                same = all(defs.get_schema(n.op_type, floor, n.domain).since_version ==
                           defs.get_schema(n.op_type, imp.version, n.domain).since_version for n in m.graph.node)
            except defs.SchemaError:
                same = False
            if same:
                imp.version = floor


def convert(case):
    """(model, input array, expected output, form) or a string saying why it is not convertible."""
    g = case.model.graph
    inputs, outputs = case.data_sets[0]
    if any(tensor_type(v) is None for v in list(g.input) + list(g.output)):
        return "a sequence, map or optional value"
    if not g.output or tensor_type(g.output[0]) != TensorProto.FLOAT:
        return "the first output is not float32"
    needed = {g.output[0].name}
    for n in reversed(g.node):
        if needed.intersection(n.output):
            needed.update(n.input)
    floats = [i for i, v in enumerate(g.input) if tensor_type(v) == TensorProto.FLOAT]
    x_at = next((i for i in floats if g.input[i].name in needed), floats[0] if floats else None)
    if x_at is None:
        return "no float32 input"
    x, y = np.asarray(inputs[x_at]), np.asarray(outputs[0])
    if x.dtype != np.float32 or y.dtype != np.float32:
        return "test data is not float32"
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    lift_opset(m, 7)
    g = m.graph
    x_name, y_name = g.input[x_at].name, g.output[0].name
    for i, v in enumerate(g.input):
        if i != x_at:
            g.initializer.append(initializer(inputs[i], v))
    keep_in, keep_out = g.input[x_at], g.output[0]
    del g.input[:]
    del g.output[:]
    if x.ndim >= 1 and y.ndim >= 1 and x.shape[0] == y.shape[0] and x.shape[0] >= 1:
        keep_in.type.tensor_type.shape.CopyFrom(helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)
                                                .type.tensor_type.shape)
        g.input.append(keep_in)
        g.output.append(keep_out)
        return m, x, y, "direct"
    xb, yb = "node_test_batched_input", "node_test_batched_output"
    g.input.append(helper.make_tensor_value_info(xb, TensorProto.FLOAT, (1,) + x.shape))
    g.output.append(helper.make_tensor_value_info(yb, TensorProto.FLOAT, None))
    g.initializer.extend([numpy_helper.from_array(np.array(x.shape, np.int64), "node_test_input_shape"),
                          numpy_helper.from_array(np.array((1,) + y.shape, np.int64), "node_test_output_shape")])
    g.node.insert(0, helper.make_node("Reshape", [xb, "node_test_input_shape"], [x_name]))
    g.node.append(helper.make_node("Reshape", [y_name, "node_test_output_shape"], [yb]))
    return m, x[None], y[None], "wrapped"


def range_cases():
    """(name, model, x, expected, rtol) for each activation over a dense grid of magnitudes."""
    mag = np.concatenate([np.logspace(-8, 2, 2000), [1, 2, 0.5, 88, 89]])
    grid = np.concatenate([mag, -mag])
    grid = np.pad(grid, (0, (-grid.size) % 64), constant_values=1).astype(np.float32).reshape(-1, 1, 8, 8)
    selu_a, selu_g = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    erf = np.vectorize(math.erf)
    acts = [  # operator, attributes, constant exponent (Pow), positive inputs only, float64 reference
        ("Relu", {}, None, False, lambda x: np.maximum(x, 0)),
        ("LeakyRelu", {"alpha": 0.1}, None, False, lambda x: np.where(x > 0, x, 0.1 * x)),
        ("Sigmoid", {}, None, False, lambda x: 0.5 * (1 + np.tanh(x / 2))),
        ("Tanh", {}, None, False, np.tanh),
        ("Abs", {}, None, False, np.abs),
        ("Neg", {}, None, False, np.negative),
        ("Sqrt", {}, None, True, np.sqrt),
        ("Exp", {}, None, False, np.exp),
        ("Log", {}, None, True, np.log),
        ("Softplus", {}, None, False, lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))),
        ("Reciprocal", {}, None, False, lambda x: 1 / x),
        ("Elu", {"alpha": 0.7}, None, False, lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
        ("Selu", {}, None, False, lambda x: selu_g * np.where(x > 0, x, selu_a * np.expm1(x))),
        ("HardSwish", {}, None, False, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
        ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, None, False, lambda x: np.clip(0.3 * x + 0.4, 0, 1)),
        ("Erf", {}, None, False, erf),
        ("Softsign", {}, None, False, lambda x: x / (1 + np.abs(x))),
        ("Pow", {}, 2.0, False, lambda x: x ** 2),
        ("Pow", {}, 3.0, False, lambda x: x ** 3),
        ("Pow", {}, -1.0, False, lambda x: 1 / x),
        ("Pow", {}, 0.5, True, np.sqrt),
        ("Pow", {}, 1.5, True, lambda x: x ** 1.5),
    ]
    one = numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "w")
    for op, attrs, e, positive, ref in acts:
        x = np.abs(grid) if positive else grid
        with np.errstate(all="ignore"):
            y = ref(x.astype(np.float64)).astype(np.float32)
        name = f"range_{op.lower()}" + (f"_{e:g}" if e is not None else "")
        inits = [numpy_helper.from_array(np.array(e, np.float32), "e")] if e is not None else []
        ins = ["e"] if e is not None else []
        for fused in (False, True):
            nodes = [helper.make_node(op, ["c" if fused else "x"] + ins, ["y"], **attrs)]
            if fused:
                nodes.insert(0, helper.make_node("Conv", ["x", "w"], ["c"]))
            g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                  inits + ([one] if fused else []))
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="run_onnx_node_tests")
            m.ir_version = 7
            yield name + ("_after_conv" if fused else ""), m, x, y, RTOL
    # Cast to float16 and back, on a run-time tensor and folded, must equal numpy's rounding
    # exactly (onnx's tolerance would pass an unrounded value): float16's subnormals, ties,
    # the largest finite value 65504 and the overflow to infinity from 65520 on
    x = np.concatenate([grid.ravel() * 700, [65504, 65519.99, 65520, -65520, 2 ** -25, 3 * 2 ** -26, 2 ** -24,
                                            1 + 2 ** -11, 1 + 3 * 2 ** -11]]).astype(np.float32)
    x = np.pad(x, (0, (-x.size) % 64)).reshape(-1, 1, 8, 8)
    y = x.astype(np.float16).astype(np.float32)
    casts = [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16), helper.make_node("Cast", ["h"], ["y"], to=1)]
    g = helper.make_graph(casts, "range_cast_float16", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    yield "range_cast_float16", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), x, y, 0.0
    g = helper.make_graph(casts + [helper.make_node("Add", ["y", "zeros"], ["z"])], "range_cast_float16_folded",
                          [helper.make_tensor_value_info("zeros", TensorProto.FLOAT, x.shape)],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], [numpy_helper.from_array(x, "x")])
    yield "range_cast_float16_folded", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), 0 * x, y, 0.0


def compare(got, want, rtol=RTOL):
    """None when got matches want within onnx's tolerance (rtol 0: exactly), else what differs."""
    if got.size != want.size:
        return f"{got.size} values, expected {want.size}"
    got, want = got.reshape(want.shape).astype(np.float64), want.astype(np.float64)
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    if (nan_g != nan_w).any():
        return f"NaN at {int((nan_g != nan_w).sum())} places where it should not (or missing)"
    inf = np.isinf(want)
    if (got[inf] != want[inf]).any():
        return "an infinity differs"
    ok = nan_w | inf | (np.abs(got - want) <= (ATOL if rtol else 0) + rtol * np.abs(want))
    if ok.all():
        return None
    bad = np.argwhere(~ok)[0]
    i = tuple(int(v) for v in bad)
    return (f"{int((~ok).sum())} of {want.size} values wrong, e.g. at {i}: {got[i]:.7g} for {want[i]:.7g} "
            f"(max abs diff {np.nanmax(np.abs(np.where(ok, 0, got - want))):.3g})")


def run_engine(runner, folder, names, case_seconds=60):
    """{name: ('OK', count) or ('REFUSED', message) or ('CRASHED', what)}, restarting after a crash
    or a case that takes over case_seconds, and what went wrong after the last case (a
    sanitizer's leak report fails the exit status)."""
    results, first, after = {}, 0, None
    while first < len(names):
        with tempfile.TemporaryFile("w+") as errs:
            proc = subprocess.Popen([runner, folder, str(first)], stdout=subprocess.PIPE, stderr=errs, text=True)
            lines = queue.Queue()
            reader = threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout] + [lines.put(None)])
            reader.start()
            what = None
            while True:
                try:
                    line = lines.get(timeout=case_seconds)
                except queue.Empty:
                    proc.kill()
                    what = f"no answer in {case_seconds} s"
                    break
                if line is None:
                    break
                f = line.rstrip("\n").split("\t")
                if len(f) >= 3 and f[0] in names:
                    results[f[0]] = ("OK", int(f[2])) if f[1] == "OK" else ("REFUSED", " ".join(f[2:]))
            proc.wait()
            reader.join()
            if what is None:
                errs.seek(0)
                what = f"exit status {proc.returncode}: {errs.read().strip()[-300:]}"
        while first < len(names) and names[first] in results:
            first += 1
        if first == len(names) and proc.returncode:
            after = what
        elif first < len(names):
            results[names[first]] = ("CRASHED", what)
            first += 1
    return results, after


def fold_form(case):
    """The case with every input a constant, for the planner to fold: its first output (any
    number type) cast to float32, reshaped to (1, *shape) and added to a run-time input of
    zeros. (model, zeros, expected) or a string saying why it is not convertible."""
    g = case.model.graph
    inputs, outputs = case.data_sets[0]
    if any(tensor_type(v) is None for v in list(g.input) + list(g.output)):
        return "a sequence, map or optional value"
    y = np.asarray(outputs[0])
    if y.dtype.kind not in "biuf":
        return "the first output is not a number"
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    lift_opset(m, 7)
    g = m.graph
    for v, value in zip(g.input, inputs):
        g.initializer.append(initializer(value, v))
    y_name, y = g.output[0].name, as_float32(y, g.output[0])
    del g.input[:]
    del g.output[:]
    z, s, c, r = "node_test_zeros", "node_test_output_shape", "node_test_as_float", "node_test_batched"
    g.input.append(helper.make_tensor_value_info(z, TensorProto.FLOAT, (1,) + y.shape))
    g.output.append(helper.make_tensor_value_info("node_test_output", TensorProto.FLOAT, None))
    g.initializer.append(numpy_helper.from_array(np.array((1,) + y.shape, np.int64), s))
    g.node.extend([helper.make_node("Cast", [y_name], [c], to=TensorProto.FLOAT),
                   helper.make_node("Reshape", [c, s], [r]),
                   helper.make_node("Add", [r, z], ["node_test_output"])])
    return m, np.zeros((1,) + y.shape, np.float32), y[None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runner")
    ap.add_argument("dir")
    ap.add_argument("--min-matched", type=int, default=0, help="floor for the node tests with a run-time input")
    ap.add_argument("--min-folded", type=int, default=0, help="floor for the node tests folded on constants")
    ap.add_argument("--only", default="", help="only cases whose name contains this")
    ap.add_argument("--verbose", action="store_true", help="list every case with its bucket")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    # onnx 1.12 defines two names twice (test_reduce_sum_negative_axes_keepdims_random,
    # test_resize_tf_crop_and_resize); generate-data keeps the last of each: 922 cases
    cases = list({c.name: c for c in node_cases.collect_testcases(None) if a.only in c.name}.values())
    suites = {"run-time": {}, "folded": {}, "range": {}, "canary": {}}
    names, wanted, forms, origin = [], {}, {}, {}

    def add(suite, name, r):
        """r: (model, x, y, form) to run, or why the case is not convertible."""
        if isinstance(r, str):
            suites[suite][name] = ("not convertible", r)
            return
        model, x, y, form = r
        with open(os.path.join(a.dir, name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())
        np.save(os.path.join(a.dir, name + ".in.npy"), np.ascontiguousarray(x, np.float32))
        names.append(name)
        wanted[name], forms[name], origin[name] = y, form, suite

    for c in cases:
        if c.model is None or not c.data_sets:
            add("run-time", c.name, "no model or data")
            add("folded", c.name + "__folded", "no model or data")
            continue
        add("run-time", c.name, convert(c))
        r = fold_form(c)
        add("folded", c.name + "__folded", r if isinstance(r, str) else r + ("folded",))
    rtols = {}
    for name, m, x, y, rtols[name] in ([] if a.only else range_cases()):
        add("range", name, (m, x, y, "range"))
        if name == "range_relu":  # the canary: a wrong expectation must be caught
            add("canary", "canary_wrong_expectation", (m, x, y + np.float32(1e-3), "canary"))
    with open(os.path.join(a.dir, "CASES"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    results, after = run_engine(a.runner, a.dir, names)
    for n in names:
        kind, what = results.get(n, ("CRASHED", "no answer"))
        if kind == "REFUSED":
            bucket = ("refused", what)
        elif kind == "CRASHED":
            bucket = ("crashed", what)
        else:
            got = np.fromfile(os.path.join(a.dir, n + ".got"), np.float32)
            diff = compare(got, wanted[n], rtols.get(n, RTOL))
            bucket = ("mismatched", diff) if diff else ("matched", forms[n])
        suites[origin[n]][n] = bucket
    fail = after is not None
    if after:
        print(f"FAIL: the runner failed after its last case: {after}")
    canary = suites["canary"].get("canary_wrong_expectation")
    if canary and canary[0] != "mismatched":
        print(f"FAIL: a deliberately wrong expectation was not caught ({canary[0]}): the comparison cannot fail")
        fail = True
    del suites["canary"]
    if a.verbose:
        for suite, items in suites.items():
            for n, (k, what) in items.items():
                print(f"{suite:9} {k:16} {n:60} {what}")
    for suite, items in suites.items():
        for n, (k, what) in items.items():
            if k in ("mismatched", "crashed"):
                print(f"{k.upper()} ({suite}): {n}: {what}")
                fail = True
    labels = {"run-time": f"onnx {onnx.__version__} node tests, run-time input",
              "folded": f"onnx {onnx.__version__} node tests, folded on constants",
              "range": "activation range cases"}
    counts = {}
    for suite, items in suites.items():
        k = [b for b, _ in items.values()]
        n = {b: k.count(b) for b in ("matched", "refused", "mismatched", "crashed", "not convertible")}
        counts[suite] = n
        print(f"{labels[suite]}: {len(k)} cases, {len(k) - n['not convertible']} converted: {n['matched']} matched, "
              f"{n['refused']} refused, {n['mismatched']} mismatched, {n['crashed']} crashed; "
              f"{n['not convertible']} not convertible")
    for suite, floor in (("run-time", a.min_matched), ("folded", a.min_folded)):
        if counts[suite]["matched"] < floor:
            print(f"FAIL: {counts[suite]['matched']} {suite} cases matched, fewer than the floor {floor}")
            fail = True
    if counts["range"]["matched"] != len(suites["range"]):
        print("FAIL: not every activation range case matched")
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
