/* SPDX-License-Identifier: Apache-2.0 */
/* Label maps as matplotlib's default picture (include/anchor/render.h).
 *
 * matplotlib's Normalize() takes the labels to float (float64 for 32- and 64-bit
 * integers, float32 for 8- and 16-bit ones), maps them to x = (v - min) / (max - min), or
 * to 0 when max == min, and the colormap picks entry trunc(min(x * 256, 255)) of its
 * 256-entry table; with bytes=True the table is (lut * 255) truncated to uint8, which is
 * what viridis_table.h holds (tools/make_viridis_table.py). We keep each float step in
 * matplotlib's precision so that the entry chosen at a boundary is the same. */
#include "anchor/render.h"

#include <stdint.h>
#include <string.h>

#include "image/image_internal.h"
#include "render/viridis_table.h"

static int64_t label_value(const anchor_image *m, size_t i)
{
    switch (m->dtype) {
    case ANCHOR_DTYPE_U8: return ((const uint8_t *)m->data)[i];
    case ANCHOR_DTYPE_U16: return ((const uint16_t *)m->data)[i];
    case ANCHOR_DTYPE_I32: return ((const int32_t *)m->data)[i];
    default: return ((const int64_t *)m->data)[i];
    }
}

static int colour_index_f64(double v, double lo, double hi)
{
    if (lo == hi)
        return 0;
    double x = (v - lo) / (hi - lo);
    x *= 256;
    if (x == 256)
        x = 255;
    return (int)x;
}

static int colour_index_f32(float v, float lo, float hi)
{
    if (lo == hi)
        return 0;
    float x = (v - lo) / (hi - lo);
    x *= 256;
    if (x == 256)
        x = 255;
    return (int)x;
}

anchor_status anchor_render_labels(const anchor_image *labels, anchor_image **rgb, anchor_error *err)
{
    *rgb = NULL;
    if (labels->n != 1 || labels->c != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "a label map to draw must be one H x W array, not %lldx%lldx%lldx%lld",
                                (long long)labels->n, (long long)labels->h, (long long)labels->w,
                                (long long)labels->c);
    if (labels->dtype != ANCHOR_DTYPE_U8 && labels->dtype != ANCHOR_DTYPE_U16 && labels->dtype != ANCHOR_DTYPE_I32 &&
        labels->dtype != ANCHOR_DTYPE_I64)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "a label map to draw must be integer, not %s",
                                anchor_dtype_name(labels->dtype));
    anchor_status st = anchor_image_create(1, labels->h, labels->w, 3, ANCHOR_DTYPE_U8, rgb, err);
    if (st)
        return st;
    size_t n = (size_t)(labels->h * labels->w);
    int64_t lo = label_value(labels, 0), hi = lo;
    for (size_t i = 1; i < n; i++) {
        int64_t v = label_value(labels, i);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    const int narrow = labels->dtype == ANCHOR_DTYPE_U8 || labels->dtype == ANCHOR_DTYPE_U16;
    unsigned char *out = (*rgb)->data;
    for (size_t i = 0; i < n; i++) {
        int64_t v = label_value(labels, i);
        int k = narrow ? colour_index_f32((float)v, (float)lo, (float)hi)
                       : colour_index_f64((double)v, (double)lo, (double)hi);
        memcpy(out + 3 * i, viridis_bytes[k], 3);
    }
    return ANCHOR_OK;
}
