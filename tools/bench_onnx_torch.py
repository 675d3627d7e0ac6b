#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""PyTorch 1.13's side of bench/bench_onnx.sh: run an ONNX classifier's graph with torch
ops (the same weights and operators, converted node by node) and time it in several
configurations, reporting the best, as a PyTorch user tuning for CPU inference would.

    /usr/bin/python3 tools/bench_onnx_torch.py MODEL.onnx BATCH THREADS SECONDS [CONFIG]

Configurations: eager; eager + channels_last; torch.jit.trace + freeze; trace + freeze +
channels_last; all under torch.inference_mode with denormals flushed (or only CONFIG). Prints one line:
    best_img_per_s best_config eager_img_per_s peak_rss_mib
(img/s are best single-run throughputs, so that a busy machine hurts both sides alike).
Supported operators: those of SqueezeNet and torchvision's InceptionV3 export.
"""
import resource
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxAsTorch(nn.Module):
    def __init__(self, path):
        super().__init__()
        m = onnx.load(path)
        g = m.graph
        self.nodes = [(n.op_type, list(n.input), list(n.output), attrs(n)) for n in g.node]
        self.consts = {}
        for i, t in enumerate(g.initializer):
            a = numpy_helper.to_array(t)
            if a.dtype == np.float16 or a.dtype == np.float64:
                a = a.astype(np.float32)
            name = f"w{i}"
            self.register_buffer(name, torch.from_numpy(a.copy()))
            self.consts[t.name] = name
        for op, ins, outs, at in self.nodes:
            if op == "Constant":
                name = f"c{len(self.consts)}"
                self.register_buffer(name, torch.from_numpy(numpy_helper.to_array(at["value"]).copy()))
                self.consts[outs[0]] = name
        inits = {t.name for t in g.initializer}
        self.input = [i.name for i in g.input if i.name not in inits][0]
        self.output = g.output[0].name

    def get(self, env, name):
        return env[name] if name in env else getattr(self, self.consts[name])

    def forward(self, x):
        env = {self.input: x}
        for op, ins, outs, at in self.nodes:
            if op == "Constant":
                continue
            a = self.get(env, ins[0])
            if op == "Conv":
                b = self.get(env, ins[2]) if len(ins) > 2 else None
                p = at.get("pads", [0, 0, 0, 0])
                if p[0] != p[2] or p[1] != p[3]:
                    a, p = F.pad(a, (p[1], p[3], p[0], p[2])), [0, 0, 0, 0]
                y = F.conv2d(a, self.get(env, ins[1]), b, at.get("strides", [1, 1]), (p[0], p[1]),
                             at.get("dilations", [1, 1]), at.get("group", 1))
            elif op == "Relu":
                y = F.relu(a)
            elif op in ("MaxPool", "AveragePool"):
                p = at.get("pads", [0, 0, 0, 0])
                k, s = at["kernel_shape"], at.get("strides", [1, 1])
                if op == "MaxPool":
                    y = F.max_pool2d(a, k, s, (p[0], p[1]), ceil_mode=bool(at.get("ceil_mode", 0)))
                else:
                    y = F.avg_pool2d(a, k, s, (p[0], p[1]), ceil_mode=bool(at.get("ceil_mode", 0)),
                                     count_include_pad=bool(at.get("count_include_pad", 0)))
            elif op == "Pad":
                p = [int(v) for v in (self.get(env, ins[1]).tolist() if len(ins) > 1 else at["pads"])]
                y = F.pad(a, (p[3], p[7], p[2], p[6]))
            elif op == "Concat":
                y = torch.cat([self.get(env, i) for i in ins], at.get("axis", 1))
            elif op == "GlobalAveragePool":
                y = F.adaptive_avg_pool2d(a, 1)
            elif op == "Flatten":
                y = torch.flatten(a, at.get("axis", 1))
            elif op == "Gemm":
                assert at.get("transB", 0) == 1 and at.get("transA", 0) == 0
                y = F.linear(a, self.get(env, ins[1]), self.get(env, ins[2]) if len(ins) > 2 else None)
            elif op == "Softmax":
                axis = at.get("axis", 1)
                y = F.softmax(a.flatten(axis), -1).reshape(a.shape) if axis == 1 else F.softmax(a, axis)
            elif op in ("Dropout", "Identity"):
                y = a
            else:
                raise SystemExit(f"bench_onnx_torch: operator {op} not handled")
            env[outs[0]] = y
        return env[self.output]


def best_rate(fn, x, seconds):
    with torch.inference_mode():
        fn(x)
        fn(x)  # warm-up (JIT profiling runs twice)
        best, t0, runs = 1e30, time.perf_counter(), 0
        while runs < 3 or time.perf_counter() - t0 < seconds:
            a = time.perf_counter()
            fn(x)
            best = min(best, time.perf_counter() - a)
            runs += 1
    return x.shape[0] / best


def main():
    path, batch, threads, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(threads)
    # Denormal activations (the real SqueezeNet has them) slow PyTorch's own kernels by up to
    # 6x here; flushing them is part of a tuned CPU setup.
    torch.set_flush_denormal(True)
    model = OnnxAsTorch(path).eval()
    g = onnx.load(path).graph
    inp = [i for i in g.input if i.name == model.input][0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = torch.rand(batch, *shape[1:]) * 255
    only = sys.argv[5] if len(sys.argv) > 5 else None

    def config(name):
        cl = name.endswith("channels_last")
        m = OnnxAsTorch(path).eval()
        xx = x
        if cl:
            m, xx = m.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)
        if name.startswith("jit"):
            with torch.inference_mode():
                m = torch.jit.freeze(torch.jit.trace(m, xx))
        return best_rate(m, xx, seconds)

    names = [only] if only else ["eager", "eager+channels_last", "jit.freeze", "jit.freeze+channels_last"]
    results = {name: config(name) for name in names}
    best = max(results, key=results.get)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{results[best]:.3f} {best} {results.get('eager', 0):.3f} {rss:.0f}")
    for k, v in results.items():
        print(f"  torch {k}: {v:.3f} img/s", file=sys.stderr)


if __name__ == "__main__":
    main()
