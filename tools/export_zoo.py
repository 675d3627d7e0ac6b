#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The torchvision 0.14 classification zoo of issue 9, for tests/predict/onnx/test_onnx_zoo:
22 architectures with seed-0 random weights, BatchNorm statistics re-estimated on crops of
the shared photos (tools/export_bench_zoo.py explains why and does it), each exported in eval
mode with a dynamic batch axis at several opsets. Writes into OUTDIR:

    ARCH.in.npy          4 images (the four shared photos, centre crop 7/8), preprocessed as
                         torchvision's models expect (ImageNet mean/std, NCHW float32)
    ARCH.out.npy         PyTorch 1.13's output for them (4 x 1000, float32)
    ARCH_opN.onnx        the model exported at opset N, or
    ARCH_opN.failed      one line: why torch.onnx could not export it at that opset
    ZOO                  the rows asked for this time, "ARCH<TAB>N" per line

OUTDIR is a cache: an architecture whose files are all there is not exported again (all
of one architecture's files come from one model object, so a partial set is redone whole;
each file appears under its final name only once complete). Needs no network: nothing is
downloaded, weights are random.

    /usr/bin/python3 tools/export_zoo.py OUTDIR SHARED_DIR [--opsets 13,14,17] [--archs a,b,...]
"""
import argparse
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_bench_zoo import photo_batch, recalibrate_batchnorm, torch_input, torchvision_model  # noqa: E402

ARCHS = ["alexnet", "vgg11_bn", "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "densenet121",
         "googlenet", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "mnasnet1_0",
         "shufflenet_v2_x1_0", "squeezenet1_1", "efficientnet_b0", "efficientnet_v2_s", "regnet_x_400mf",
         "regnet_y_400mf", "convnext_tiny", "vit_b_16", "swin_t"]
CALIB_CROPS = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]


def save_whole(path, write):
    """Writes through `write(tmp)` then renames, so a cached name is always a whole file."""
    tmp = path + ".part"
    write(tmp)
    os.replace(tmp, path)


def write_text(path, text):
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    save_whole(path, write)


def write_npy(path, a):
    def write(tmp):
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(a, np.float32))
    save_whole(path, write)


def paths(outdir, arch, opsets):
    base = os.path.join(outdir, arch)
    return base, [base + ".in.npy", base + ".out.npy"], {n: base + f"_op{n}" for n in opsets}


def cached(outdir, arch, opsets):
    _, data, models = paths(outdir, arch, opsets)
    return all(os.path.exists(p) for p in data) and all(
        os.path.exists(m + ".onnx") or os.path.exists(m + ".failed") for m in models.values())


def export_model(model, x, outdir, name, opsets):
    """NAME.in.npy (x), NAME.out.npy (the model's output for it) and NAME_opN.onnx for each
    opset N (or NAME_opN.failed saying why torch.onnx could not). Returns the output."""
    base, (in_path, out_path), models = paths(outdir, name, opsets)
    model.eval()
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    for n, stem in models.items():
        for old in (stem + ".onnx", stem + ".failed"):
            if os.path.exists(old):
                os.remove(old)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                save_whole(stem + ".onnx", lambda tmp: torch.onnx.export(
                    model, torch.from_numpy(x[:1]), tmp, opset_version=n, input_names=["x"], output_names=["logits"],
                    dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True))
            except Exception as e:  # torch.onnx refuses some operators at some opsets: a row of the table
                msg = " ".join(f"{type(e).__name__}: {e}".split())[:300]
                write_text(stem + ".failed", msg + "\n")
                print(f"{name} opset {n}: export failed: {msg}", file=sys.stderr)
        for w in sorted({" ".join(str(w.message).split())[:200] for w in caught}):
            print(f"{name} opset {n}: warning: {w}", file=sys.stderr)
    write_npy(in_path, x)
    write_npy(out_path, y)  # last: its presence marks the set complete (see cached)
    return y


def export_arch(arch, outdir, shared, opsets):
    model, size = torchvision_model(arch)
    model.eval()
    n_bn = recalibrate_batchnorm(model, torch_input(photo_batch(shared, size, CALIB_CROPS)))
    x = torch_input(photo_batch(shared, size, [0.875])[::2])  # one crop per photo, not mirrored
    y = export_model(model, x, outdir, arch, opsets)
    print(f"{arch}: {n_bn} BatchNorm layers re-estimated; output std {y.std():.3g}, "
          f"{len(set(y.argmax(1)))} distinct top-1 over {len(x)} images", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("shared")
    ap.add_argument("--opsets", default="13,14,17")
    ap.add_argument("--archs", default=",".join(ARCHS))
    a = ap.parse_args()
    opsets = [int(s) for s in a.opsets.split(",") if s]
    archs = [s for s in a.archs.split(",") if s]
    unknown = [s for s in archs if s not in ARCHS]
    if unknown:
        sys.exit(f"export_zoo.py: unknown architecture {unknown[0]} (known: {', '.join(ARCHS)})")
    if not os.path.isdir(os.path.join(a.shared, "images")):
        sys.exit(f"export_zoo.py: {a.shared}/images: no such folder (the shared photos)")
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(2)
    for arch in archs:
        if not cached(a.outdir, arch, opsets):
            export_arch(arch, a.outdir, a.shared, opsets)
    write_text(os.path.join(a.outdir, "ZOO"), "".join(f"{s}\t{n}\n" for s in archs for n in opsets))


if __name__ == "__main__":
    main()
