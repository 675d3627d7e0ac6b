/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: resizing photos with the same pixels as Pillow 9.4's Image.resize. */
#ifndef ANCHOR_RESIZE_H
#define ANCHOR_RESIZE_H

#include "anchor/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum anchor_resize_filter {
    ANCHOR_RESIZE_NEAREST = 0,
    ANCHOR_RESIZE_BILINEAR,
    ANCHOR_RESIZE_BICUBIC, /* Pillow's default for Image.resize */
    ANCHOR_RESIZE_LANCZOS
} anchor_resize_filter;

/* Parse "nearest", "bilinear", "bicubic", "lanczos" (case-insensitive). */
ANCHOR_API anchor_status anchor_resize_filter_parse(const char *name, anchor_resize_filter *out,
                                                    anchor_error *err);
ANCHOR_API const char *anchor_resize_filter_name(anchor_resize_filter f);

/* Resize a uint8 image (N = 1, 1 or 3 channels) to height x width as Pillow's
 * Image.resize((width, height), filter) does for modes "L" and "RGB", value for value:
 * the same filter taps and support widening on downscale, the same 22-bit fixed-point
 * weights, horizontal pass first with uint8 rounding/clipping in between, and for
 * NEAREST Pillow's own source mapping. An image that already has that size comes back
 * as a copy, whatever its dtype, channels or N (Pillow's copy, and what lets a caller
 * pass every input through this one call).
 * Fails with ANCHOR_ERR_INVALID_ARGUMENT for a size < 1 or an unknown filter,
 * ANCHOR_ERR_LIMIT beyond ANCHOR_MAX_DIM / ANCHOR_MAX_PIXELS (checked before allocating),
 * ANCHOR_ERR_UNSUPPORTED for other dtypes or channel counts (Pillow premultiplies RGBA,
 * which we do not reproduce). Sizes are (height, width), the NHWC order of anchor_image. */
ANCHOR_API anchor_status anchor_resize(const anchor_image *src, int64_t height, int64_t width, anchor_resize_filter filter,
                            anchor_image **out, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
