/* SPDX-License-Identifier: Apache-2.0 */
/* User label maps: loading and remapping to 0..K-1, the one place a label map is
 * normalised (the explainer, `anchor segment` and the benchmarks all call it).
 *
 * alibi takes K = len(unique(segments)) and applies mask column j to the pixels whose
 * label equals j, so a map labelled 1..K (slic's start_label=1 default) or with gaps is
 * silently mis-perturbed (alibi#748). We remap by sorted value instead, which keeps the
 * partition and gives each superpixel the index alibi would give it after np.unique. */
#include "anchor/segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "image/codec.h"
#include "image/image_internal.h"
#include "image/npy.h"
#include "image/photo.h"
#include "segment/labels_internal.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t label_at(const anchor_image *m, size_t i)
{
    switch (m->dtype) {
    case ANCHOR_DTYPE_U8: return ((const uint8_t *)m->data)[i];
    case ANCHOR_DTYPE_U16: return ((const uint16_t *)m->data)[i];
    case ANCHOR_DTYPE_I32: return ((const int32_t *)m->data)[i];
    case ANCHOR_DTYPE_I64: return ((const int64_t *)m->data)[i];
    default: return 0;
    }
}

/* Maps that already are 0..K-1 (what every segmenter gives, start_label 0) are copied in
 * one pass with no sort: explaining a 299 x 299 photo must not pay for a sort of 90,000
 * labels. Returns 1 and fills *out when the map qualified, 0 when it needs the remap. */
static int copy_if_0_to_k(const anchor_image *labels, size_t np, anchor_image **out, int *n_segments,
                          anchor_status *st, anchor_error *err)
{
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < np; i++) {
        int64_t v = label_at(labels, i);
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    if (mn != 0 || mx >= ANCHOR_MAX_SEGMENTS)
        return 0;
    uint8_t *seen = calloc((size_t)mx + 1, 1);
    if (!seen) {
        *st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        return 1;
    }
    if ((*st = anchor_image_create(1, labels->h, labels->w, 1, ANCHOR_DTYPE_I32, out, err))) {
        free(seen);
        return 1;
    }
    int32_t *dst = (*out)->data;
    for (size_t i = 0; i < np; i++) {
        dst[i] = (int32_t)label_at(labels, i);
        seen[dst[i]] = 1;
    }
    int all = 1;
    for (int64_t v = 0; v <= mx; v++)
        all &= seen[v];
    free(seen);
    if (!all) { /* gaps: the remap by sorted value closes them */
        anchor_image_destroy(*out);
        *out = NULL;
        return 0;
    }
    *n_segments = (int)(mx + 1);
    return 1;
}

anchor_status anchor_labels_normalize(const anchor_image *labels, int *n_segments, bool *changed, anchor_image **out,
                                      anchor_error *err)
{
    *out = NULL;
    if (labels->n != 1 || labels->c != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "a label map must be one H x W array, not %lldx%lldx%lldx%lld", (long long)labels->n,
                                (long long)labels->h, (long long)labels->w, (long long)labels->c);
    if (labels->dtype == ANCHOR_DTYPE_F32 || labels->dtype == ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "a label map must have an integer dtype, not %s",
                                anchor_dtype_name(labels->dtype));
    size_t np = (size_t)labels->h * (size_t)labels->w;
    anchor_status st = ANCHOR_OK;
    if (copy_if_0_to_k(labels, np, out, n_segments, &st, err)) {
        if (!st && changed)
            *changed = 0;
        return st;
    }
    int64_t *sorted = malloc(np * sizeof *sorted);
    if (!sorted)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < np; i++)
        sorted[i] = label_at(labels, i);
    qsort(sorted, np, sizeof *sorted, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < np; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            sorted[k++] = sorted[i];
    if (k > ANCHOR_MAX_SEGMENTS) {
        free(sorted);
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "the label map has %zu segments, beyond the limit of %d", k,
                                ANCHOR_MAX_SEGMENTS);
    }
    st = anchor_image_create(1, labels->h, labels->w, 1, ANCHOR_DTYPE_I32, out, err);
    if (st) {
        free(sorted);
        return st;
    }
    int32_t *dst = (*out)->data;
    int any_change = !(sorted[0] == 0 && sorted[k - 1] == (int64_t)k - 1);
    for (size_t i = 0; i < np; i++) {
        int64_t v = label_at(labels, i);
        /* binary search for v's rank */
        size_t lo = 0, hi = k;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (sorted[mid] <= v)
                lo = mid;
            else
                hi = mid;
        }
        dst[i] = (int32_t)lo;
    }
    free(sorted);
    *n_segments = (int)k;
    if (changed)
        *changed = any_change;
    return ANCHOR_OK;
}

anchor_status anc_labels_decode(anchor_image **labels, const unsigned char *bytes, size_t size, const char *path,
                                anchor_error *err)
{
    *labels = NULL;
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    anchor_status st;
    if (size >= 6 && memcmp(bytes, "\x93NUMPY", 6) == 0)
        st = anc_npy_decode_image(labels, bytes, size, path, err);
    else if (size >= 8 && memcmp(bytes, png_sig, 8) == 0)
        st = anc_png_decode_raw(labels, bytes, size, path, err);
    else
        st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: a label map must be a .npy or a gray PNG", path);
    if (st)
        return st;
    anchor_image *m = *labels;
    if (m->n != 1 || m->c != 1 || m->dtype == ANCHOR_DTYPE_F32 || m->dtype == ANCHOR_DTYPE_F64) {
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                              "%s: a label map must be an H x W integer array (or a gray PNG), not %lldx%lldx%lld %s",
                              path, (long long)m->h, (long long)m->w, (long long)m->c, anchor_dtype_name(m->dtype));
        anchor_image_destroy(m);
        *labels = NULL;
    }
    return st;
}

anchor_status anchor_labels_load(const char *path, anchor_image **labels, anchor_error *err)
{
    /* read once and sniff the bytes: standard input cannot be opened twice */
    *labels = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    anchor_status st = anc_read_file(path, &bytes, &size, (size_t)ANCHOR_MAX_BYTES + 4096, err);
    if (st)
        return st;
    st = anc_labels_decode(labels, bytes, size, path, err);
    free(bytes);
    return st;
}
