/* SPDX-License-Identifier: Apache-2.0 */
/* The overlay picture (include/anchor/render.h): the photo with the anchor outlined.
 *
 * Not alibi's (alibi has no such picture); it is for people deciding whether to trust the
 * explanation, so it keeps the photo recognisable: superpixels outside the anchor are
 * dimmed, not blacked out, every superpixel boundary is drawn faintly, and the boundary
 * between the anchor and the rest is drawn in gold. Float images are first brought to
 * 0..255 by scale_image (scale.c), as the example pictures are. */
#include "anchor/render.h"

#include <stdlib.h>

#include "image/image_internal.h"
#include "render/render_internal.h"

anchor_status anchor_render_overlay(const anchor_image *image, const anchor_image *segments, const int *feature,
                                    int n_feature, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (image->n != 1 || segments->n != 1 || segments->c != 1 || segments->h != image->h ||
        segments->w != image->w || segments->dtype != ANCHOR_DTYPE_I32)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "overlay: label map does not match the image");
    uint8_t *in_anchor;
    int32_t n_labels;
    anchor_status st = anc_render_anchor_flags(segments, feature, n_feature, "overlay", &in_anchor, &n_labels, err);
    if (st)
        return st;
    anchor_image *base = NULL;
    if (image->dtype == ANCHOR_DTYPE_U8)
        st = anchor_image_clone(image, &base, err);
    else
        st = anc_render_scale(image, false, &base, err);
    if (!st)
        st = anchor_image_create(1, image->h, image->w, 3, ANCHOR_DTYPE_U8, out, err);
    if (st) {
        free(in_anchor);
        anchor_image_destroy(base);
        return st;
    }
    int64_t H = image->h, W = image->w, C = image->c;
    const int32_t *lab = segments->data;
    const uint8_t *src = base->data;
    uint8_t *dst = (*out)->data;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            int64_t i = y * W + x;
            int32_t l = lab[i];
            int a = in_anchor[l];
            /* a boundary pixel differs from one of its 4 neighbours */
            int edge = 0, anchor_edge = 0;
            const int64_t dy[4] = {-1, 1, 0, 0}, dx[4] = {0, 0, -1, 1};
            for (int k = 0; k < 4; k++) {
                int64_t yy = y + dy[k], xx = x + dx[k];
                if (yy < 0 || yy >= H || xx < 0 || xx >= W)
                    continue;
                int32_t m = lab[yy * W + xx];
                if (m != l) {
                    edge = 1;
                    if (in_anchor[m] != a)
                        anchor_edge = 1;
                }
            }
            for (int c = 0; c < 3; c++) {
                double v = src[i * C + (C == 3 ? c : 0)];
                if (anchor_edge) {
                    static const double gold[3] = {255, 215, 0};
                    v = gold[c];
                } else if (!a) {
                    v = 0.25 * v + 16; /* dim what the classifier may lose */
                    if (edge)
                        v = 0.5 * v + 0.5 * 170;
                } else if (edge) {
                    v = 0.6 * v + 0.4 * 255;
                }
                dst[i * 3 + c] = (uint8_t)(v + 0.5);
            }
        }
    free(in_anchor);
    anchor_image_destroy(base);
    return ANCHOR_OK;
}
