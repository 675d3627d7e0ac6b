# SPDX-License-Identifier: Apache-2.0
"""anchor_image against alibi itself, on alibi's tutorial flow with a PyTorch predictor.

For each photo: PIL load, resize to 299, AnchorImage(predict_fn, (299, 299, 3),
segmentation_fn='slic'), np.random.seed(0), explain(threshold=.90, p_sample=.5), once with
alibi's AnchorImage (its own source, run from a temporary folder) and once with ours. The
predictor is the same PyTorch network for both: the reference runs' toy classifier written
in PyTorch (no pretrained ImageNet weights can be downloaded here; the toy's labels react to
superpixels, so the search does real work). Checked: identical feature
lists, precisions, coverages and numpy generator state afterwards. Reported: wall seconds of
each explain and their CPU seconds (best of BENCH_RUNS; CPU time is what to compare on a
busy machine), the ratios, the images each sent to the model, and our Python-side cost per
predictor call: the library's path into a Python predictor (ctypes callback, numpy view,
answer handed back) timed on 100-image batches with a predictor that returns a prepared
answer, minus that predictor called directly.

usage: bench_python.py ALIBI_SRC SHARED [photo ...]"""
import os
import sys
import time
import types

import numpy as np
import torch
from PIL import Image

alibi_src, shared = sys.argv[1], sys.argv[2]
photos = sys.argv[3:] or ["chelsea.png", "astronaut.png", "coffee.png"]
runs = int(os.environ.get("BENCH_RUNS", "3"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from anchor_image import AnchorImage as Ours  # noqa: E402

# alibi's AnchorImage without alibi/__init__ (which imports every explainer and sklearn)
for name in ("alibi", "alibi.explainers", "alibi.explainers.anchors", "alibi.utils"):
    m = types.ModuleType(name)
    m.__path__ = [os.path.join(alibi_src, *name.split("."))]
    sys.modules[name] = m
from alibi.explainers.anchors.anchor_image import AnchorImage as Alibi  # noqa: E402

# The reference runs' toy classifier (../shared/predictors/toy_linear.py) as a PyTorch
# network: 13 x 13 block means (299 = 13 * 23), a linear layer with the toy's hashed weights
# on the centred features, softmax. Its labels react to superpixels, so the search has work.
torch.set_num_threads(1)
sys.path.insert(0, os.path.join(shared, "predictors"))
import toy_linear  # noqa: E402

toy = toy_linear.ToyLinearSoftmax()
W = torch.from_numpy(toy.weights(13 * 13 * 3)).float()


class TorchToy(torch.nn.Module):
    def forward(self, x):  # x: N x 3 x 299 x 299 in [0, 1]
        f = torch.nn.functional.avg_pool2d(x, 23).permute(0, 2, 3, 1).reshape(len(x), -1) - 0.5
        return torch.softmax(f @ W, dim=1)


net = TorchToy().eval()
model_seconds = [0.0]
model_calls = [0]
model_images = [0]


def predict_fn(x):
    t0 = time.perf_counter()
    with torch.no_grad():
        t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
        y = net(t).numpy()
    model_seconds[0] += time.perf_counter() - t0
    model_calls[0] += 1
    model_images[0] += len(x)
    return y


def run(cls, image):
    best = None
    for _ in range(runs):
        explainer = cls(predict_fn, image.shape, segmentation_fn="slic", images_background=None)
        np.random.seed(0)
        model_seconds[0], model_calls[0], model_images[0] = 0.0, 0, 0
        t0, c0 = time.perf_counter(), time.process_time()
        e = explainer.explain(image, threshold=.90, p_sample=.5)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or cpu < best[1]:
            best = (e, cpu, wall, model_images[0], np.random.get_state())
    return best


def python_cost_per_call(image, n=100, reps=300):
    """Seconds our layer adds to one predictor call of n images."""
    import ctypes
    from anchor_image import _lib
    lib = _lib.load()
    answer = np.zeros((n, 10))
    answer[:, 3] = 1

    def trivial(x):
        return answer
    explainer = Ours(trivial, image.shape)
    handle, keep = explainer._library_predictor([])
    batch = _lib.image_from_array(np.repeat(image[None], n, axis=0), "batch")
    out, err = ctypes.c_void_p(), _lib.Error()
    lib.anchor_prediction_create(ctypes.byref(out), ctypes.byref(err))
    x = _lib.view_image(batch.ptr)
    t0 = time.process_time()
    for _ in range(reps):
        trivial(x)
    direct = (time.process_time() - t0) / reps
    t0 = time.process_time()
    for _ in range(reps):
        assert lib.anchor_predictor_predict(handle, batch.ptr, out, ctypes.byref(err)) == 0
    through = (time.process_time() - t0) / reps
    lib.anchor_prediction_destroy(out)
    lib.anchor_predictor_destroy(handle)
    return through - direct


print(f"{'photo':14s} {'anchor':10s} {'alibi cpu s':>11s} {'ours cpu s':>10s} {'cpu ratio':>9s} "
      f"{'alibi wall':>10s} {'ours wall':>9s} {'alibi imgs':>10s} {'our imgs':>8s}  same")
for photo in photos:
    image = np.array(Image.open(os.path.join(shared, "images", photo)).convert("RGB").resize((299, 299)))
    a, ca, wa, ia, sa = run(Alibi, image)
    o, co, wo, io, so = run(Ours, image)
    same = (a.data["raw"]["feature"] == o.raw["feature"] and
            [float(v) for v in a.data["raw"]["precision"]] == o.raw["precision"] and
            [float(v) for v in a.data["raw"]["coverage"]] == o.raw["coverage"] and
            sa[2] == so[2] and np.array_equal(sa[1], so[1]))
    print(f"{photo:14s} {str(o.raw['feature']):10s} {ca:11.3f} {co:10.3f} {ca / co:8.1f}x "
          f"{wa:10.3f} {wo:9.3f} {ia:10d} {io:8d}  {'yes' if same else 'NO'}")
    sys.stdout.flush()
cost = python_cost_per_call(image)
print(f"our Python-side cost per predictor call (100 x 299 x 299 x 3 uint8 batch): {cost * 1e3:.3f} ms CPU")
