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
anchor_status anchor_resize_filter_parse(const char *name, anchor_resize_filter *out, anchor_error *err);
const char *anchor_resize_filter_name(anchor_resize_filter f);

/* Resize a uint8 image (N = 1, 1 or 3 channels) to width x height as Pillow's
 * Image.resize((width, height), filter) does for modes "L" and "RGB". */
anchor_status anchor_resize(const anchor_image *src, int64_t width, int64_t height,
                            anchor_resize_filter filter, anchor_image **out, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
