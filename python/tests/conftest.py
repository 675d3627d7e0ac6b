# SPDX-License-Identifier: Apache-2.0
"""Shared set-up: the shared data folder (../shared beside the repository, or ANCHOR_SHARED),
the toy model of the alibi reference runs, and loading one reference case."""
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))  # the package from this checkout unless installed

SHARED = Path(os.environ.get("ANCHOR_SHARED") or REPO.parent / "shared")
ALIBI = SHARED / "fixtures" / "alibi"
CASES = sorted(p.name for p in ALIBI.glob("case*")) if ALIBI.is_dir() else []

needs_shared = pytest.mark.skipif(not ALIBI.is_dir(), reason=f"the shared data folder is absent ({SHARED})")


def toy_module():
    """../shared/predictors/toy_linear.py, importable by name (so its models pickle)."""
    if "toy_linear" not in sys.modules:
        spec = importlib.util.spec_from_file_location("toy_linear", SHARED / "predictors" / "toy_linear.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["toy_linear"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["toy_linear"]


def read_png(path):
    from PIL import Image
    a = np.array(Image.open(path))
    return a[:, :, None] if a.ndim == 2 else a


class Case:
    def __init__(self, name):
        d = ALIBI / name
        self.name, self.dir = name, d
        self.params = json.loads((d / "params.json").read_text())
        self.expected = json.loads((d / "expected.json").read_text())
        self.rng_after = json.loads((d / "rng_after.json").read_text())
        f = self.params["image"]["file"]
        self.image = np.load(d / f) if f.endswith(".npy") else read_png(d / f)
        self.segments = np.load(d / "segments.npy")
        bg = self.params["backgrounds"]
        self.backgrounds = np.load(d / bg["file"]) if bg else None
        pr = self.params["predictor"]
        self.model = toy_module().ToyLinearSoftmax(pr["grid"], pr["classes"], pr["gain"], pr["centre"],
                                                   pr["bias_scale"])
        self.explain_kwargs = {k: v for k, v in self.params["explain"].items() if k != "verbose"}
        self.dtype = np.dtype(self.params["explainer"].get("dtype", "float32")).type
