# SPDX-License-Identifier: Apache-2.0
"""The alibi reference runs (../shared/fixtures/alibi) through the Python API, with the
reference runs' own toy model (toy_linear.py's ToyLinearSoftmax) as a Python predictor:
explanation.data as alibi produced it (anchor, precisions and coverages as exact doubles,
raw fields, example counts, the anchor picture) and numpy's global generator left exactly
where alibi left it (rng_after.json)."""
import numpy as np
import pytest

from conftest import CASES, Case, needs_shared, read_png
from anchor_image import AnchorImage

pytestmark = needs_shared


def check_rng(case):
    name, key, pos, has_gauss, cached = np.random.get_state()
    r = case.rng_after
    assert name == "MT19937"
    assert pos == r["pos"], f"{case.name}: generator position"
    assert key.tolist() == r["key"], f"{case.name}: generator key"
    assert has_gauss == r["has_gauss"] and cached == r["cached_gaussian"]


def check_data(case, e):
    x = case.expected
    raw = e.data["raw"]
    assert list(e.data) == ["anchor", "segments", "precision", "coverage", "raw"]
    assert raw["feature"] == x["feature"]
    assert raw["precision"] == x["precision_per_prefix"]  # exact doubles
    assert raw["mean"] == x["precision_per_prefix"]
    assert raw["coverage"] == x["coverage_per_prefix"]
    assert raw["success"] is x["success"]
    assert raw["num_preds"] == x["raw_num_preds"]
    assert raw["prediction"].tolist() == [x["instance_label"]]
    if x["feature"]:
        assert raw["all_precision"] == 0
        assert e.precision == x["precision"] and e.coverage == x["coverage"]
    else:  # alibi: the empty anchor's precision is a 1-element array, its coverage 1
        assert raw["all_precision"].tolist() == [x["all_precision"]]
        assert e.precision.tolist() == [x["precision"]] and e.coverage == 1
    for ex, want in zip(raw["examples"], x["examples_per_prefix"]):
        assert len(ex["covered_true"]) == want["covered_true"]
        assert len(ex["covered_false"]) == want["covered_false"]
        assert ex["uncovered_true"].shape == (0,) and ex["uncovered_false"].shape == (0,)
        for img in ex["covered_true"] + ex["covered_false"]:
            assert img.shape == case.image.shape
            assert img.dtype == (np.float32 if case.image.dtype == np.float32 else np.float64)
            assert img.min() == 0 and img.max() == 255  # alibi's scale_image
    assert len(raw["examples"]) == len(x["feature"])
    assert raw["instance"] is not None and raw["instances"].shape == (1,) + case.image.shape
    assert e.anchor.dtype == np.int64
    assert np.array_equal(e.anchor, read_png(case.dir / "anchor.png").reshape(e.anchor.shape))
    assert np.array_equal(e.segments, case.segments)
    assert e.meta["name"] == "AnchorImage" and e.meta["params"]["threshold"] == case.explain_kwargs["threshold"]


SLOW = ("case09_chelsea_slic50_beam2", "case10_astronaut_200x150_beam2", "case11_chelsea_small_batches")


@pytest.mark.parametrize("name", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in CASES])
def test_case_custom_segmentation(name):
    """alibi's reference run exactly: the stored label map through a callable."""
    case = Case(name)
    explainer = AnchorImage(case.model, case.image.shape, dtype=case.dtype,
                            segmentation_fn=lambda img: case.segments,
                            images_background=case.backgrounds, seed=case.params["seed"])
    e = explainer.explain(case.image, **case.explain_kwargs)
    check_rng(case)
    check_data(case, e)
    assert e.status == ("EMPTY_ANCHOR" if not case.expected["feature"] else "FOUND")
    assert e.stats["predictor_calls"] == case.expected["predictor"]["explain_calls"]
    assert e.stats["images_sampled"] == case.expected["predictor"]["explain_images"]
    assert e.stats["images_predicted"] <= e.stats["images_sampled"]


@pytest.mark.parametrize("name", [c for c in CASES if c < "case06"])
def test_case_builtin_segmentation(name):
    """segmentation_fn given by name: the library's slic gives alibi's label map and answer."""
    case = Case(name)
    seg = case.params["segmentation"]
    kwargs = None if seg["alibi_default_kwargs"] else seg["kwargs"]
    explainer = AnchorImage(case.model, case.image.shape, dtype=case.dtype, segmentation_fn=seg["method"],
                            segmentation_kwargs=kwargs, images_background=case.backgrounds,
                            seed=case.params["seed"])
    e = explainer.explain(case.image, **case.explain_kwargs)
    check_rng(case)
    assert np.array_equal(e.segments, case.segments) and e.segments.dtype == np.int64
    check_data(case, e)
    assert e.meta["params"]["segmentation_fn"] == seg["method"]


def test_tutorial_seeding_pattern():
    """AnchorImage(seed=None) then np.random.seed(0) before explain, as alibi's tutorial does."""
    case = Case("case02_chelsea_seedparams")
    explainer = AnchorImage(case.model, case.image.shape, segmentation_fn=lambda img: case.segments)
    np.random.seed(case.params["seed"])
    e = explainer.explain(case.image, threshold=.90, p_sample=.5)
    check_rng(case)
    check_data(case, e)


def test_labels_and_float32_scores():
    """Answers as (N,) int32 labels or (N,L) float32 scores give the same explanation."""
    case = Case("case03_coffee_kserve")
    for predictor in (lambda x: np.argmax(case.model(x), axis=1).astype(np.int32),
                      lambda x: case.model(x).astype(np.float32),
                      lambda x: np.asfortranarray(case.model(x).astype(np.float16))):
        e = AnchorImage(predictor, case.image.shape, segmentation_fn=lambda img: case.segments,
                        seed=case.params["seed"]).explain(case.image, **case.explain_kwargs)
        check_rng(case)
        assert e.raw["feature"] == case.expected["feature"]
        assert e.raw["precision"] == case.expected["precision_per_prefix"]
        assert e.raw["coverage"] == case.expected["coverage_per_prefix"]


def test_second_explain_continues_the_stream():
    """Two explains in a row: the second starts where alibi's first left numpy's generator."""
    case = Case("case06_chelsea_gray")
    explainer = AnchorImage(case.model, case.image.shape, segmentation_fn=lambda img: case.segments,
                            seed=case.params["seed"])
    first = explainer.explain(case.image, **case.explain_kwargs)
    check_rng(case)
    after_first = np.random.get_state()
    second = explainer.explain(case.image, **case.explain_kwargs)
    # the same run again from the state the first left: the second is reproducible
    np.random.set_state(after_first)
    third = explainer.explain(case.image, **case.explain_kwargs)
    assert second.raw["feature"] == third.raw["feature"] and second.raw["precision"] == third.raw["precision"]
    assert first.raw["feature"] == case.expected["feature"]
