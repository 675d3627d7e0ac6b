#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# overlay_full.png (single runs and batches): the overlay drawn on the photo at its own size
# when the image was resized for the explanation. Its label map is the explained one scaled
# by Pillow's NEAREST resize (Image.fromarray(labels).resize(photo size, NEAREST)); the
# drawing is checked against overlay.png's rules (dimmed outside the anchor, gold where
# the anchor meets the rest).
source "$(dirname "$0")/common.sh"
make_photos
P=$work/photos
for size in 32x24 50x30; do
  "$bin" explain "$P/dog.png" --resize $size --predict-cmd "$predict" -o "$work/single$size" >/dev/null 2>&1 ||
    bad "explain --resize $size failed"
  $py - "$P/dog.png" "$work/single$size" "$src/tests/cli" <<'PY' && ok || bad "overlay_full.png at --resize $size"
import json, sys
import numpy as np
from PIL import Image
sys.path.insert(0, sys.argv[3])
from pngio import read_png
photo, out = read_png(sys.argv[1]), sys.argv[2]
full = read_png(f"{out}/overlay_full.png")
assert full.shape == photo.shape, (full.shape, photo.shape)
seg = np.load(f"{out}/segments.npy")
big = np.asarray(Image.fromarray(seg.astype(np.int32)).resize(photo.shape[1::-1], Image.NEAREST))
anchor = json.load(open(f"{out}/explanation.json"))["data"]["raw"]["feature"]
inside = np.isin(big, anchor)
# where the anchor meets the rest, gold; elsewhere inside the anchor the photo shows through
# (brightened on superpixel boundaries), outside it is dimmed
pad = np.pad(inside, 1, mode="edge")
border = np.zeros_like(inside)
for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
    border |= pad[dy:dy + inside.shape[0], dx:dx + inside.shape[1]] != inside
assert border.any() and (full[border] == [255, 215, 0]).all()
labpad = np.pad(big, 1, mode="edge")
edge = np.zeros_like(inside)
for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
    edge |= labpad[dy:dy + big.shape[0], dx:dx + big.shape[1]] != big
plain_in, plain_out = inside & ~edge, ~inside & ~edge
assert (full[plain_in] == photo[plain_in]).all()
assert (full[plain_out] == np.floor(0.25 * photo[plain_out] + 16 + 0.5)).all()
PY
done
# no resize, no overlay_full.png
"$bin" explain "$P/dog.png" --predict-cmd "$predict" -o "$work/same" >/dev/null 2>&1
[ -f "$work/same/overlay.png" ] && [ ! -e "$work/same/overlay_full.png" ] && ok || bad "overlay_full.png without a resize"
finish
