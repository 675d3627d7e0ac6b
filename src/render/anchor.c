/* SPDX-License-Identifier: Apache-2.0 */
/* alibi's anchor picture (explanation.anchor): the anchor's superpixels contrast-stretched
 * to 0..255, every other pixel black.
 *
 * alibi 0.9: overlay_mask = astype(int)(scale_image(image) * mask[..., None]) with mask 1
 * on the anchor's superpixels and 0 elsewhere (SPEC §7). Multiplying by 0 or 1 and
 * truncating is the stretch followed by blacking out, so the picture is one call of the
 * shared scale_image (scale.c, with numpy's NaN rule) and a pass that clears what the
 * anchor does not hold. The explanation's accessor is implemented here, from its public
 * getters, so that pictures depend on the explainer and never the other way round. */
#include "anchor/render.h"

#include <stdlib.h>
#include <string.h>

#include "anchor/explain.h"
#include "image/image_internal.h"
#include "render/render_internal.h"

anchor_status anc_render_anchor_flags(const anchor_image *segments, const int *feature, int n_feature,
                                      const char *what, uint8_t **in_anchor, int32_t *n_labels, anchor_error *err)
{
    *in_anchor = NULL;
    const int32_t *lab = segments->data;
    size_t np = (size_t)(segments->h * segments->w);
    int32_t maxlab = 0;
    for (size_t i = 0; i < np; i++) {
        if (lab[i] < 0)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "%s: the label map has a negative label (%d); normalise it first", what,
                                    (int)lab[i]);
        maxlab = lab[i] > maxlab ? lab[i] : maxlab;
    }
    uint8_t *flags = calloc((size_t)maxlab + 1, 1);
    if (!flags)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", what);
    for (int i = 0; i < n_feature; i++)
        if (feature[i] >= 0 && feature[i] <= maxlab)
            flags[feature[i]] = 1;
    *in_anchor = flags;
    *n_labels = maxlab + 1;
    return ANCHOR_OK;
}

anchor_status anchor_render_anchor(const anchor_image *image, const anchor_image *segments, const int *feature,
                                   int n_feature, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (image->n != 1 || segments->n != 1 || segments->c != 1 || segments->h != image->h ||
        segments->w != image->w || segments->dtype != ANCHOR_DTYPE_I32)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "anchor image: the label map must be an int32 H x W map of the image (%lldx%lld)",
                                (long long)image->h, (long long)image->w);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "anchor image: uint8 or float32 image needed, not %s",
                                anchor_dtype_name(image->dtype));
    uint8_t *in_anchor;
    int32_t n_labels;
    anchor_status st = anc_render_anchor_flags(segments, feature, n_feature, "anchor image", &in_anchor, &n_labels, err);
    if (st)
        return st;
    if ((st = anc_render_scale(image, true, out, err))) {
        free(in_anchor);
        return st;
    }
    size_t np = (size_t)(image->h * image->w), nc = (size_t)image->c;
    const int32_t *lab = segments->data;
    uint8_t *dst = (*out)->data;
    for (size_t i = 0; i < np; i++)
        if (!in_anchor[lab[i]])
            memset(dst + i * nc, 0, nc);
    free(in_anchor);
    return ANCHOR_OK;
}

anchor_status anchor_explanation_anchor_image(const anchor_explanation *e, const anchor_image *image,
                                              anchor_image **out, anchor_error *err)
{
    *out = NULL;
    const anchor_image *segments = anchor_explanation_segments(e);
    if (!image || image->n != 1 || image->h != segments->h || image->w != segments->w)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "anchor image: the image must be the explained one (%lldx%lld)",
                                (long long)segments->h, (long long)segments->w);
    int n = anchor_explanation_size(e);
    int *feature = malloc((size_t)(n > 0 ? n : 1) * sizeof *feature);
    if (!feature)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "anchor image: out of memory");
    for (int i = 0; i < n; i++)
        feature[i] = anchor_explanation_feature(e, i);
    anchor_status st = anchor_render_anchor(image, segments, feature, n, out, err);
    free(feature);
    return st;
}
