# SPDX-License-Identifier: Apache-2.0
"""The files behind tests/cli/bad_input.sh: a small good photo and label map, and
every kind of broken or lying input, written into the folder given as argv[1]. PNG is
written by pngio.py (numpy + zlib), JPEG bytes by hand (only headers matter here), .npy
headers as text, so each lie is explicit."""
import struct
import sys
import zlib

import numpy as np

w, here = sys.argv[1], sys.argv[2]
shared = sys.argv[3] if len(sys.argv) > 3 else ""
sys.path.insert(0, here)
from pngio import write_png  # noqa: E402


def put(name, data):
    with open(f"{w}/{name}", "wb") as f:
        f.write(data)


def npy_bytes(header, data=b"", version=b"\x01\x00"):
    h = header.encode("latin1")
    h = h + b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY" + version + struct.pack("<H", len(h)) + h + data


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


y, x = np.mgrid[0:48, 0:64]
img = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)
write_png(f"{w}/photo.png", img)
png = open(f"{w}/photo.png", "rb").read()
np.save(f"{w}/labels.npy", ((y >= 24) * 2 + (x >= 32)).astype(np.int32))

# photos
put("empty.png", b"")
put("text.png", b"just some text, not a picture\n")
put("fake.gif", b"GIF89a" + b"\x00" * 64)
put("truncated.png", png[: len(png) // 2])
bad = bytearray(png)
bad[40] ^= 0xFF  # inside IHDR/IDAT: CRC mismatch
put("bad_crc.png", bytes(bad))
sig = b"\x89PNG\r\n\x1a\n"
put("zero_width.png", sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 48, 8, 2, 0, 0, 0)) +
    chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
# a decompression bomb: a header claiming 30000 x 30000 gray (900 MB) over a tiny stream
row = b"\x00" + b"\x00" * 30000
comp = zlib.compressobj(9)
body = b"".join(comp.compress(row) for _ in range(200)) + comp.flush()  # the header is the bomb
put("bomb.png", sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)) +
    chunk(b"IDAT", body) + chunk(b"IEND", b""))
# JPEG: SOI, a baseline SOF0 claiming 65500 x 65500, then EOI
sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 65500, 65500, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
put("huge_dims.jpg", b"\xff\xd8" + sof + b"\xff\xd9")
put("header_only.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
try:
    from PIL import Image
    Image.fromarray(img).save(f"{w}/full.jpg", quality=90)
    j = open(f"{w}/full.jpg", "rb").read()
    put("truncated.jpg", j[: len(j) // 3])
except ImportError:  # Pillow is optional: a JPEG cut inside its header still tests truncation
    put("truncated.jpg", b"\xff\xd8" + sof[:9])

# .npy header lies
d = np.zeros((48, 64, 3), np.uint8).tobytes()
put("npy_version.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (48, 64, 3), }", d, b"\x03\x00"))
put("npy_hlen.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{'descr': '|u1'")
put("npy_descr.npy", npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (48, 64, 3), }", d))
put("npy_fortran.npy", npy_bytes("{'descr': '|u1', 'fortran_order': True, 'shape': (48, 64, 3), }", d))
put("npy_bigendian.npy", npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (48, 64, 3), }", d * 4))
put("npy_negshape.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (-48, 64, 3), }", d))
put("npy_overflow.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 3), }", d))
put("npy_5d.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 48, 64, 3), }", d))
put("npy_truncdata.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (48, 64, 3), }", d[:100]))
put("npy_notdict.npy", npy_bytes("[1, 2, 3]", d))
put("npy_nokey.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, }", d))
put("npy_object.npy", npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (48, 64, 3), }", d * 8))
put("npy_magic_only.npy", b"\x93NUMPY")
np.save(f"{w}/float64.npy", np.zeros((48, 64, 3), np.float64))
np.save(f"{w}/batch2.npy", np.zeros((2, 48, 64, 3), np.uint8))
np.save(f"{w}/zero_rows.npy", np.zeros((0, 64, 3), np.uint8))
f = (img / 255.0).astype(np.float32)
np.save(f"{w}/f32_ok.npy", f)
g = f.copy()
g[5, 7, 2] = np.nan
np.save(f"{w}/f32_nan.npy", g)
g = f.copy()
g[40, 1, 0] = -np.inf
g[41, 1, 0] = np.inf
np.save(f"{w}/f32_inf.npy", g)

# label maps
np.save(f"{w}/labels_small.npy", np.zeros((10, 10), np.int32))
np.save(f"{w}/labels_f32.npy", np.zeros((48, 64), np.float32))
write_png(f"{w}/labels_rgb.png", img)
put("labels.txt", b"0 1\n2 3\n")
lb = open(f"{w}/labels.npy", "rb").read()
put("labels_trunc.npy", lb[: len(lb) - 300])
write_png(f"{w}/photo_big.png", np.zeros((300, 300, 3), np.uint8))
np.save(f"{w}/labels_many.npy", np.arange(300 * 300, dtype=np.int32).reshape(300, 300))

# backgrounds
np.save(f"{w}/bg_ok.npy", np.zeros((2, 48, 64, 3), np.uint8))
np.save(f"{w}/bg_wrong.npy", np.zeros((2, 48, 60, 3), np.uint8))
np.save(f"{w}/bg_gray.npy", np.zeros((48, 64, 1), np.uint8))
b = np.zeros((2, 48, 64, 3), np.float32)
b[1, 0, 0, 0] = np.nan
np.save(f"{w}/bg_nan.npy", b)

# models
put("empty.onnx", b"")
put("text.onnx", b"this is not a protobuf at all \xff\xfe\x00" * 10)
if shared:
    try:
        m = open(f"{shared}/models/squeezenet1.1_fp32_from_winml_fp16.onnx", "rb").read()
        put("truncated.onnx", m[:5000])
    except OSError:
        pass
