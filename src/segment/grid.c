/* SPDX-License-Identifier: Apache-2.0 */
/* A regular grid of rectangular superpixels (the hand-made segmentation alibi's
 * fashion-MNIST example uses).
 *
 * Tile r of `rows` spans image rows [r * (H / rows), (r + 1) * (H / rows)) with integer
 * division, except the last tile, which runs to H and so takes the remainder; columns
 * likewise. Labels are row-major, 0 .. rows * cols - 1, so every label is used. */
#include "anchor/segment.h"

#include "image/image_internal.h"

void anchor_grid_params_default(anchor_grid_params *p) { *p = (anchor_grid_params){4, 4}; }

anchor_status anchor_grid(int64_t height, int64_t width, const anchor_grid_params *p, anchor_image **labels,
                          anchor_error *err)
{
    *labels = NULL;
    if (!p)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "grid: no parameters");
    if (height < 1 || width < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "grid: the image is %lldx%lld, it must not be empty",
                                (long long)height, (long long)width);
    if (p->rows < 1 || p->rows > height)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "grid: rows=%d must be in [1, %lld] (the image height)",
                                p->rows, (long long)height);
    if (p->cols < 1 || p->cols > width)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "grid: cols=%d must be in [1, %lld] (the image width)",
                                p->cols, (long long)width);
    if ((int64_t)p->rows * p->cols > ANCHOR_MAX_SEGMENTS)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "grid: rows x cols = %lld segments, beyond the limit of %d",
                                (long long)p->rows * p->cols, ANCHOR_MAX_SEGMENTS);
    anchor_status st = anchor_image_create(1, height, width, 1, ANCHOR_DTYPE_I32, labels, err);
    if (st)
        return st;
    int32_t *out = (*labels)->data;
    int64_t tile_h = height / p->rows, tile_w = width / p->cols;
    for (int64_t y = 0; y < height; y++) {
        int64_t tr = y / tile_h;
        if (tr >= p->rows)
            tr = p->rows - 1; /* the remainder rows belong to the last tile */
        for (int64_t x = 0; x < width; x++) {
            int64_t tc = x / tile_w;
            if (tc >= p->cols)
                tc = p->cols - 1;
            out[y * width + x] = (int32_t)(tr * p->cols + tc);
        }
    }
    return ANCHOR_OK;
}
