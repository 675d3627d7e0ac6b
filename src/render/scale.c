/* SPDX-License-Identifier: Apache-2.0 */
/* alibi's scale_image, the one contrast stretch every picture uses (render_internal.h).
 *
 * alibi (0.9, utils/visualization.py): (x - x.min()) / (x.max() - x.min()) * 255 + 0 over
 * the whole array, in the array's dtype: a uint8 image subtracts in uint8 and divides in
 * float64, a float32 image stays float32 throughout. The anchor picture then truncates to
 * int (astype(int)); the example pictures truncate to uint8 the same way. Where numpy's
 * answer is not a number (a constant image divides 0 by 0, infinities give inf / inf) we
 * write 0, which is what the value 0 * mask of alibi's black pixels already is. */
#include "render/render_internal.h"

#include <math.h>
#include <string.h>

#include "anchor/render.h"
#include "image/image_internal.h"

static void scale_u8(const uint8_t *x, size_t count, uint8_t *dst)
{
    uint8_t lo = 255, hi = 0;
    for (size_t i = 0; i < count; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    /* numpy: (x - min) stays uint8, / (max - min) is float64, * 255 float64 */
    double range = (double)(uint8_t)(hi - lo);
    for (size_t i = 0; i < count; i++) {
        double v = range > 0 ? (double)(uint8_t)(x[i] - lo) / range * 255.0 + 0.0 : 0.0;
        dst[i] = v >= 255.0 ? 255 : (uint8_t)v;
    }
}

static void scale_f32(const float *x, size_t count, bool nan_spreads, uint8_t *dst)
{
    float lo = INFINITY, hi = -INFINITY;
    bool any_nan = false;
    for (size_t i = 0; i < count; i++) {
        if (isnan(x[i])) {
            any_nan = true;
            continue;
        }
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (any_nan && nan_spreads) {
        memset(dst, 0, count);
        return;
    }
    /* float32 arithmetic throughout, as numpy. An infinite range (an infinity in the
     * image, or max - min beyond float32) makes every numpy value 0 or NaN: all 0. */
    float range = hi - lo;
    for (size_t i = 0; i < count; i++) {
        float v = range > 0 && isfinite(range) ? (x[i] - lo) / range * 255.0f + 0.0f : 0.0f;
        dst[i] = !(v > 0.0f) ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
    }
}

anchor_status anc_render_scale(const anchor_image *image, bool nan_spreads, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "cannot scale a %s image for display",
                                anchor_dtype_name(image->dtype));
    anchor_status st = anchor_image_create(image->n, image->h, image->w, image->c, ANCHOR_DTYPE_U8, out, err);
    if (st)
        return st;
    size_t per = (size_t)(image->h * image->w * image->c);
    uint8_t *dst = (*out)->data;
    for (int64_t k = 0; k < image->n; k++) {
        if (image->dtype == ANCHOR_DTYPE_U8)
            scale_u8((const uint8_t *)image->data + (size_t)k * per, per, dst + (size_t)k * per);
        else
            scale_f32((const float *)image->data + (size_t)k * per, per, nan_spreads, dst + (size_t)k * per);
    }
    return ANCHOR_OK;
}

anchor_status anchor_render_scale_image(const anchor_image *image, anchor_image **out, anchor_error *err)
{
    return anc_render_scale(image, false, out, err);
}
