/* SPDX-License-Identifier: Apache-2.0 */
/* The predictor handle and the prediction sink (include/anchor/predict.h).
 * Answers are validated here once for every kind of predictor: row count, finiteness. */
#include "predict/predictor_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"

anchor_status anchor_prediction_create(anchor_prediction **out, anchor_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
}

void anchor_prediction_destroy(anchor_prediction *p)
{
    if (p) {
        free(p->scores);
        free(p->labels);
        free(p);
    }
}

anchor_status anchor_prediction_set_scores(anchor_prediction *p, int64_t n, int64_t n_classes, anchor_dtype dtype,
                                           const void *scores, anchor_error *err)
{
    if (n < 0 || n_classes < 1)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor answered scores of shape (%lld, %lld)",
                                (long long)n, (long long)n_classes);
    if (dtype != ANCHOR_DTYPE_F32 && dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor scores must be float32 or float64, not %s",
                                anchor_dtype_name(dtype));
    size_t count = (size_t)n * (size_t)n_classes;
    if (count > p->cap_scores) {
        double *s = realloc(p->scores, (count ? count : 1) * sizeof *s);
        if (!s)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for %zu scores", count);
        p->scores = s;
        p->cap_scores = count;
    }
    if (dtype == ANCHOR_DTYPE_F64)
        memcpy(p->scores, scores, count * sizeof(double));
    else
        for (size_t i = 0; i < count; i++)
            p->scores[i] = ((const float *)scores)[i];
    p->n = n;
    p->n_classes = n_classes;
    return ANCHOR_OK;
}

anchor_status anchor_prediction_set_labels(anchor_prediction *p, int64_t n, const int64_t *labels, anchor_error *err)
{
    if (n < 0)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor answered %lld labels", (long long)n);
    if ((size_t)n > p->cap_labels) {
        int64_t *l = realloc(p->labels, (size_t)n * sizeof *l);
        if (!l)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for %lld labels", (long long)n);
        p->labels = l;
        p->cap_labels = (size_t)n;
    }
    if (n)
        memcpy(p->labels, labels, (size_t)n * sizeof *labels);
    p->n = n;
    p->n_classes = 0;
    return ANCHOR_OK;
}

int64_t anchor_prediction_count(const anchor_prediction *p) { return p->n; }
int64_t anchor_prediction_classes(const anchor_prediction *p) { return p->n_classes; }
const double *anchor_prediction_scores(const anchor_prediction *p) { return p->n_classes ? p->scores : NULL; }
const int64_t *anchor_prediction_labels(const anchor_prediction *p) { return p->n_classes ? NULL : p->labels; }

/* Class a ranks below class b: a lower score, or the same score and a higher index. */
static bool ranks_below(const double *s, int64_t a, int64_t b) { return s[a] < s[b] || (s[a] == s[b] && a > b); }

static void sift_down(const double *s, int64_t *heap, int64_t size, int64_t i)
{
    for (;;) {
        int64_t low = i, l = 2 * i + 1, r = l + 1;
        if (l < size && ranks_below(s, heap[l], heap[low]))
            low = l;
        if (r < size && ranks_below(s, heap[r], heap[low]))
            low = r;
        if (low == i)
            return;
        int64_t t = heap[i];
        heap[i] = heap[low];
        heap[low] = t;
        i = low;
    }
}

/* A heap of the k best seen so far with the lowest-ranked on top, then a heapsort of it:
 * O(L log k) without memory beyond `top`, for k = 5 of 1000 classes or all of them. */
int64_t anchor_prediction_top_k(const anchor_prediction *p, int64_t row, int64_t k, int64_t *top)
{
    if (!p->n_classes || row < 0 || row >= p->n || k < 1)
        return 0;
    const double *s = p->scores + (size_t)row * (size_t)p->n_classes;
    int64_t size = 0, kk = k < p->n_classes ? k : p->n_classes;
    for (int64_t c = 0; c < p->n_classes; c++) {
        if (size < kk) {
            int64_t i = size++;
            top[i] = c;
            while (i > 0 && ranks_below(s, top[i], top[(i - 1) / 2])) { /* sift up */
                int64_t parent = (i - 1) / 2, t = top[i];
                top[i] = top[parent];
                top[parent] = t;
                i = parent;
            }
        } else if (ranks_below(s, top[0], c)) {
            top[0] = c;
            sift_down(s, top, size, 0);
        }
    }
    for (int64_t end = size - 1; end > 0; end--) { /* lowest-ranked to the back: best first */
        int64_t t = top[0];
        top[0] = top[end];
        top[end] = t;
        sift_down(s, top, end, 0);
    }
    return kk;
}

anchor_status anchor_predictor_create_callback(anchor_predict_fn fn, void *user, void (*destroy_user)(void *user),
                                               anchor_predictor **out, anchor_error *err)
{
    *out = NULL;
    if (!fn)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "predictor callback is NULL");
    anchor_predictor *p = calloc(1, sizeof *p);
    if (!p)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    p->fn = fn;
    p->user = user;
    p->destroy_user = destroy_user;
    *out = p;
    return ANCHOR_OK;
}

anchor_status anchor_predictor_predict(anchor_predictor *p, const anchor_image *batch, anchor_prediction *out,
                                       anchor_error *err)
{
    out->n = -1;
    anchor_status st = anchor_image_check_finite(batch, "the batch to predict", err);
    if (st)
        return st;
    st = p->fn(p->user, batch, out, err);
    if (st)
        return st;
    if (out->n != batch->n)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor answered %lld rows for a batch of %lld images",
                                (long long)out->n, (long long)batch->n);
    if (!p->answered) {
        p->answered = true;
        p->n_classes = out->n_classes;
    } else if (out->n_classes != p->n_classes) {
        char now[48], first[48];
        snprintf(now, sizeof now, out->n_classes ? "scores for %lld classes" : "labels", (long long)out->n_classes);
        snprintf(first, sizeof first, p->n_classes ? "scores for %lld classes" : "labels", (long long)p->n_classes);
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                "predictor answered %s, but its first answer was %s; the number of classes must not "
                                "change between calls",
                                now, first);
    }
    if (out->n_classes) {
        size_t count = (size_t)out->n * (size_t)out->n_classes;
        for (size_t i = 0; i < count; i++)
            if (!isfinite(out->scores[i]))
                return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                        "predictor answered a non-finite score (%g) for image %zu, class %zu",
                                        out->scores[i], i / (size_t)out->n_classes, i % (size_t)out->n_classes);
    }
    return ANCHOR_OK;
}

void anchor_predictor_destroy(anchor_predictor *p)
{
    if (p) {
        if (p->destroy_user)
            p->destroy_user(p->user);
        free(p);
    }
}
