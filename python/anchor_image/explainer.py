# SPDX-License-Identifier: Apache-2.0
"""AnchorImage: alibi 0.9's image explainer, same constructor, same explain(), same answers.

The search runs in libanchor (bit for bit alibi's, ../shared/SPEC.md); this module only
turns alibi's Python surface into library calls:
  * randomness: alibi seeds numpy's global generator in the constructor and draws from it in
    explain(). We hand np.random.get_state() to the library and set numpy's state to where
    the search left it, so any seeding pattern gives alibi's answer and later draws continue
    alibi's stream;
  * the predictor: each batch reaches Python as a numpy view of the library's buffer (no
    copy); an exception (Ctrl-C included) is kept, the library is told to stop, and the same
    exception object is raised from explain() with its traceback;
  * the explanation: alibi's Explanation layout, with its types (float64 precisions, the
    examples scaled with alibi's scale_image, int64 anchor picture).
"""
import copy
import ctypes
import logging
import pickle
import warnings

import numpy as np

from . import _lib
from .exceptions import PredictorCallError, PredictorReturnTypeError
from .explanation import Explanation

logger = logging.getLogger(__name__)

DEFAULT_SEGMENTATION_KWARGS = {
    "felzenszwalb": {},
    "quickshift": {},
    "slic": {"n_segments": 10, "compactness": 10, "sigma": .5, "start_label": 0},
}
_BUILTIN = ("slic", "quickshift", "felzenszwalb")
_HIDDEN_KWARGS = ("epsilon_stop",)  # alibi's anchor_beam reads it from **kwargs


def scale_image(image, scale=(0, 255)):
    """alibi's scale_image: min-max stretch of the whole array, in the array's arithmetic."""
    img_max, img_min = image.max(), image.min()
    img_std = (image - img_min) / (img_max - img_min)
    return img_std * (scale[1] - scale[0]) + scale[0]


def _pack(obj, what):
    """obj itself if pickle takes it, else dill's bytes if dill does, else None (with a warning)."""
    if obj is None or isinstance(obj, str):
        return ("plain", obj)
    try:
        pickle.dumps(obj)
        return ("plain", obj)
    except Exception:
        pass
    try:
        import dill
        return ("dill", dill.dumps(obj))
    except Exception:
        warnings.warn(f"AnchorImage: the {what} cannot be pickled; it is left out (set it again "
                      "after loading)")
        return ("plain", None)


def _unpack(packed):
    kind, value = packed
    if kind == "dill":
        import dill
        return dill.loads(value)
    return value


def _kwarg_text(v):
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (tuple, list, np.ndarray)):
        return ",".join(_kwarg_text(x) for x in v)
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


class AnchorImage:
    """Drop-in for alibi.explainers.AnchorImage (alibi 0.9)."""

    def __init__(self, predictor, image_shape, dtype=np.float32, segmentation_fn="slic",
                 segmentation_kwargs=None, images_background=None, seed=None):
        self.meta = {"name": "AnchorImage", "type": ["blackbox"], "explanations": ["local"],
                     "params": {}, "version": _lib.version()}
        np.random.seed(seed)
        if isinstance(segmentation_fn, str) and segmentation_kwargs is None:
            try:
                segmentation_kwargs = DEFAULT_SEGMENTATION_KWARGS[segmentation_fn]
            except KeyError:
                segmentation_kwargs = {}
        elif callable(segmentation_fn) and segmentation_kwargs:
            logger.warning("Specified both a segmentation function to create superpixels and keyword "
                           "arguments for built-in segmentation functions. By default the specified "
                           "segmentation function will be used.")
        if isinstance(segmentation_fn, str) and segmentation_fn not in _BUILTIN:
            raise KeyError(f"segmentation_fn {segmentation_fn!r}: use one of {', '.join(_BUILTIN)} "
                           "or a callable")
        if not isinstance(segmentation_fn, str) and not callable(segmentation_fn):
            raise TypeError("segmentation_fn must be a method name or a callable returning a label map")
        self.image_shape = tuple(image_shape)
        self.dtype = dtype
        self.predictor = predictor
        self.custom_segmentation = callable(segmentation_fn)
        self.segmentation_fn = segmentation_fn
        self.segmentation_kwargs = copy.deepcopy(segmentation_kwargs)
        self.images_background = images_background
        self.p_sample = 0.5
        self.meta["params"].update(
            custom_segmentation=self.custom_segmentation, segmentation_kwargs=segmentation_kwargs,
            p_sample=self.p_sample, seed=seed, image_shape=self.image_shape,
            images_background=self.images_background,
            segmentation_fn="custom" if self.custom_segmentation else segmentation_fn)
        for key, value in self.meta.items():  # alibi's Base exposes meta keys as attributes
            setattr(self, key, value)

    # ---- the predictor -------------------------------------------------------------------
    @property
    def predictor(self):
        return self._predictor

    @predictor.setter
    def predictor(self, predictor):
        self._probe(predictor)
        self._predictor = predictor

    def reset_predictor(self, predictor):
        """Use a new predictor (probed on zeros, as alibi does)."""
        self.predictor = predictor

    def _probe(self, predictor):
        # alibi calls the predictor once on zeros to tell labels from scores; the library
        # tells them apart from each answer's shape, so this only reproduces alibi's errors.
        x = np.zeros((1,) + self.image_shape, dtype=self.dtype)
        try:
            prediction = predictor(x)
        except Exception as e:
            raise PredictorCallError(
                f"Predictor failed to be called on {type(x)} of shape {x.shape} and dtype {x.dtype}. "
                "Check that the parameter `image_shape` is correctly specified.") from e
        if not isinstance(prediction, np.ndarray):
            raise PredictorReturnTypeError(
                f"Excepted predictor return type to be {np.ndarray} but got {type(prediction)}.")

    # ---- pickling --------------------------------------------------------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_predictor"] = _pack(self._predictor, "predictor")
        state["segmentation_fn"] = _pack(self.segmentation_fn, "segmentation_fn")
        return state

    def __setstate__(self, state):
        state = dict(state)
        state["_predictor"] = _unpack(state["_predictor"])
        state["segmentation_fn"] = _unpack(state["segmentation_fn"])
        self.__dict__.update(state)

    # ---- explain ---------------------------------------------------------------------------
    def generate_superpixels(self, image):
        """The label map of `image` (alibi's method of the same name)."""
        labels, _ = self._segment(np.asarray(image))
        return labels

    def _segment(self, image):
        """(label map as the user sees it, anchor_image handle for the library)."""
        if self.segmentation_fn is None:
            raise RuntimeError("this explainer was unpickled without its segmentation_fn")
        if self.custom_segmentation:
            labels = np.asarray(self.segmentation_fn(image.copy()))
            if labels.shape != image.shape[:2]:
                raise ValueError(f"segmentation_fn returned shape {labels.shape}, expected "
                                 f"{image.shape[:2]} (the image's height and width)")
            send = labels
            if labels.dtype.kind == "f":
                if not np.all(np.isfinite(labels)) or np.any(labels != np.floor(labels)):
                    raise ValueError("segmentation_fn returned non-integer labels")
                send = labels.astype(np.int64)
            elif labels.dtype.kind == "b":
                send = labels.astype(np.uint8)
            elif labels.dtype.kind in "iu" and labels.dtype not in (np.uint8, np.uint16, np.int32, np.int64):
                send = labels.astype(np.int64)
            elif labels.dtype.kind not in "iu":
                raise TypeError(f"segmentation_fn returned {labels.dtype} labels; integers expected")
            return labels, _lib.image_from_array(send, "label map")
        lib = _lib.load()
        err = _lib.Error()
        seg = ctypes.c_void_p()
        _lib.check(lib.anchor_segmenter_create(self.segmentation_fn.encode(), ctypes.byref(seg),
                                               ctypes.byref(err)), err)
        try:
            kwargs = self.segmentation_kwargs or {}
            if not kwargs and self.segmentation_kwargs is not None and self.segmentation_fn == "slic":
                # {} means skimage's own defaults, not alibi's table: the library's first
                # set() restores skimage's defaults, and n_segments=100 is one of them.
                kwargs = {"n_segments": 100}
            for k, v in kwargs.items():
                if k in ("channel_axis", "multichannel") or (k == "mask" and v is None):
                    continue  # the library's fixed conventions (channels last, no mask)
                _lib.check(lib.anchor_segmenter_set(seg, str(k).encode(), _kwarg_text(v).encode(),
                                                    ctypes.byref(err)), err)
            img = _lib.image_from_array(image, "image")
            out = ctypes.c_void_p()
            _lib.check(lib.anchor_segmenter_run(seg, img.ptr, ctypes.byref(out), ctypes.byref(err)), err)
        finally:
            lib.anchor_segmenter_destroy(seg)
        handle = _lib.Image(out.value)
        return _lib.copy_image(handle.ptr)[0, :, :, 0].astype(np.int64), handle

    def _library_predictor(self, raised):
        """A library predictor handle calling self.predictor, and what keeps it alive."""
        lib = _lib.load()
        native = getattr(self._predictor, "_anchor_predictor_handle", None)
        predict = self._predictor

        def deliver(out, y, err):
            if not isinstance(y, np.ndarray):
                y = np.asarray(y)
            if y.ndim == 1 and y.dtype.kind in "iub":
                y = np.ascontiguousarray(y, dtype=np.int64)
                return lib.anchor_prediction_set_labels(out, y.shape[0], y.ctypes.data, err)
            if y.ndim == 1:
                y = y.reshape(-1, 1)  # alibi compares such answers for equality: one-column scores
            if y.ndim != 2 or y.dtype.kind not in "iubf":
                raise ValueError(f"the predictor must answer (N, L) scores or (N,) labels, got shape "
                                 f"{y.shape} dtype {y.dtype}")
            if y.dtype not in (np.float32, np.float64) or not y.flags.c_contiguous:
                y = np.ascontiguousarray(y, dtype=np.float64)
            code = _lib.DTYPE_F32 if y.dtype == np.float32 else _lib.DTYPE_F64
            return lib.anchor_prediction_set_scores(out, y.shape[0], y.shape[1], code, y.ctypes.data, err)

        def callback(user, batch, out, err):
            try:
                if raised:  # Ctrl-C landed in the log callback: stop at the next batch
                    return _lib.ERR_PREDICTOR
                if native is not None:  # the built-in engine: through Python only to see Ctrl-C
                    return native(batch, out, err)
                x = _lib.view_image(batch)
                return deliver(out, predict(x), err)
            except BaseException as e:  # KeyboardInterrupt too: the library stops, we re-raise
                raised.append(e)
                if err:
                    err[0].status = _lib.ERR_PREDICTOR
                    err[0].message = f"the predictor raised {type(e).__name__}: {e}".encode(
                        "utf-8", "replace")[:_lib.ERROR_MESSAGE_MAX - 1]
                return _lib.ERR_PREDICTOR

        fn = _lib.PREDICT_FN(callback)
        handle, err = ctypes.c_void_p(), _lib.Error()
        _lib.check(lib.anchor_predictor_create_callback(fn, None, None, ctypes.byref(handle),
                                                        ctypes.byref(err)), err)
        return handle, fn

    def explain(self, image, p_sample=0.5, threshold=0.95, delta=0.1, tau=0.15, batch_size=100,
                coverage_samples=10000, beam_size=1, stop_on_first=False, max_anchor_size=None,
                min_samples_start=100, n_covered_ex=10, binary_cache_size=10000, cache_margin=1000,
                verbose=False, verbose_every=1, **kwargs):
        """Explain the classifier's prediction on `image` (H x W x C, uint8 or float32)."""
        params = dict(locals())
        params.pop("self")
        params.pop("image")
        unknown = [k for k in kwargs if k not in _HIDDEN_KWARGS]
        if unknown:
            raise TypeError(f"explain() got unexpected keyword arguments: {', '.join(unknown)}")
        if self._predictor is None:
            raise RuntimeError("this explainer has no predictor (it was unpickled without one): "
                               "call reset_predictor(predictor)")
        lib = _lib.load()
        image = np.asarray(image)
        if image.ndim != 3:
            raise ValueError(f"explain one H x W x C image; got shape {image.shape}")
        if image.dtype not in (np.uint8, np.float32):
            raise TypeError(f"the image must be uint8 or float32, not {image.dtype}")
        segments, seg_handle = self._segment(image)
        img = _lib.image_from_array(image, "image")
        bg = None
        if self.images_background is not None:
            bga = np.asarray(self.images_background)
            if bga.dtype not in (image.dtype, np.uint8):
                bga = bga.astype(image.dtype)
            bg = _lib.image_from_array(bga, "images_background")

        p = _lib.ExplainParams()
        lib.anchor_explain_params_default(ctypes.byref(p))
        p.p_sample, p.threshold, p.delta, p.tau = p_sample, threshold, delta, tau
        p.batch_size, p.coverage_samples, p.beam_size = batch_size, coverage_samples, beam_size
        p.stop_on_first = bool(stop_on_first)
        p.max_anchor_size = 0 if max_anchor_size is None else max_anchor_size
        p.min_samples_start, p.n_covered_ex = min_samples_start, n_covered_ex
        p.binary_cache_size, p.cache_margin = binary_cache_size, cache_margin
        p.epsilon_stop = kwargs.get("epsilon_stop", p.epsilon_stop)
        p.verbose, p.verbose_every = bool(verbose), verbose_every

        raised = []

        def log(user, line):
            try:
                text = line.decode("utf-8", "replace")
                if text.startswith("warning"):
                    logger.warning(text)
                else:
                    print(text)
            except BaseException as e:  # a Ctrl-C can surface here; the predictor stops the search
                if not raised:
                    raised.append(e)
        p.log = _lib.LOG_FN(log)

        state = np.random.get_state()
        if state[0] != "MT19937":
            raise RuntimeError(f"numpy's global generator is {state[0]}, not MT19937")
        rng = _lib.MT19937State()
        key = np.ascontiguousarray(state[1], dtype=np.uint32)
        ctypes.memmove(rng.key, key.ctypes.data, key.nbytes)
        rng.pos, rng.has_gauss, rng.cached_gaussian = int(state[2]), bool(state[3]), float(state[4])
        p.rng_state = ctypes.pointer(rng)

        pred, fn = self._library_predictor(raised)
        e, err = ctypes.c_void_p(), _lib.Error()
        try:
            status = lib.anchor_explain(img.ptr, seg_handle.ptr, bg.ptr if bg else None, pred, ctypes.byref(p),
                                        ctypes.byref(e), ctypes.byref(err))
        finally:
            lib.anchor_predictor_destroy(pred)
        del fn
        if raised:
            if e.value:
                lib.anchor_explanation_destroy(e)
            raise raised[0].with_traceback(raised[0].__traceback__)
        _lib.check(status, err)
        try:
            after = _lib.MT19937State()
            lib.anchor_explanation_rng_state(e, ctypes.byref(after))
            np.random.set_state(("MT19937", np.ctypeslib.as_array(after.key).copy(), after.pos,
                                 int(after.has_gauss), after.cached_gaussian))
            return self._build_explanation(lib, e, img, image, segments, params)
        finally:
            lib.anchor_explanation_destroy(e)

    def _build_explanation(self, lib, e, img, image, segments, params):
        size = lib.anchor_explanation_size(e)
        status = lib.anchor_result_status_name(lib.anchor_explanation_status(e)).decode()
        raw = {"feature": [], "mean": [], "precision": [], "coverage": [], "examples": []}
        for i in range(size):
            raw["feature"].append(lib.anchor_explanation_feature(e, i))
            prec = np.float64(lib.anchor_explanation_prefix_precision(e, i))
            raw["mean"].append(prec)
            raw["precision"].append(prec)
            raw["coverage"].append(np.float64(lib.anchor_explanation_prefix_coverage(e, i)))
            ex = {}
            for key, kept in (("covered_true", 1), ("covered_false", 0)):
                ptr = lib.anchor_explanation_examples(e, i, kept)
                ex[key] = [scale_image(x) for x in _lib.copy_image(ptr)] if ptr else []
            ex["uncovered_true"] = np.array([])
            ex["uncovered_false"] = np.array([])
            raw["examples"].append(ex)
        empty = status == "EMPTY_ANCHOR"
        raw["all_precision"] = np.array([lib.anchor_explanation_precision(e)]) if empty else 0
        raw["num_preds"] = int(lib.anchor_explanation_num_preds(e))
        raw["success"] = bool(lib.anchor_explanation_success(e))
        raw["instance"] = image
        raw["instances"] = np.expand_dims(image, 0)
        raw["prediction"] = np.array([lib.anchor_explanation_instance_label(e)])

        out, err = ctypes.c_void_p(), _lib.Error()
        _lib.check(lib.anchor_explanation_anchor_image(e, img.ptr, ctypes.byref(out), ctypes.byref(err)), err)
        picture = _lib.Image(out.value)  # owns the pixels while they are copied
        anchor = _lib.copy_image(picture.ptr)[0].astype(np.int64)
        if lib.anchor_explanation_labels_remapped(e):  # the features name the 0..K-1 labels
            segments = _lib.copy_image(lib.anchor_explanation_segments(e))[0, :, :, 0].astype(np.int64)
        data = {"anchor": anchor, "segments": segments,
                "precision": raw["all_precision"] if empty else raw["precision"][-1],
                "coverage": 1 if empty else raw["coverage"][-1], "raw": raw}
        meta = copy.deepcopy(self.meta)
        meta["params"].update(params)
        s = _lib.ExplainStats()
        lib.anchor_explanation_stats(e, ctypes.byref(s))
        stats = {f: getattr(s, f) for f, _ in _lib.ExplainStats._fields_}
        return Explanation(meta=meta, data=data, status=status, stats=stats)
