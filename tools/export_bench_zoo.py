#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Models and inputs for bench/bench_ort.sh, which times our ONNX engine and ONNX Runtime
on the same file. Writes into OUTDIR, for each NAME, NAME.onnx and NAME.input.f32: 16
images made from the shared photos (each photo whole, mirrored, and two centre crops),
preprocessed the way the model expects, float32 in the model's NCHW layout.

torchvision models (inception_v3, resnet50, mobilenet_v2, efficientnet_b0, vit_b_16) have
random weights; we have no trained ones here. Random weights alone leave BatchNorm's
running statistics at 0 and 1, so activations grow or vanish layer after layer and some
outputs come out constant, which would make both the timing (denormals, saturated
activations) and the agreement check meaningless. So BatchNorm statistics are
re-estimated first: a few forward passes in training mode over photo crops, with
momentum None (a plain average), then the model is exported in eval mode at opset 13 with
a dynamic batch axis.

"squeezenet" is the shared real SqueezeNet 1.1 (Windows ML, opset 7). Its input and
output declare batch 1, which ONNX Runtime enforces, so the copy written here declares
the batch symbolic and drops the value_info shapes (all batch 1, which ORT would otherwise
plan with); the nodes and weights are unchanged. Its input is BGR 0..255, no scaling.

Existing files are kept (OUTDIR is a cache), so a second bench run exports nothing.

    /usr/bin/python3 tools/export_bench_zoo.py OUTDIR SHARED_DIR NAME...
"""
import os
import sys

import numpy as np
import torch
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
PHOTOS = ["chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg"]


def photo_batch(shared, size, crops):
    """uint8 N x size x size x 3 RGB: per photo, each crop fraction whole and mirrored."""
    out = []
    for name in PHOTOS:
        im = Image.open(os.path.join(shared, "images", name)).convert("RGB")
        w, h = im.size
        for frac in crops:
            cw, ch = int(w * frac), int(h * frac)
            box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
            a = np.asarray(im.crop(box).resize((size, size), Image.BILINEAR))
            out += [a, a[:, ::-1]]
    return np.stack(out)


def torch_input(u8):
    x = (u8.astype(np.float32) / 255.0 - MEAN) / STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def torchvision_model(name):
    """torchvision's NAME with seed-0 random weights, and the image size it takes. The
    auxiliary heads of GoogLeNet and InceptionV3 only train, so they are left out; both
    are asked to initialise explicitly (their default is changing and warns)."""
    import torchvision.models as tvm
    torch.manual_seed(0)
    if name == "inception_v3":
        model, size = tvm.inception_v3(weights=None, aux_logits=False, init_weights=True), 299
    elif name == "googlenet":
        model, size = tvm.googlenet(weights=None, aux_logits=False, init_weights=True), 224
    else:
        model, size = getattr(tvm, name)(weights=None), 224
    unzero_linear_layers(model)
    return model, size


def unzero_linear_layers(model):
    """ViT initialises its classifier to zero (fine-tuning starts there), which makes every
    output 0 and every comparison of classes a tie: such layers get random weights."""
    for m in model.modules():
        if isinstance(m, torch.nn.Linear) and not m.weight.any():
            torch.nn.init.normal_(m.weight, std=m.in_features ** -0.5)


def recalibrate_batchnorm(model, x):
    """Running mean/var of every BatchNorm layer from training-mode passes over `x`."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    if bns:  # ViT has none: skip its 48 forward passes
        with torch.no_grad():
            for chunk in torch.split(torch.from_numpy(x), 16):
                model(chunk)
    model.eval()
    return len(bns)


def export_torchvision(name, out, shared):
    model, size = torchvision_model(name)
    model.eval()
    calib = torch_input(photo_batch(shared, size, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]))
    n_bn = recalibrate_batchnorm(model, calib)
    x = torch_input(photo_batch(shared, size, [1.0, 0.75]))
    torch.onnx.export(model, torch.from_numpy(x[:1]), out + ".onnx", opset_version=13, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    x.tofile(out + ".input.f32")
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    print(f"{name}: {n_bn} BatchNorm layers re-estimated; logits std {y.std():.3g}, "
          f"{len(set(y.argmax(1)))} distinct top-1 over {len(x)} images", file=sys.stderr)


def export_squeezenet(out, shared):
    import onnx
    m = onnx.load(os.path.join(shared, "models", "squeezenet1.1_fp32_from_winml_fp16.onnx"))
    inits = {t.name for t in m.graph.initializer}
    for v in list(m.graph.input) + list(m.graph.output):
        if v.name not in inits:
            v.type.tensor_type.shape.dim[0].ClearField("dim_value")
            v.type.tensor_type.shape.dim[0].dim_param = "batch"
    del m.graph.value_info[:]
    onnx.save(m, out + ".onnx")
    u8 = photo_batch(shared, 224, [1.0, 0.75])
    x = u8[..., ::-1].astype(np.float32).transpose(0, 3, 1, 2)  # BGR, 0..255, NCHW
    np.ascontiguousarray(x).tofile(out + ".input.f32")


def main():
    outdir, shared, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        out = os.path.join(outdir, name)
        if os.path.exists(out + ".onnx") and os.path.exists(out + ".input.f32"):
            continue
        if name == "squeezenet":
            export_squeezenet(out, shared)
        else:
            export_torchvision(name, out, shared)


if __name__ == "__main__":
    main()
