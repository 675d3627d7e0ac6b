#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The committed CI fixtures of the zoo bar (tests/predict/onnx/zoo_tiny, run by the ctest
predict_onnx_tiny_zoo): torchvision 0.14's three transformer-era classifiers built small
enough to commit (each file well under 1 MB) yet with every kind of node their full-size
versions export, at opsets 13 (LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div) and
17 (LayerNormalization):

    vit_tiny       VisionTransformer: 32 x 32 images, 8 x 8 patches, 2 encoder blocks of
                   hidden 32, 2 heads, MLP 64 (class token, position embedding, attention
                   with a run-time right side, exact GELU)
    swin_tiny      SwinTransformer: 4 x 4 patches, embed 16, depths [2, 2], window 4; the
                   second block of stage 1 shifts its windows (torch.roll and the attention
                   mask: the Slice/Concat/Equal/Where shape subgraphs), then patch merging
    convnext_tiny  ConvNeXt: stages of 16 and 32 channels, one block each (7 x 7 depthwise
                   Conv, LayerNorm over channels, Linear, GELU, layer scale)

Inputs are the four shared photos (centre crop 7/8, resized to 32 x 32, ImageNet mean/std),
outputs PyTorch 1.13's, in the format of tools/export_zoo.py (NAME.in.npy, NAME.out.npy,
NAME_opN.onnx, ZOO). Weights are seed-0 random; two torchvision initialisations would hide
the blocks and are changed: ViT's zero classifier (every output a tie) gets random weights,
and ConvNeXt's layer scale starts at 1 instead of 1e-6 (which scales each block's output,
and any error in it, down a million times).

    /usr/bin/python3 tools/make_onnx_tiny_zoo.py tests/predict/onnx/zoo_tiny ../shared
"""
import os
import sys

import onnx
import torch
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_bench_zoo import photo_batch, torch_input, unzero_linear_layers  # noqa: E402
from export_zoo import export_model, write_text  # noqa: E402

OPSETS = [13, 17]
SIZE = 32
CLASSES = 10


def tiny_models():
    torch.manual_seed(0)
    vit = VisionTransformer(image_size=SIZE, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
                            num_classes=CLASSES)
    unzero_linear_layers(vit)
    torch.manual_seed(0)
    swin = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4],
                           stochastic_depth_prob=0.0, num_classes=CLASSES)
    torch.manual_seed(0)
    convnext = ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], layer_scale=1.0,
                        num_classes=CLASSES)
    return [("vit_tiny", vit), ("swin_tiny", swin), ("convnext_tiny", convnext)]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_onnx_tiny_zoo.py OUTDIR SHARED_DIR")
    outdir, shared = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(shared, "images")):
        sys.exit(f"make_onnx_tiny_zoo.py: {shared}/images: no such folder (the shared photos)")
    os.makedirs(outdir, exist_ok=True)
    x = torch_input(photo_batch(shared, SIZE, [0.875])[::2])
    names = []
    for name, model in tiny_models():
        y = export_model(model, x, outdir, name, OPSETS)
        for n in OPSETS:
            path = os.path.join(outdir, f"{name}_op{n}.onnx")
            onnx.checker.check_model(onnx.load(path))
            ops = sorted({node.op_type for node in onnx.load(path).graph.node})
            print(f"{name} opset {n}: {os.path.getsize(path)} bytes, {' '.join(ops)}", file=sys.stderr)
        print(f"{name}: output std {y.std():.3g}, top-1 {list(y.argmax(1))}", file=sys.stderr)
        names.append(name)
    write_text(os.path.join(outdir, "ZOO"), "".join(f"{s}\t{n}\n" for s in names for n in OPSETS))


if __name__ == "__main__":
    main()
