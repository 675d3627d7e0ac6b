/* SPDX-License-Identifier: Apache-2.0 */
/* The pipe predictor's answer, judged from its .npy header and bytes (pipe_answer.h).
 *
 * Split from pipe.c so that everything a predictor program can say to us is checked by
 * code with no I/O in it, which a fuzzer can drive (fuzz/fuzz_pipe_answer.c): the shape
 * and dtype rules of the protocol (../shared/fixtures/alibi/README.md) and the widening
 * of the values, with non-finite scores refused here, by image and class. */
#include "predict/pipe_answer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

anchor_status anc_pipe_answer_check(const anchor_npy_header *h, int64_t count, int64_t request, anc_pipe_answer *a,
                                    anchor_error *err)
{
    if (h->ndim == 2 && (h->dtype == ANCHOR_DTYPE_F32 || h->dtype == ANCHOR_DTYPE_F64) && !h->is_bool) {
        a->is_labels = 0;
        a->classes = h->shape[1];
    } else if (h->ndim == 1 &&
               (h->dtype == ANCHOR_DTYPE_I64 || h->dtype == ANCHOR_DTYPE_I32 || h->dtype == ANCHOR_DTYPE_U8 ||
                h->dtype == ANCHOR_DTYPE_U16)) {
        a->is_labels = 1;
        a->classes = 0;
    } else {
        char shp[160] = "(";
        for (int i = 0; i < h->ndim && i < ANCHOR_NPY_MAX_NDIM; i++)
            snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%lld%s", (long long)h->shape[i],
                     h->ndim == 1 ? "," : (i + 1 < h->ndim ? ", " : ""));
        strncat(shp, ")", sizeof shp - strlen(shp) - 1);
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                "answered request %lld with an array of dtype %s and shape %s; expected (%lld, L) "
                                "float32/float64 scores or (%lld,) integer labels",
                                (long long)request, h->is_bool ? "bool" : anchor_dtype_name(h->dtype), shp,
                                (long long)count, (long long)count);
    }
    a->n = h->shape[0];
    if (a->n != count)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "answered %lld rows to request %lld of %lld images",
                                (long long)a->n, (long long)request, (long long)count);
    if (!a->is_labels && a->classes < 1)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "answered request %lld with scores for 0 classes",
                                (long long)request);
    return ANCHOR_OK;
}

anchor_status anc_pipe_answer_convert(const anchor_npy_header *h, const unsigned char *data, const anc_pipe_answer *a,
                                      int64_t request, double *scores, int64_t *labels, anchor_error *err)
{
    if (!a->is_labels) {
        for (int64_t i = 0; i < h->count; i++) {
            double v;
            if (h->dtype == ANCHOR_DTYPE_F64) {
                memcpy(&v, data + 8 * i, 8);
            } else {
                float f;
                memcpy(&f, data + 4 * i, 4);
                v = f;
            }
            if (!isfinite(v))
                return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                        "answered a non-finite score (%g) for image %lld, class %lld of request %lld", v,
                                        (long long)(i / a->classes), (long long)(i % a->classes), (long long)request);
            scores[i] = v;
        }
        return ANCHOR_OK;
    }
    for (int64_t i = 0; i < h->count; i++) {
        int64_t v;
        switch (h->dtype) {
        case ANCHOR_DTYPE_I64: memcpy(&v, data + 8 * i, 8); break;
        case ANCHOR_DTYPE_I32: { int32_t t; memcpy(&t, data + 4 * i, 4); v = t; break; }
        case ANCHOR_DTYPE_U16: { uint16_t t; memcpy(&t, data + 2 * i, 2); v = t; break; }
        default: v = data[i]; break;
        }
        labels[i] = v;
    }
    return ANCHOR_OK;
}
