#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference fixtures for anchor's image stage (tests/image/), made with Pillow 9.4.

    /usr/bin/python3 tools/make_image_fixtures.py [--shared ../shared] [--out tests/fixtures/image]

What it writes (all small):
  decode/<case>.png|.jpg   synthetic files: every PNG colour type and bit depth (written by
                           the tiny PNG encoder below, since Pillow cannot write them all),
                           palettes with tRNS and short palettes, interlaced files, and
                           gray / colour (4:2:0, 4:4:4, progressive) / CMYK JPEGs (by Pillow);
  decode/<case>.rgb.npy    Image.open(f).convert('RGB') as uint8 H x W x 3
  decode/<case>.l.npy      Image.open(f).convert('L')   as uint8 H x W
  resize/src_<name>.npy    small synthetic photos: rgb (41x29), l (its convert('L')),
                           even (48x32, sizes chosen to exercise nearest's position drift)
  resize/<name>_<filter>_<W>x<H>.npy   Pillow's Image.resize((W, H), filter) of src_<name>
  shared.txt               for the photos in <shared>/images: the CRC32 (zlib) and byte sum
                           of the decoded image, and of Image.resize for several sizes and
                           the four filters; outputs with W*H <= 2500 are stored whole under
                           shared/, larger ones as per-row CRC32s + per-row channel sums
                           (int32 array H x (1 + C)) so a failing test can say how far off.
  MANIFEST.txt             what was written, with the Pillow version.
"""
import argparse
import io
import os
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


# ---- a minimal PNG encoder (any colour type / bit depth, optional Adam7) -----------------
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pack_row(samples, bit_depth):
    """samples: 1-D array of ints of one row (all channels interleaved)."""
    if bit_depth == 16:
        return np.asarray(samples, dtype=">u2").tobytes()
    if bit_depth == 8:
        return np.asarray(samples, dtype=np.uint8).tobytes()
    per = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        group = list(samples[i:i + per]) + [0] * (per - len(samples[i:i + per]))
        for v in group:
            byte = (byte << bit_depth) | int(v)
        out.append(byte)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(arr, bit_depth, color_type, plte=None, trns=None, interlace=False):
    """arr: H x W x C integer samples as stored."""
    h, w, c = arr.shape
    raw = bytearray()
    if not interlace:
        for y in range(h):
            raw += b"\x00" + _pack_row(arr[y].reshape(-1), bit_depth)
    else:
        for x0, y0, dx, dy in ADAM7:
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for y in range(sub.shape[0]):
                raw += b"\x00" + _pack_row(sub[y].reshape(-1), bit_depth)
    out = b"\x89PNG\r\n\x1a\n"
    out += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if plte is not None:
        out += _chunk(b"PLTE", bytes(int(v) for v in plte))
    if trns is not None:
        out += _chunk(b"tRNS", trns if isinstance(trns, bytes) else bytes(int(v) for v in trns))
    out += _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += _chunk(b"IEND", b"")
    return out


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr))


def photo(h, w, seed):
    """A smooth synthetic photo with some texture, uint8 H x W x 3."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 127 + 120 * np.sin(x / max(w, 1) * 5.0 + y / max(h, 1) * 2.0)
    g = 255.0 * x / max(w - 1, 1)
    b = 255.0 * (1 - y / max(h - 1, 1))
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 18, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def decode_cases(rng):
    """(name, bytes) of every synthetic file."""
    H, W = 7, 13
    cases = []
    for bd in (1, 2, 4, 8, 16):
        a = rng.randint(0, 1 << bd, (H, W, 1))
        if bd == 16:  # make sure both sides of Pillow's clip at 255 appear
            a[0, :6, 0] = [0, 1, 254, 255, 256, 65535]
        cases.append((f"gray{bd}", write_png(a, bd, 0)))
    a = rng.randint(0, 256, (H, W, 1))
    cases.append(("gray8_trns", write_png(a, 8, 0, trns=struct.pack(">H", int(a[0, 0, 0])))))
    a = rng.randint(0, 4, (H, W, 1))
    cases.append(("gray2_interlaced", write_png(a, 2, 0, interlace=True)))
    for bd in (8, 16):
        cases.append((f"gray_alpha{bd}", write_png(rng.randint(0, 1 << bd, (H, W, 2)), bd, 4)))
        cases.append((f"rgb{bd}", write_png(rng.randint(0, 1 << bd, (H, W, 3)), bd, 2)))
        cases.append((f"rgba{bd}", write_png(rng.randint(0, 1 << bd, (H, W, 4)), bd, 6)))
    a = rng.randint(0, 256, (H, W, 3))
    cases.append(("rgb8_trns", write_png(a, 8, 2, trns=struct.pack(">HHH", *[int(v) for v in a[0, 0]]))))
    cases.append(("rgb8_interlaced", write_png(rng.randint(0, 256, (H + 4, W + 2, 3)), 8, 2, interlace=True)))
    cases.append(("rgb16_interlaced", write_png(rng.randint(0, 65536, (H, W, 3)), 16, 2, interlace=True)))
    for bd in (1, 2, 4, 8):
        n = 1 << bd
        plte = rng.randint(0, 256, n * 3)
        cases.append((f"palette{bd}", write_png(rng.randint(0, n, (H, W, 1)), bd, 3, plte=plte)))
    plte = rng.randint(0, 256, 16 * 3)
    cases.append(("palette4_trns_bytes", write_png(rng.randint(0, 16, (H, W, 1)), 4, 3, plte=plte,
                                                   trns=rng.randint(0, 256, 10))))
    cases.append(("palette8_trns_single", write_png(rng.randint(0, 16, (H, W, 1)), 8, 3, plte=plte,
                                                    trns=[255, 255, 0, 255])))
    # indices past the end of a short palette read Pillow's gray ramp
    cases.append(("palette8_short", write_png(rng.randint(0, 40, (H, W, 1)), 8, 3, plte=plte[:24])))
    cases.append(("palette4_interlaced", write_png(rng.randint(0, 16, (H + 3, W, 1)), 4, 3, plte=plte,
                                                   interlace=True)))
    # tRNS on 1-bit and 16-bit gray and 16-bit RGB: Pillow keeps it in info only
    for name, bd, ct, ch in (("gray1_trns", 1, 0, 1), ("gray16_trns", 16, 0, 1), ("rgb16_trns", 16, 2, 3)):
        a = rng.randint(0, 1 << bd, (H, W, ch))
        cases.append((name, write_png(a, bd, ct, trns=struct.pack(">" + "H" * ch, *[int(v) for v in a[0, 0]]))))
    # JPEGs written by Pillow (libjpeg-turbo), odd sizes to exercise partial MCUs
    src = photo(29, 37, 5)
    for name, im, kw in (
        ("jpeg_gray", Image.fromarray(src).convert("L"), {}),
        ("jpeg_rgb420", Image.fromarray(src), {"quality": 85}),
        ("jpeg_rgb444", Image.fromarray(src), {"quality": 92, "subsampling": 0}),
        ("jpeg_rgb422", Image.fromarray(src), {"quality": 75, "subsampling": 1}),
        ("jpeg_progressive", Image.fromarray(src), {"quality": 80, "progressive": True}),
        ("jpeg_cmyk", Image.fromarray(src).convert("CMYK"), {"quality": 90}),
    ):
        bio = io.BytesIO()
        im.save(bio, "JPEG", **kw)
        cases.append((name, bio.getvalue()))
    return cases


def rows_digest(arr):
    """int32 H x (1 + C): per-row CRC32 (as signed) and per-row channel sums."""
    a = arr if arr.ndim == 3 else arr[:, :, None]
    h, _, c = a.shape
    out = np.zeros((h, 1 + c), dtype=np.int64)
    for y in range(h):
        out[y, 0] = zlib.crc32(np.ascontiguousarray(a[y]).tobytes())
        out[y, 1:] = a[y].sum(axis=0, dtype=np.int64)
    out[:, 0] = np.where(out[:, 0] >= 2**31, out[:, 0] - 2**32, out[:, 0])
    return out.astype(np.int32)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "image"))
    args = ap.parse_args()
    out = args.out
    for sub in ("decode", "resize", "shared"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    manifest = [f"# made by tools/make_image_fixtures.py with Pillow {PIL.__version__}, numpy {np.__version__}"]

    rng = np.random.RandomState(20261125)
    for name, data in decode_cases(rng):
        ext = "jpg" if name.startswith("jpeg") else "png"
        path = os.path.join(out, "decode", f"{name}.{ext}")
        with open(path, "wb") as f:
            f.write(data)
        im = Image.open(path)
        save_npy(os.path.join(out, "decode", f"{name}.rgb.npy"), np.asarray(im.convert("RGB")))
        im = Image.open(path)
        save_npy(os.path.join(out, "decode", f"{name}.l.npy"), np.asarray(im.convert("L")))
        manifest.append(f"decode {name}.{ext} pillow_mode={Image.open(path).mode}")

    # resize of a small synthetic photo: full outputs
    src = photo(29, 41, 11)
    save_npy(os.path.join(out, "resize", "src_rgb.npy"), src)
    src_l = np.asarray(Image.fromarray(src).convert("L"))
    save_npy(os.path.join(out, "resize", "src_l.npy"), src_l)
    sizes = [(1, 1), (3, 2), (7, 5), (20, 14), (41, 10), (10, 29), (41, 29), (82, 58), (123, 37), (200, 3),
             (40, 28), (13, 90)]
    for mode, arr in (("rgb", src), ("l", src_l)):
        for fname, f in FILTERS.items():
            for w, h in sizes:
                res = np.asarray(Image.fromarray(arr).resize((w, h), f))
                save_npy(os.path.join(out, "resize", f"{mode}_{fname}_{w}x{h}.npy"), res)
    manifest.append(f"resize src 41x29, {len(sizes)} sizes x 4 filters x (rgb, l)")
    # 48x32: sizes where Pillow's accumulated nearest-neighbour positions (xo += scale)
    # differ from (x + 0.5) * scale, so that quirk is tested without the shared photos
    even = photo(32, 48, 13)
    save_npy(os.path.join(out, "resize", "src_even.npy"), even)
    even_sizes = [(9, 6), (21, 14), (35, 22), (66, 47), (75, 60)]
    for fname, f in FILTERS.items():
        for w, h in even_sizes:
            res = np.asarray(Image.fromarray(even).resize((w, h), f))
            save_npy(os.path.join(out, "resize", f"even_{fname}_{w}x{h}.npy"), res)
    manifest.append(f"resize src 48x32 (even), {len(even_sizes)} sizes x 4 filters")

    # the shared photos: digests (and whole outputs when small)
    lines = ["# kind image mode filter W H crc32 sum file   (crc32 = zlib.crc32 of the uint8 bytes, HWC)"]
    shared_sizes = [(299, 299), (224, 224), (200, 150), (37, 61), (50, 50), (640, 480), (1000, 700)]
    images = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
    have = os.path.isdir(os.path.join(args.shared, "images"))
    for img in images if have else []:
        path = os.path.join(args.shared, "images", img)
        base = os.path.splitext(img)[0]
        for mode, pmode in (("rgb", "RGB"), ("l", "L")):
            dec = np.asarray(Image.open(path).convert(pmode))
            h, w = dec.shape[:2]
            lines.append(f"decode {img} {mode} - {w} {h} {zlib.crc32(dec.tobytes()):08x} {int(dec.sum(dtype=np.int64))} -")
            for fname, f in FILTERS.items():
                for tw, th in shared_sizes:
                    if mode == "l" and (tw, th) not in ((299, 299), (37, 61), (640, 480)):
                        continue
                    res = np.asarray(Image.open(path).convert(pmode).resize((tw, th), f))
                    if tw * th <= 2500:
                        fn = f"{base}_{mode}_{fname}_{tw}x{th}.npy"
                        save_npy(os.path.join(out, "shared", fn), res)
                    else:
                        fn = f"{base}_{mode}_{fname}_{tw}x{th}.rows.npy"
                        save_npy(os.path.join(out, "shared", fn), rows_digest(res))
                    lines.append(f"resize {img} {mode} {fname} {tw} {th} {zlib.crc32(res.tobytes()):08x} "
                                 f"{int(res.sum(dtype=np.int64))} {fn}")
    else_note = "" if have else " (shared images absent: none)"
    with open(os.path.join(out, "shared.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    manifest.append(f"shared {len(lines) - 1} entries{else_note}")
    with open(os.path.join(out, "MANIFEST.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    print("\n".join(manifest))


if __name__ == "__main__":
    sys.exit(main())
