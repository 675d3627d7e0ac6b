# SPDX-License-Identifier: Apache-2.0
"""The C library through ctypes: every declaration the package uses, in this one module.

Why ctypes: nothing to compile at install time, and numpy stays the only run-time
dependency. The structs below mirror include/anchor/*.h field for field; `load()` checks
the mirror against the library's own defaults once, so a header change that is not
carried over here fails at import with a message instead of corrupting a call.

Where the library comes from, first match wins:
  1. the environment variable ANCHOR_LIBRARY (a path to libanchor.so.0);
  2. the path recorded when the package was built (_build_path.py, written by setup.py);
  3. the build/ folder of the repository this file sits in (running from a checkout);
  4. ctypes.util.find_library('anchor') (an installed libanchor.so.0).
"""
import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_int,
                    c_int32, c_int64, c_size_t, c_uint32, c_void_p)
from pathlib import Path

import numpy as np

ERROR_MESSAGE_MAX = 1024
MT19937_WORDS = 624

OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_UNSUPPORTED = 4
ERR_PREDICTOR = 7

DTYPE_U8, DTYPE_U16, DTYPE_I32, DTYPE_I64, DTYPE_F32, DTYPE_F64 = 1, 2, 3, 4, 5, 6
NUMPY_OF_DTYPE = {DTYPE_U8: np.uint8, DTYPE_U16: np.uint16, DTYPE_I32: np.int32,
                  DTYPE_I64: np.int64, DTYPE_F32: np.float32, DTYPE_F64: np.float64}
DTYPE_OF_NUMPY = {np.dtype(v): k for k, v in NUMPY_OF_DTYPE.items()}

COLOR_RGB = 1
RESIZE_BICUBIC = 2


class Error(Structure):
    _fields_ = [("status", c_int), ("message", c_char * ERROR_MESSAGE_MAX)]

    def text(self):
        return self.message.decode("utf-8", "replace")


class MT19937State(Structure):
    _fields_ = [("key", c_uint32 * MT19937_WORDS), ("pos", c_int32), ("has_gauss", c_bool),
                ("cached_gaussian", c_double)]


LOG_FN = CFUNCTYPE(None, c_void_p, c_char_p)
PREDICT_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p, POINTER(Error))


class ExplainParams(Structure):
    _fields_ = [("p_sample", c_double), ("threshold", c_double), ("delta", c_double),
                ("tau", c_double), ("batch_size", c_int64), ("coverage_samples", c_int64),
                ("beam_size", c_int64), ("stop_on_first", c_bool), ("max_anchor_size", c_int64),
                ("min_samples_start", c_int64), ("n_covered_ex", c_int64),
                ("binary_cache_size", c_int64), ("cache_margin", c_int64),
                ("epsilon_stop", c_double), ("seed", c_uint32), ("memoize", c_bool),
                ("log", LOG_FN), ("log_user", c_void_p), ("verbose", c_bool),
                ("verbose_every", c_int64), ("rng_state", POINTER(MT19937State)),
                # the C progress callback (anchor_explain_progress); unused here, kept NULL
                ("progress", c_void_p), ("progress_user", c_void_p)]


class ExplainStats(Structure):
    _fields_ = [("predictor_calls", c_int64), ("images_sampled", c_int64),
                ("images_predicted", c_int64), ("seconds_total", c_double),
                ("seconds_predictor", c_double), ("model_calls", c_int64)]


class OnnxOptions(Structure):
    _fields_ = [("preprocess", c_char_p), ("softmax", c_bool), ("threads", c_int),
                ("max_batch", c_int64)]


_P = c_void_p  # every opaque handle
_E = POINTER(Error)
_PP = POINTER(c_void_p)

# name: (restype, argtypes)
_SIGNATURES = {
    "anchor_version": (c_char_p, []),
    "anchor_status_name": (c_char_p, [c_int]),
    "anchor_image_create": (c_int, [c_int64, c_int64, c_int64, c_int64, c_int, _PP, _E]),
    "anchor_image_destroy": (None, [_P]),
    "anchor_image_count": (c_int64, [_P]),
    "anchor_image_height": (c_int64, [_P]),
    "anchor_image_width": (c_int64, [_P]),
    "anchor_image_channels": (c_int64, [_P]),
    "anchor_image_dtype": (c_int, [_P]),
    "anchor_image_nbytes": (c_size_t, [_P]),
    "anchor_image_data": (c_void_p, [_P]),
    "anchor_image_cdata": (c_void_p, [_P]),
    "anchor_image_load": (c_int, [c_char_p, c_int, _PP, _E]),
    "anchor_resize": (c_int, [_P, c_int64, c_int64, c_int, _PP, _E]),
    "anchor_segmenter_create": (c_int, [c_char_p, _PP, _E]),
    "anchor_segmenter_set": (c_int, [_P, c_char_p, c_char_p, _E]),
    "anchor_segmenter_run": (c_int, [_P, _P, _PP, _E]),
    "anchor_segmenter_destroy": (None, [_P]),
    "anchor_prediction_set_scores": (c_int, [_P, c_int64, c_int64, c_int, c_void_p, _E]),
    "anchor_prediction_set_labels": (c_int, [_P, c_int64, c_void_p, _E]),
    "anchor_prediction_create": (c_int, [_PP, _E]),
    "anchor_prediction_destroy": (None, [_P]),
    "anchor_prediction_count": (c_int64, [_P]),
    "anchor_prediction_classes": (c_int64, [_P]),
    "anchor_prediction_scores": (c_void_p, [_P]),
    "anchor_predictor_create_callback": (c_int, [PREDICT_FN, c_void_p, c_void_p, _PP, _E]),
    "anchor_predictor_predict": (c_int, [_P, _P, _P, _E]),
    "anchor_predictor_destroy": (None, [_P]),
    "anchor_onnx_options_default": (None, [POINTER(OnnxOptions)]),
    "anchor_model_load": (c_int, [c_char_p, POINTER(OnnxOptions), _PP, _E]),
    "anchor_model_destroy": (None, [_P]),
    "anchor_model_input_height": (c_int64, [_P]),
    "anchor_model_input_width": (c_int64, [_P]),
    "anchor_model_input_channels": (c_int64, [_P]),
    "anchor_model_num_classes": (c_int64, [_P]),
    "anchor_model_predict": (c_int, [_P, _P, _P, _E]),
    "anchor_explain_params_default": (None, [POINTER(ExplainParams)]),
    "anchor_explain": (c_int, [_P, _P, _P, _P, POINTER(ExplainParams), _PP, _E]),
    "anchor_explanation_destroy": (None, [_P]),
    "anchor_explanation_status": (c_int, [_P]),
    "anchor_result_status_name": (c_char_p, [c_int]),
    "anchor_explanation_success": (c_bool, [_P]),
    "anchor_explanation_instance_label": (c_int64, [_P]),
    "anchor_explanation_n_segments": (c_int, [_P]),
    "anchor_explanation_segments": (c_void_p, [_P]),
    "anchor_explanation_size": (c_int, [_P]),
    "anchor_explanation_labels_remapped": (c_bool, [_P]),
    "anchor_explanation_feature": (c_int, [_P, c_int]),
    "anchor_explanation_prefix_precision": (c_double, [_P, c_int]),
    "anchor_explanation_prefix_coverage": (c_double, [_P, c_int]),
    "anchor_explanation_precision": (c_double, [_P]),
    "anchor_explanation_coverage": (c_double, [_P]),
    "anchor_explanation_num_preds": (c_int64, [_P]),
    "anchor_explanation_examples": (c_void_p, [_P, c_int, c_bool]),
    "anchor_explanation_batch_sizes": (POINTER(c_int64), [_P, POINTER(c_int64)]),
    "anchor_explanation_stats": (None, [_P, POINTER(ExplainStats)]),
    "anchor_explanation_rng_state": (None, [_P, POINTER(MT19937State)]),
    "anchor_explanation_anchor_image": (c_int, [_P, _P, _PP, _E]),
}


class LibraryError(RuntimeError):
    """A failure inside libanchor, with the library's one-line message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _candidates():
    env = os.environ.get("ANCHOR_LIBRARY")
    if env:
        yield env, "ANCHOR_LIBRARY"
        return  # an explicit choice is never second-guessed
    try:
        from . import _build_path
        yield _build_path.LIBRARY, "the path recorded at build time"
    except ImportError:
        pass
    build = Path(__file__).resolve().parents[2] / "build" / "libanchor.so.0"
    yield str(build), "the repository's build folder"
    found = ctypes.util.find_library("anchor")
    if found:
        yield found, "ctypes.util.find_library"


_lib = None


def load():
    """The loaded library (loaded and checked once)."""
    global _lib
    if _lib is not None:
        return _lib
    tried = []
    for path, source in _candidates():
        if source != "ctypes.util.find_library" and not os.path.exists(path):
            tried.append(f"{path} ({source}: no such file)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({source}: {e})")
            continue
        _declare(lib)
        _lib = lib
        return lib
    raise ImportError("anchor_image: libanchor.so.0 not found; build it (cmake --build build) or set "
                      "ANCHOR_LIBRARY to its path. Tried: " + "; ".join(tried))


def _declare(lib):
    for name, (res, args) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError(f"anchor_image: {lib._name} has no {name}: the library is older than "
                              "this package") from None
        fn.restype, fn.argtypes = res, args
    p = ExplainParams()
    lib.anchor_explain_params_default(ctypes.byref(p))
    if not (p.p_sample == 0.5 and p.threshold == 0.95 and p.batch_size == 100 and p.memoize == 1
            and p.epsilon_stop == 0.05 and p.verbose_every == 1 and not p.rng_state):
        raise ImportError(f"anchor_image: {lib._name} lays out anchor_explain_params differently "
                          "from anchor_image/_lib.py (update the mirror)")


def check(status, err):
    if status != OK:
        raise LibraryError(status, err.text())


# ---- images -------------------------------------------------------------------------------
class Image:
    """An owned anchor_image handle (freed with the object)."""
    __slots__ = ("ptr", "lib")

    def __init__(self, ptr):
        self.lib = load()
        self.ptr = ptr

    def __del__(self):
        if self.ptr:
            self.lib.anchor_image_destroy(self.ptr)
            self.ptr = None


def image_from_array(a, what):
    """Copy a numpy array (H,W), (H,W,C) or (N,H,W,C) into a new anchor_image."""
    lib = load()
    a = np.ascontiguousarray(a)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    code = DTYPE_OF_NUMPY.get(a.dtype)
    if code is None:
        raise TypeError(f"{what}: dtype {a.dtype} is not supported (uint8, uint16, int32, int64, "
                        "float32 or float64)")
    shape = a.shape
    if a.ndim == 2:
        shape = (1, shape[0], shape[1], 1)
    elif a.ndim == 3:
        shape = (1,) + shape
    elif a.ndim != 4:
        raise ValueError(f"{what}: expected 2, 3 or 4 dimensions, got shape {a.shape}")
    out, err = c_void_p(), Error()
    check(lib.anchor_image_create(*shape, code, ctypes.byref(out), ctypes.byref(err)), err)
    img = Image(out.value)
    ctypes.memmove(lib.anchor_image_data(img.ptr), a.ctypes.data, a.nbytes)
    return img


def view_image(ptr):
    """A numpy view (N,H,W,C) of an anchor_image's pixels, without a copy. The view is
    valid only as long as the image is. It is writable, as alibi's batches are: the
    library renders every batch afresh, so a predictor that scales its input in place
    changes nothing else."""
    lib = load()
    n = lib.anchor_image_count(ptr)
    shape = (n, lib.anchor_image_height(ptr), lib.anchor_image_width(ptr),
             lib.anchor_image_channels(ptr))
    dtype = np.dtype(NUMPY_OF_DTYPE[lib.anchor_image_dtype(ptr)])
    nbytes = lib.anchor_image_nbytes(ptr)
    if nbytes == 0:
        return np.zeros(shape, dtype)
    raw = ctypes.cast(lib.anchor_image_cdata(ptr), POINTER(ctypes.c_uint8))
    return np.ctypeslib.as_array(raw, (nbytes,)).view(dtype).reshape(shape)


def copy_image(ptr):
    return view_image(ptr).copy()


def version():
    return load().anchor_version().decode()
