/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: images, label maps and batches, and the files they come from.
 *
 * An anchor_image is an N x H x W x C array in C order (NHWC), the layout alibi and NumPy
 * use: a photo is N = 1, a label map is N = 1, C = 1, dtype INT32, and a batch of
 * perturbed images or background photos has N > 1. It is an opaque handle that owns its
 * pixels (anchor_image_destroy frees both) or borrows the caller's (anchor_image_wrap).
 *
 * Conventions of the whole API: sizes are given as (height, width), the NHWC order; a
 * call that creates or returns an object takes its out-parameter last but one, right
 * before the anchor_error, which is always last. */
#ifndef ANCHOR_IMAGE_H
#define ANCHOR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum anchor_dtype {
    ANCHOR_DTYPE_U8 = 1,
    ANCHOR_DTYPE_U16,
    ANCHOR_DTYPE_I32,
    ANCHOR_DTYPE_I64,
    ANCHOR_DTYPE_F32,
    ANCHOR_DTYPE_F64
} anchor_dtype;

/* Bytes per element (0 for an unknown dtype) and a NumPy-style name ("uint8", ...). */
ANCHOR_API size_t anchor_dtype_size(anchor_dtype dtype);
ANCHOR_API const char *anchor_dtype_name(anchor_dtype dtype);

/* Documented limits, checked before anything is allocated. Pillow refuses images above
 * about 179 million pixels as decompression bombs; we use the same bound per image. */
#define ANCHOR_MAX_DIM 65535
#define ANCHOR_MAX_PIXELS 178956970LL
#define ANCHOR_MAX_CHANNELS 4
#define ANCHOR_MAX_BYTES (1LL << 36) /* 64 GiB for a whole batch */

typedef struct anchor_image anchor_image;

/* A zero-filled image. Fails with ANCHOR_ERR_LIMIT when a dimension is < 1 or beyond the
 * limits above (n is bounded only by ANCHOR_MAX_BYTES). */
ANCHOR_API anchor_status anchor_image_create(int64_t n, int64_t height, int64_t width, int64_t channels, anchor_dtype dtype,
                                  anchor_image **out, anchor_error *err);
/* A handle over the caller's own pixels, without a copy: n x height x width x channels
 * elements of `dtype` in C order (a C-contiguous NumPy array), aligned for the dtype.
 * The handle borrows `data`: anchor_image_destroy frees only the handle, and `data` must
 * stay valid, and unchanged while a call uses the image, until the handle is destroyed.
 * anchor_image_data returns `data` itself, so writes go to the caller's memory. The same
 * limits as anchor_image_create apply; a NULL or misaligned buffer is
 * ANCHOR_ERR_INVALID_ARGUMENT. */
ANCHOR_API anchor_status anchor_image_wrap(void *data, int64_t n, int64_t height, int64_t width, int64_t channels,
                                anchor_dtype dtype, anchor_image **out, anchor_error *err);
ANCHOR_API anchor_status anchor_image_clone(const anchor_image *src, anchor_image **out, anchor_error *err);
/* Image i of a batch as a new single image (a copy). */
ANCHOR_API anchor_status anchor_image_slice(const anchor_image *batch, int64_t index, anchor_image **out, anchor_error *err);
/* A copy in another dtype, as NumPy's astype(float32 / float64) gives it: each value
 * rounded once to the nearest float. The same dtype gives a copy; integer targets are
 * ANCHOR_ERR_UNSUPPORTED (NumPy would wrap or truncate silently). */
ANCHOR_API anchor_status anchor_image_convert(const anchor_image *src, anchor_dtype dtype, anchor_image **out,
                                   anchor_error *err);
/* Images and batches one after the other as one batch, np.concatenate(axis=0): every
 * part must have the same height, width, channels and dtype (else
 * ANCHOR_ERR_INVALID_ARGUMENT naming the first part that differs). */
ANCHOR_API anchor_status anchor_image_stack(const anchor_image *const *images, int64_t count, anchor_image **out,
                                 anchor_error *err);
ANCHOR_API void anchor_image_destroy(anchor_image *image);

ANCHOR_API int64_t anchor_image_count(const anchor_image *image);
ANCHOR_API int64_t anchor_image_height(const anchor_image *image);
ANCHOR_API int64_t anchor_image_width(const anchor_image *image);
ANCHOR_API int64_t anchor_image_channels(const anchor_image *image);
ANCHOR_API anchor_dtype anchor_image_dtype(const anchor_image *image);
ANCHOR_API size_t anchor_image_nbytes(const anchor_image *image);
ANCHOR_API void *anchor_image_data(anchor_image *image);
ANCHOR_API const void *anchor_image_cdata(const anchor_image *image);

/* Fail when a float image holds NaN or an infinity, naming `what` and the first such
 * value's place; integer images always pass. Models, segmenters and the sampler's
 * statistics all assume finite pixels, so every entry point checks before any work. */
ANCHOR_API anchor_status anchor_image_check_finite(const anchor_image *image, const char *what, anchor_error *err);

/* ---- Photos (PNG via libpng, JPEG via libjpeg-turbo) ----------------------------------
 * Decoding follows Pillow 9.4 so that pixels equal what an alibi user gets from
 * PIL.Image.open(path).convert(mode) (tested value for value on every PNG colour type
 * and bit depth, and on gray, colour, progressive and CMYK JPEGs):
 *   ANCHOR_COLOR_RGB  - convert('RGB'): gray is replicated, alpha is dropped (not blended),
 *                       palettes are expanded (tRNS ignored; an index past the end of a
 *                       short PLTE reads Pillow's gray ramp, (i, i, i)), 1/2/4-bit gray is
 *                       scaled to 0..255. 16-bit samples are reduced as Pillow does:
 *                       RGB(A) and gray+alpha keep the high byte (truncation), but 16-bit
 *                       GRAY opens as Pillow's mode "I" and is CLIPPED to 0..255 (values
 *                       >= 255 become white).
 *                       JPEG: libjpeg's default decoder settings (islow DCT, fancy
 *                       upsampling), as Pillow uses them; CMYK/YCCK files are read as
 *                       Adobe-inverted CMYK and turned into RGB with Pillow's formula
 *                       R = 255-K' - round((255-C')*(255-K')/255) (C' = 255 - stored C).
 *   ANCHOR_COLOR_GRAY - convert('L'): ITU-R 601-2 luma, L = (R*19595 + G*38470 + B*7471
 *                       + 0x8000) >> 16, as Pillow computes it, from the RGB above (for
 *                       palettes, from the palette entry); gray files give their gray value
 *                       directly. Never libjpeg's own gray output.
 *   ANCHOR_COLOR_ASIS - 1 channel for gray and gray+alpha files (the GRAY pixels), 3 for
 *                       colour and palette files (the RGB pixels).
 * The result is uint8, N = 1. Truncated or corrupt files (bad CRC, premature end of JPEG
 * data) fail with ANCHOR_ERR_FORMAT, where Pillow raises; the size in the header is
 * checked against the limits above before pixels are allocated (ANCHOR_ERR_LIMIT). */
typedef enum anchor_color_mode {
    ANCHOR_COLOR_ASIS = 0,
    ANCHOR_COLOR_RGB,
    ANCHOR_COLOR_GRAY
} anchor_color_mode;

/* Read a PNG or JPEG file (recognised by its first bytes, not its name). */
ANCHOR_API anchor_status anchor_image_load(const char *path, anchor_color_mode mode, anchor_image **out, anchor_error *err);
ANCHOR_API anchor_status anchor_image_decode(const void *bytes, size_t size, anchor_color_mode mode, anchor_image **out,
                                  anchor_error *err);

/* Write a PNG: uint8 with 1 or 3 channels (gray, RGB), or uint16 with 1 channel (for
 * label maps). N must be 1. The file appears whole or not at all: it is written to a
 * temporary file beside the target and renamed. */
ANCHOR_API anchor_status anchor_png_save(const anchor_image *image, const char *path, anchor_error *err);

/* ---- NumPy .npy ----------------------------------------------------------------------
 * Versions 1.0 and 2.0, C order, little-endian uint8, uint16, int32, int64, float32,
 * float64 (and '|b1' bool read as uint8). Shapes map onto NHWC as
 *   (H, W) -> 1,H,W,1    (H, W, C) -> 1,H,W,C    (N, H, W, C) -> N,H,W,C.
 * anchor_npy_save writes version 1.0 with ndim 2 (needs N = C = 1), 3 (needs N = 1) or 4,
 * atomically like anchor_png_save. */
ANCHOR_API anchor_status anchor_npy_load(const char *path, anchor_image **out, anchor_error *err);
ANCHOR_API anchor_status anchor_npy_save(const anchor_image *image, int ndim, const char *path,
                              anchor_error *err);

/* Read any input the CLI accepts: .npy (by its magic) as stored, otherwise a photo. */
ANCHOR_API anchor_status anchor_image_load_any(const char *path, anchor_color_mode mode, anchor_image **out,
                                    anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
