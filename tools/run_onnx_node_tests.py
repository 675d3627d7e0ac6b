#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""ONNX's own node tests, regenerated now with Debian's python3-onnx (1.12) and run on our engine.

Usage: run_onnx_node_tests.py RUNNER DIR [--min-matched N] [--only SUBSTRING]
RUNNER is tests/predict/onnx/test_onnx_nodes (built), DIR a scratch folder.

The cases come from onnx's generator itself, onnx.backend.test.case.node.collect_testcases()
(what `python3 -m onnx.backend.test.cmd_tools generate-data` writes to disk), taken in memory
so nothing is downloaded or committed. numpy 1.24 dropped the aliases np.float, np.int,
np.bool and np.object that onnx 1.12's generator still uses; they are put back (as the
builtins they always were) before it is imported.

Our engine takes ONE run-time float32 input whose dimension 0 is the batch and gives one
output with the batch first, so each case (its first data set) is converted by these rules:
  - the run-time input is the graph's first float32 input; every other input becomes an
    initializer holding the test's value (int64 indices and shapes, second operands...);
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
Exit status 1 when any case mismatched or crashed, or fewer than --min-matched matched.
"""
import argparse
import os
import subprocess
import sys
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
    x_at = next((i for i, v in enumerate(g.input) if tensor_type(v) == TensorProto.FLOAT), None)
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
            g.initializer.append(numpy_helper.from_array(np.asarray(inputs[i]), v.name))
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


def compare(got, want):
    """None when got matches want within onnx's tolerance, else what differs."""
    if got.size != want.size:
        return f"{got.size} values, expected {want.size}"
    got, want = got.reshape(want.shape).astype(np.float64), want.astype(np.float64)
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    if (nan_g != nan_w).any():
        return f"NaN at {int((nan_g != nan_w).sum())} places where it should not (or missing)"
    inf = np.isinf(want)
    if (got[inf] != want[inf]).any():
        return "an infinity differs"
    ok = nan_w | inf | (np.abs(got - want) <= ATOL + RTOL * np.abs(want))
    if ok.all():
        return None
    bad = np.argwhere(~ok)[0]
    i = tuple(int(v) for v in bad)
    return (f"{int((~ok).sum())} of {want.size} values wrong, e.g. at {i}: {got[i]:.7g} for {want[i]:.7g} "
            f"(max abs diff {np.nanmax(np.abs(np.where(ok, 0, got - want))):.3g})")


def run_engine(runner, folder, names):
    """{name: ('OK', count) or ('REFUSED', message) or ('CRASHED', what)}, restarting after a crash."""
    results, first = {}, 0
    while first < len(names):
        proc = subprocess.Popen([runner, folder, str(first)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            out, errs = proc.communicate(timeout=300)
            what = f"exit status {proc.returncode}: {errs.strip()[-200:]}"
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            what = "no answer in 300 s"
        for line in out.splitlines():
            f = line.split("\t")
            if len(f) >= 3 and f[0] in names:
                results[f[0]] = ("OK", int(f[2])) if f[1] == "OK" else ("REFUSED", " ".join(f[2:]))
        while first < len(names) and names[first] in results:
            first += 1
        if first < len(names):
            results[names[first]] = ("CRASHED", what)
            first += 1
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runner")
    ap.add_argument("dir")
    ap.add_argument("--min-matched", type=int, default=0)
    ap.add_argument("--only", default="", help="only cases whose name contains this")
    ap.add_argument("--verbose", action="store_true", help="list every case with its bucket")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    cases = [c for c in node_cases.collect_testcases(None) if a.only in c.name]
    buckets = {k: [] for k in ("matched", "refused", "mismatched", "crashed", "not convertible")}
    names, wanted, forms = [], {}, {}
    for c in cases:
        r = convert(c) if c.model is not None and c.data_sets else "no model or data"
        if isinstance(r, str):
            buckets["not convertible"].append((c.name, r))
            continue
        model, x, y, form = r
        with open(os.path.join(a.dir, c.name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())
        np.save(os.path.join(a.dir, c.name + ".in.npy"), np.ascontiguousarray(x, np.float32))
        names.append(c.name)
        wanted[c.name], forms[c.name] = y, form
    with open(os.path.join(a.dir, "CASES"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    results = run_engine(a.runner, a.dir, names)
    for n in names:
        kind, what = results.get(n, ("CRASHED", "no answer"))
        if kind == "REFUSED":
            buckets["refused"].append((n, what))
        elif kind == "CRASHED":
            buckets["crashed"].append((n, what))
        else:
            got = np.fromfile(os.path.join(a.dir, n + ".got"), np.float32)
            diff = compare(got, wanted[n])
            buckets["mismatched" if diff else "matched"].append((n, diff or forms[n]))
    if a.verbose:
        for k, items in buckets.items():
            for n, what in items:
                print(f"{k:16} {n:60} {what}")
    for k in ("mismatched", "crashed"):
        for n, what in buckets[k]:
            print(f"{k.upper()}: {n}: {what}")
    total = len(cases)
    conv = total - len(buckets["not convertible"])
    print(f"onnx {onnx.__version__} node tests: {total} cases, {conv} converted: {len(buckets['matched'])} matched, "
          f"{len(buckets['refused'])} refused, {len(buckets['mismatched'])} mismatched, "
          f"{len(buckets['crashed'])} crashed; {len(buckets['not convertible'])} not convertible")
    fail = bool(buckets["mismatched"] or buckets["crashed"])
    if len(buckets["matched"]) < a.min_matched:
        print(f"FAIL: {len(buckets['matched'])} matched, fewer than the floor {a.min_matched}")
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
