#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""alibi's AnchorImage tutorial, with anchor_image: the import line is the only change.

The seed's flow: load a photo with PIL, resize it to the model's size, print the model's top
5 with ImageNet names, explain the top class with threshold .90 and p_sample .5 after
np.random.seed(0), and save the anchor and the superpixels as pictures (matplotlib, if
installed).

The model is a PyTorch torchvision classifier. No pretrained weights can be downloaded
here, so unless --weights names a state_dict file the network has RANDOM weights: the flow
and the speed are real, the predictions are not. For a real ImageNet model without
PyTorch, --onnx runs an ONNX file with the library's built-in engine instead (e.g.
../shared/models/squeezenet1.1_fp32_from_winml_fp16.onnx with --preprocess raw-bgr).

    python3 examples/python/tutorial.py [photo] [--model inception_v3] [--weights w.pth]
                                        [--onnx m.onnx --preprocess raw-bgr] [--out dir]
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2] / "python"))  # from a checkout; an installed package also works
from anchor_image import AnchorImage  # was: from alibi.explainers import AnchorImage  # noqa: E402

SHARED = Path(os.environ.get("ANCHOR_SHARED", HERE.parents[3] / "shared"))


def torch_predictor(name, weights):
    import torch
    import torchvision
    kwargs = {"aux_logits": False, "init_weights": True} if name == "inception_v3" else {}
    net = getattr(torchvision.models, name)(weights=None, **kwargs)
    if weights:
        net.load_state_dict(torch.load(weights, map_location="cpu"))
    else:
        print(f"note: {name} has RANDOM weights (none can be downloaded offline; pass --weights)")
        torch.manual_seed(0)
    net.eval()
    size = 299 if name == "inception_v3" else 224
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def predict_fn(x):  # (N, H, W, 3) uint8 -> (N, 1000) probabilities, as alibi's tutorial model
        with torch.no_grad():
            t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
            return torch.softmax(net((t - mean) / std), dim=1).numpy()
    return predict_fn, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("photo", nargs="?", default=str(SHARED / "images" / "chelsea.png"))
    ap.add_argument("--model", default="inception_v3", help="a torchvision model name")
    ap.add_argument("--weights", help="a state_dict file for --model")
    ap.add_argument("--onnx", help="an ONNX model run by the built-in engine instead of PyTorch")
    ap.add_argument("--preprocess", default="raw", help="for --onnx: raw, raw-bgr, inception, caffe, torch")
    ap.add_argument("--out", default="tutorial-out")
    args = ap.parse_args()

    if args.onnx:
        from anchor_image import OnnxModel
        predict_fn = OnnxModel(args.onnx, preprocess=args.preprocess)
        size = predict_fn.input_shape[0]
    else:
        predict_fn, size = torch_predictor(args.model, args.weights)
    names = (SHARED / "models" / "imagenet_labels_1000.txt").read_text().splitlines() \
        if (SHARED / "models" / "imagenet_labels_1000.txt").exists() else None

    image = np.array(Image.open(args.photo).convert("RGB").resize((size, size)))
    preds = predict_fn(image[None])[0]
    print("top 5:")
    for k in np.argsort(preds)[::-1][:5]:
        print(f"  {k:4d} {names[k] if names else ''}  {preds[k]:.4f}")

    # the tutorial's explainer and call
    explainer = AnchorImage(predict_fn, image.shape, segmentation_fn="slic", images_background=None)
    np.random.seed(0)
    t0 = time.perf_counter()
    explanation = explainer.explain(image, threshold=.90, p_sample=.5)
    seconds = time.perf_counter() - t0
    print(f"anchor: superpixels {explanation.raw['feature']} (in the order found)")
    print(f"precision: {explanation.precision}  coverage: {explanation.coverage}  status: {explanation.status}")
    s = explanation.stats
    print(f"explain: {seconds:.2f} s; {s['images_sampled']} images sampled in {s['predictor_calls']} calls, "
          f"{s['images_predicted']} sent to the model in {s['model_calls']} calls (the rest were repeats)")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no pictures")
        return
    os.makedirs(args.out, exist_ok=True)
    plt.imshow(explanation.anchor.astype(np.uint8))
    plt.axis("off")
    plt.savefig(os.path.join(args.out, "anchor.png"), bbox_inches="tight")
    plt.imshow(explanation.segments)
    plt.savefig(os.path.join(args.out, "segments.png"), bbox_inches="tight")
    print(f"pictures: {args.out}/anchor.png, {args.out}/segments.png")


if __name__ == "__main__":
    main()
