# SPDX-License-Identifier: Apache-2.0
"""The rest of alibi's surface and ours: callable segmentation, gray and float images,
backgrounds, a PyTorch model as predictor (checked against the same network run by the
built-in ONNX engine), failing and interrupted predictors, pickling, JSON, the native call."""
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from conftest import REPO, SHARED, Case, needs_shared
import anchor_image
from anchor_image import AnchorImage, Explanation, PredictorCallError, PredictorReturnTypeError

pytestmark = needs_shared


def same_answer(a, b):
    return (a.raw["feature"] == b.raw["feature"] and a.raw["precision"] == b.raw["precision"]
            and a.raw["coverage"] == b.raw["coverage"])


@pytest.fixture(scope="module")
def chelsea():
    return Case("case01_chelsea_default")


def test_callable_segmentation_float_and_shifted_labels(chelsea):
    """A callable returning float labels, or labels 1..K, gives the reference answer."""
    base = AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn=lambda im: chelsea.segments,
                       seed=0).explain(chelsea.image)
    assert base.raw["feature"] == chelsea.expected["feature"]
    seen = []

    def seg(im):
        seen.append(im.shape)
        return chelsea.segments.astype(np.float64)
    e = AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn=seg, seed=0).explain(chelsea.image)
    assert same_answer(e, base) and seen == [chelsea.image.shape]
    assert e.meta["params"]["segmentation_fn"] == "custom" and e.meta["params"]["custom_segmentation"]
    # labels 1..K are remapped to 0..K-1 (alibi would mis-perturb them), segments shows the map used
    e = AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn=lambda im: chelsea.segments + 1,
                    seed=0).explain(chelsea.image)
    assert same_answer(e, base) and np.array_equal(e.segments, chelsea.segments)


def test_gray_and_float_images():
    gray, flt = Case("case06_chelsea_gray"), Case("case08_float32")
    for case in (gray, flt):
        e = AnchorImage(case.model, case.image.shape, dtype=case.dtype, segmentation_fn="slic",
                        seed=case.params["seed"]).explain(case.image, **case.explain_kwargs)
        assert np.array_equal(e.segments, case.segments)  # gray: segmented as 3 channels, as alibi
        assert e.raw["feature"] == case.expected["feature"]
        assert e.raw["precision"] == case.expected["precision_per_prefix"]
        assert e.anchor.shape == case.image.shape
        assert e.raw["examples"][0]["covered_true"][0].shape == case.image.shape


def test_backgrounds_float_image_uint8_backgrounds():
    """uint8 backgrounds with a float32 image are accepted, as the library takes them."""
    case = Case("case05_chelsea_background")
    img = (case.image.astype(np.float64) / 255).astype(np.float32)
    e = AnchorImage(case.model, img.shape, segmentation_fn=lambda im: case.segments,
                    images_background=case.backgrounds, seed=0).explain(img, batch_size=50)
    assert e.status in ("FOUND", "BELOW_THRESHOLD") and len(e.raw["feature"]) >= 1
    assert np.array_equal(e.meta["params"]["images_background"], case.backgrounds)


def test_predictor_batches_are_views_of_the_library_buffer(chelsea):
    """Batches arrive as numpy views (no copy) in the image's dtype and shape."""
    seen = []

    def predictor(x):
        seen.append((x.shape, x.dtype, not x.flags.owndata and x.flags.writeable))
        return chelsea.model(x)
    AnchorImage(predictor, chelsea.image.shape, seed=0,
                segmentation_fn=lambda im: chelsea.segments).explain(chelsea.image)
    probe, first = seen[0], seen[1]
    assert probe[1] == np.float32  # the constructor's zeros
    assert first == ((1,) + chelsea.image.shape, np.uint8, True)
    assert all(s[2] for s in seen[1:])


def test_raising_predictor_propagates_with_traceback(chelsea):
    calls = []

    def flaky(x):
        calls.append(len(x))
        if len(calls) == 3:
            raise ZeroDivisionError("model fell over")
        return chelsea.model(x)
    explainer = AnchorImage(flaky, chelsea.image.shape, segmentation_fn=lambda im: chelsea.segments, seed=0)
    state = np.random.get_state()
    with pytest.raises(ZeroDivisionError, match="model fell over") as info:
        explainer.explain(chelsea.image)
    assert any(entry.name == "flaky" for entry in info.traceback)
    assert np.random.get_state()[2] == state[2]  # not advanced by a failed explain
    explainer.reset_predictor(chelsea.model)  # the explainer still works
    np.random.seed(0)
    assert explainer.explain(chelsea.image).raw["feature"] == chelsea.expected["feature"]


def test_bad_answers_are_clear_errors(chelsea):
    explainer = AnchorImage(lambda x: np.zeros((len(x), 3)), chelsea.image.shape,
                            segmentation_fn=lambda im: chelsea.segments, seed=0)
    explainer.reset_predictor(lambda x: np.zeros((len(x) + 1, 3)))
    with pytest.raises(anchor_image.LibraryError, match="rows|images|answer"):
        explainer.explain(chelsea.image)
    explainer.reset_predictor(lambda x: np.zeros((len(x), 2, 2)))
    with pytest.raises(ValueError, match=r"\(N, L\) scores"):
        explainer.explain(chelsea.image)
    with pytest.raises(PredictorCallError):
        AnchorImage(chelsea.model, (10, 10, 3, 5))
    with pytest.raises(PredictorReturnTypeError):
        AnchorImage(lambda x: [0], chelsea.image.shape)
    with pytest.raises(TypeError, match="uint8 or float32"):
        explainer.explain(chelsea.image.astype(np.float64))
    with pytest.raises(TypeError, match="unexpected keyword"):
        explainer.explain(chelsea.image, thresold=0.9)
    with pytest.raises(anchor_image.LibraryError, match="threshold"):
        explainer.explain(chelsea.image, threshold=1.5)
    bad = AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn="slic",
                      segmentation_kwargs={"n_segmentz": 5})
    with pytest.raises(anchor_image.LibraryError, match="n_segmentz"):
        bad.explain(chelsea.image)
    with pytest.raises(KeyError):
        AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn="watershed")


def test_keyboard_interrupt_in_predictor(chelsea):
    n = []

    def interrupted(x):
        n.append(1)
        if len(n) == 3:
            raise KeyboardInterrupt
        return chelsea.model(x)
    explainer = AnchorImage(interrupted, chelsea.image.shape, segmentation_fn=lambda im: chelsea.segments)
    with pytest.raises(KeyboardInterrupt):
        explainer.explain(chelsea.image)


def test_ctrl_c_stops_explain_cleanly(tmp_path):
    """A real SIGINT during explain(): KeyboardInterrupt out of explain, no hang, no crash."""
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time, numpy as np
        sys.path.insert(0, {str(REPO / 'python')!r})
        from anchor_image import AnchorImage
        def slow(x):
            print("called", flush=True)
            time.sleep(0.05)
            return np.tile([0.4, 0.6], (len(x), 1)) if len(x) else np.zeros((0, 2))
        img = np.random.RandomState(1).randint(0, 255, (64, 64, 3)).astype(np.uint8)
        seg = (np.arange(64)[:, None] // 8 * 8 + np.arange(64)[None, :] // 8)
        explainer = AnchorImage(slow, img.shape, segmentation_fn=lambda im: seg, seed=0)
        try:
            explainer.explain(img, threshold=1.0, batch_size=1, coverage_samples=10)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        print("finished", flush=True)
    """))
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout.readline().strip() == "called"
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 3 and "interrupted" in out


def test_pickle_round_trip(chelsea):
    explainer = AnchorImage(chelsea.model, chelsea.image.shape, segmentation_fn="slic", seed=0)
    again = pickle.loads(pickle.dumps(explainer))
    assert type(again.predictor).__name__ == "ToyLinearSoftmax"
    np.random.seed(0)
    a = explainer.explain(chelsea.image)
    np.random.seed(0)
    b = again.explain(chelsea.image)
    assert same_answer(a, b) and a.raw["feature"] == chelsea.expected["feature"]
    # a lambda predictor: plain pickle leaves it out (with a warning), dill keeps it
    lam = AnchorImage(lambda x: chelsea.model(x), chelsea.image.shape, segmentation_fn=lambda im: chelsea.segments)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        restored = pickle.loads(pickle.dumps(lam))
    if restored.predictor is None:  # dill absent
        with pytest.raises(RuntimeError, match="reset_predictor"):
            restored.explain(chelsea.image)
    dill = pytest.importorskip("dill")
    restored = dill.loads(dill.dumps(lam))
    np.random.seed(0)
    assert restored.explain(chelsea.image).raw["feature"] == chelsea.expected["feature"]


def test_explanation_json_and_alibi_access(chelsea):
    # a small crop: alibi's JSON spells every pixel of every example out
    crop = chelsea.image[:96, 100:196]
    e = AnchorImage(chelsea.model, crop.shape, segmentation_fn="slic", seed=0).explain(crop, threshold=0.9)
    assert e.raw["feature"] and e.raw["examples"][0]["covered_true"]
    assert list(e.meta) == ["name", "type", "explanations", "params", "version"]
    assert list(e.raw) == ["feature", "mean", "precision", "coverage", "examples", "all_precision",
                           "num_preds", "success", "instance", "instances", "prediction"]
    with pytest.warns(DeprecationWarning):
        assert e["anchor"] is e.anchor
    text = e.to_json()
    back = Explanation.from_json(text)
    assert back.to_json() == text
    assert back.raw["precision"] == e.raw["precision"] and back.raw["coverage"] == e.raw["coverage"]
    assert np.array_equal(np.array(back.anchor), e.anchor) and np.array_equal(np.array(back.segments), e.segments)
    assert back.status == e.status and back.stats == e.stats and back.params["seed"] == 0
    assert pickle.loads(pickle.dumps(e)).to_json() == text


def _tiny_torch_net():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.AvgPool2d(23, 23), torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(8 * 11 * 11, 5), torch.nn.Softmax(dim=1)).eval()
    with torch.no_grad():
        net[4].weight *= 10  # random weights, made sensitive enough to the superpixels for a real search
    return torch, net


def test_torch_model_as_predictor_and_native_engine(tmp_path):
    """A PyTorch classifier as the predictor; the same network exported to ONNX and run by
    the built-in engine (OnnxModel) gives the same explanation."""
    pytest.importorskip("onnx")
    torch, net = _tiny_torch_net()

    def predict(x):  # the usual alibi-style wrapper: NHWC uint8 -> NCHW float in [0, 1]
        with torch.no_grad():
            t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float() / 255
            return net(t).numpy()
    case = Case("case01_chelsea_default")
    img = case.image
    e = AnchorImage(predict, img.shape, segmentation_fn="slic", seed=0).explain(img, threshold=0.9)
    assert e.raw["prediction"][0] == predict(img[None]).argmax()
    assert 0 < len(e.raw["feature"]) and e.status in ("FOUND", "BELOW_THRESHOLD"), e.raw
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(net, torch.zeros(1, 3, *img.shape[:2]), str(path), input_names=["x"], output_names=["p"],
                      dynamic_axes={"x": {0: "n"}, "p": {0: "n"}}, opset_version=13)
    model = anchor_image.OnnxModel(path, preprocess="torch")
    assert model.input_shape == img.shape and model.num_classes == 5
    # preprocess="torch" normalises with ImageNet mean/std; the net above sees x/255, so
    # compare against a torch wrapper doing the same normalisation
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def predict_norm(x):
        with torch.no_grad():
            t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float() / 255
            return net((t - mean) / std).numpy()
    batch = np.stack([img, img[::-1].copy(), 255 - img])
    assert np.allclose(model(batch), predict_norm(batch), atol=1e-5)
    by_torch = AnchorImage(predict_norm, img.shape, seed=0).explain(img, threshold=0.9)
    by_engine = AnchorImage(model, img.shape, seed=0).explain(img, threshold=0.9)
    native = anchor_image.explain(img, model=str(path), preprocess="torch", seed=0, threshold=0.9)
    assert same_answer(by_torch, by_engine) and same_answer(by_engine, native)
    assert pickle.loads(pickle.dumps(model))(batch[:1]).tolist() == model(batch[:1]).tolist()


def test_native_squeezenet_matches_the_reference_scores():
    """OnnxModel on the shared SqueezeNet answers PyTorch's recorded scores, and the native
    call explains the photo's "Egyptian cat"."""
    ref = SHARED / "models" / "reference"
    onnx_path = SHARED / "models" / "squeezenet1.1_fp32_from_winml_fp16.onnx"
    model = anchor_image.OnnxModel(onnx_path, preprocess="raw-bgr")
    x = np.load(ref / "chelsea.input.npy")[0].transpose(1, 2, 0)[:, :, ::-1]  # BGR NCHW -> RGB HWC
    probs = model(np.ascontiguousarray(x)[None])[0]
    assert np.allclose(probs, np.load(ref / "chelsea.probs.npy"), atol=2e-5)
    photo = anchor_image.load_image(SHARED / "images" / "chelsea.png", (224, 224))
    assert photo.shape == (224, 224, 3) and photo.dtype == np.uint8
    e = anchor_image.explain(SHARED / "images" / "chelsea.png", model=model, seed=0, threshold=0.9)
    assert e.raw["prediction"].tolist() == [285] and e.raw["success"]
    np.random.seed(0)
    state = np.random.get_state()
    e2 = AnchorImage(lambda b: model(b), photo.shape, seed=0).explain(photo, threshold=0.9)
    assert same_answer(e, e2)
    assert np.random.get_state()[2] != state[2] or not np.array_equal(np.random.get_state()[1], state[1])
