#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# python/README.md's install command, offline, into a fresh venv (made with
# --system-site-packages for Debian's numpy), from a copy of python/ so the checkout stays
# clean. The installed package must find the library it was built with (no ANCHOR_LIBRARY
# at run time) and explain an image.
set -euo pipefail
src=${ANCHOR_SOURCE:?}
lib=${ANCHOR_LIBRARY:?}
if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python_install: python3-venv is not installed"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$src/python" && tar --exclude=build --exclude='*.egg-info' --exclude=__pycache__ -cf - .) | tar -C "$tmp/src" -xf -
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/pip" install -q --no-build-isolation --no-index "$tmp/src"
cd "$tmp"
env -u ANCHOR_LIBRARY LIB="$lib" "$tmp/venv/bin/python" - <<'PY'
import os
import numpy as np
import anchor_image
from anchor_image import AnchorImage, _build_path
assert anchor_image.__file__.startswith(os.path.realpath(os.getcwd())), anchor_image.__file__
assert _build_path.LIBRARY == os.path.abspath(os.environ["LIB"]), _build_path.LIBRARY
img = np.random.RandomState(0).randint(0, 256, (40, 40, 3)).astype(np.uint8)
# class 0 while the right half keeps its texture (superpixels 2 and 3; perturbed ones become flat)
texture = lambda x: x[:, :, 20:].reshape(len(x), -1).std(axis=1)
predict = lambda x: np.stack([texture(x) > 10, texture(x) <= 10], 1) * 1.0
e = AnchorImage(predict, img.shape, segmentation_fn=lambda im: (np.arange(40)[None, :] // 10).repeat(40, 0),
                seed=0).explain(img, threshold=0.9)
assert e.status == "FOUND" and set(e.raw["feature"]) <= {2, 3} and e.precision == 1.0, e
print("installed package OK:", anchor_image.__file__, "->", _build_path.LIBRARY, e.raw["feature"])
PY
