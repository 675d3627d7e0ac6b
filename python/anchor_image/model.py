# SPDX-License-Identifier: Apache-2.0
"""The built-in ONNX engine as a predictor, and `explain()` for users without a Python model.

OnnxModel is an ordinary predictor (callable on an (N,H,W,C) batch, answering (N, classes)
float64 scores), so AnchorImage takes it like any other; during explain() the library runs
it directly on its own batch buffers, with only a thin pass through Python per batch so
that Ctrl-C still stops the search.
"""
import ctypes
import os

import numpy as np

from . import _lib
from .explainer import AnchorImage


class OnnxModel:
    """An ONNX image classifier run by libanchor's oneDNN engine.

    preprocess: "raw" (RGB 0..255), "raw-bgr", "inception" (x/127.5-1), "caffe", "torch"
    (x/255, ImageNet mean/std); softmax: apply softmax to the outputs (logit models);
    threads: 0 = all cores; max_batch: images per engine run (0 = engine's choice)."""

    def __init__(self, path, preprocess="raw", softmax=False, threads=0, max_batch=0):
        self.path = os.fspath(path)
        self.preprocess, self.softmax, self.threads, self.max_batch = preprocess, softmax, threads, max_batch
        self._open()

    def _open(self):
        lib = _lib.load()
        opt = _lib.OnnxOptions()
        lib.anchor_onnx_options_default(ctypes.byref(opt))
        self._pre = self.preprocess.encode()  # the library keeps the pointer while loading only
        opt.preprocess, opt.softmax, opt.threads, opt.max_batch = self._pre, bool(self.softmax), \
            self.threads, self.max_batch
        model, err = ctypes.c_void_p(), _lib.Error()
        _lib.check(lib.anchor_model_load(self.path.encode(), ctypes.byref(opt), ctypes.byref(model),
                                         ctypes.byref(err)), err)
        self.input_shape = (lib.anchor_model_input_height(model), lib.anchor_model_input_width(model),
                            lib.anchor_model_input_channels(model))
        self.num_classes = lib.anchor_model_num_classes(model)
        handle = ctypes.c_void_p()
        st = lib.anchor_predictor_create_model(model, ctypes.byref(handle), ctypes.byref(err))
        if st:
            lib.anchor_model_destroy(model)
            _lib.check(st, err)
        self._handle = handle
        self._lib = lib

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.anchor_predictor_destroy(self._handle)
            self._handle = None

    def __getstate__(self):
        return {k: getattr(self, k) for k in ("path", "preprocess", "softmax", "threads", "max_batch")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._open()

    def _anchor_predictor_handle(self, batch, out, err):
        """Run the engine on a library batch, straight into the library's answer."""
        return self._lib.anchor_predictor_predict(self._handle, batch, out, err)

    def __call__(self, x):
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[None]
        img = _lib.image_from_array(x, "batch")
        out, err = ctypes.c_void_p(), _lib.Error()
        _lib.check(self._lib.anchor_prediction_create(ctypes.byref(out), ctypes.byref(err)), err)
        try:
            _lib.check(self._lib.anchor_predictor_predict(self._handle, img.ptr, out, ctypes.byref(err)), err)
            n, k = self._lib.anchor_prediction_count(out), self._lib.anchor_prediction_classes(out)
            ptr = self._lib.anchor_prediction_scores(out)
            buf = (ctypes.c_double * (n * k)).from_address(ptr)
            return np.frombuffer(buf, dtype=np.float64).reshape(n, k).copy()
        finally:
            self._lib.anchor_prediction_destroy(out)


def load_image(path, size=None):
    """A photo as Pillow gives it (Image.open(path).convert('RGB')), optionally resized to
    size = (width, height) with Pillow's default filter (bicubic): uint8 H x W x 3."""
    lib = _lib.load()
    out, err = ctypes.c_void_p(), _lib.Error()
    _lib.check(lib.anchor_image_load(os.fspath(path).encode(), _lib.COLOR_RGB, ctypes.byref(out),
                                     ctypes.byref(err)), err)
    img = _lib.Image(out.value)
    if size is not None:
        resized = ctypes.c_void_p()
        _lib.check(lib.anchor_resize(img.ptr, int(size[1]), int(size[0]), _lib.RESIZE_BICUBIC,
                                     ctypes.byref(resized), ctypes.byref(err)), err)
        img = _lib.Image(resized.value)
    return _lib.copy_image(img.ptr)[0]


def explain(image, model, preprocess="raw", softmax=False, threads=0, segmentation_fn="slic",
            segmentation_kwargs=None, images_background=None, seed=None, **explain_kwargs):
    """Explain an ONNX classifier's prediction on `image` with the built-in engine.

    image: an H x W x C uint8/float32 array, or a PNG/JPEG path (read as Pillow's RGB and
    resized to the model's input size). model: an .onnx path or an OnnxModel. The rest are
    AnchorImage's constructor arguments and explain()'s (threshold=..., p_sample=...).
    As with AnchorImage, numpy's global generator is seeded with `seed` first."""
    if not isinstance(model, OnnxModel):
        model = OnnxModel(model, preprocess=preprocess, softmax=softmax, threads=threads)
    if isinstance(image, (str, os.PathLike)):
        h, w, _ = model.input_shape
        image = load_image(image, (w, h))
    image = np.asarray(image)
    explainer = AnchorImage(model, image.shape, dtype=image.dtype, segmentation_fn=segmentation_fn,
                            segmentation_kwargs=segmentation_kwargs, images_background=images_background,
                            seed=seed)
    return explainer.explain(image, **explain_kwargs)
