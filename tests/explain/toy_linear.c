/* SPDX-License-Identifier: Apache-2.0 */
/* toy_linear.py's model in C, bit for bit (compiled with -ffp-contract=off).
 *
 * The Python docstring describes the pooling as "rows first, then columns"; what numpy's
 * np.add.reduceat actually computes (checked against it) is, per block and along each axis,
 * the first slice plus numpy's pairwise sum of the remaining slices, so that is what we do:
 *   pairwise(n): n < 8 sequential from 0; n <= 128 eight strided running sums combined
 *   ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the tail; otherwise split at n/2 rounded
 *   down to a multiple of 8.
 * Then mean = sum / (rows*cols), d_j = mean_j - centre with j = (by*G + bx)*C + c,
 * logit_k = gain * sum_j d_j W[j,k] (sequential, no FMA) + bias_k, softmax. */
#include "toy_linear.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void toy_linear_default(toy_linear *m)
{
    m->grid = 13;
    m->classes = 10;
    m->gain = 1.0;
    m->centre = 0.5;
    m->bias_scale = 0.0;
}

static uint32_t hash32(uint64_t v)
{
    uint32_t x = (uint32_t)v;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* numpy's pairwise sum of n values a[0], a[stride], ... */
static double pairwise(const double *a, int64_t n, int64_t stride)
{
    if (n < 8) {
        double res = 0.0;
        for (int64_t i = 0; i < n; i++)
            res += a[i * stride];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j * stride];
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[(i + j) * stride];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i * stride];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2, stride) + pairwise(a + n2 * stride, n - n2, stride);
}

/* reduceat along one axis: first element + pairwise(rest). */
static double reduceat(const double *a, int64_t n, int64_t stride)
{
    return a[0] + pairwise(a + stride, n - 1, stride);
}

static int run_model(const toy_linear *m, const anchor_image *batch, double *scores, int softmax)
{
    int64_t n = anchor_image_count(batch), h = anchor_image_height(batch), w = anchor_image_width(batch);
    int64_t c = anchor_image_channels(batch);
    int g = m->grid, L = m->classes;
    if (h < g || w < g)
        return -1;
    int64_t nfeat = (int64_t)g * g * c;
    double *x = malloc((size_t)(h * w * c) * sizeof *x);
    double *rows = malloc((size_t)(g * w * c) * sizeof *rows);
    double *col = malloc((size_t)w * sizeof *col);
    double *d = malloc((size_t)nfeat * sizeof *d);
    double *W = malloc((size_t)(nfeat * L) * sizeof *W);
    double *acc = malloc((size_t)L * sizeof *acc);
    if (!x || !rows || !col || !d || !W || !acc) {
        free(x), free(rows), free(col), free(d), free(W), free(acc);
        return -1;
    }
    for (int64_t j = 0; j < nfeat; j++)
        for (int k = 0; k < L; k++)
            W[j * L + k] = (double)hash32((uint64_t)j * (uint64_t)L + (uint64_t)k + 0x9e3779b9ULL) / 4294967296.0 - 0.5;
    for (int64_t b = 0; b < n; b++) {
        const void *src = (const uint8_t *)anchor_image_cdata(batch) + (size_t)b * (size_t)(h * w * c) *
                                                                           anchor_dtype_size(anchor_image_dtype(batch));
        if (anchor_image_dtype(batch) == ANCHOR_DTYPE_U8)
            for (int64_t i = 0; i < h * w * c; i++)
                x[i] = (double)((const uint8_t *)src)[i] / 255.0;
        else
            for (int64_t i = 0; i < h * w * c; i++)
                x[i] = (double)((const float *)src)[i];
        /* rows: reduceat over y per block, for every (x, c) */
        for (int by = 0; by < g; by++) {
            int64_t y0 = by * h / g, y1 = (by + 1) * h / g;
            for (int64_t i = 0; i < w * c; i++)
                rows[by * w * c + i] = reduceat(x + y0 * w * c + i, y1 - y0, w * c);
        }
        for (int by = 0; by < g; by++) {
            int64_t y0 = by * h / g, y1 = (by + 1) * h / g;
            for (int bx = 0; bx < g; bx++) {
                int64_t x0 = bx * w / g, x1 = (bx + 1) * w / g;
                for (int64_t ch = 0; ch < c; ch++) {
                    double s = reduceat(rows + by * w * c + x0 * c + ch, x1 - x0, c);
                    double denom = (double)(y1 - y0) * (double)(x1 - x0);
                    d[((int64_t)by * g + bx) * c + ch] = s / denom - m->centre;
                }
            }
        }
        for (int k = 0; k < L; k++)
            acc[k] = 0.0;
        for (int64_t j = 0; j < nfeat; j++)
            for (int k = 0; k < L; k++)
                acc[k] += d[j] * W[j * L + k];
        double *z = scores + b * L;
        for (int k = 0; k < L; k++) {
            double bias = m->bias_scale * ((double)hash32((uint64_t)k + 0x85ebca6bULL) / 4294967296.0 - 0.5);
            z[k] = m->gain * acc[k] + bias;
        }
        if (!softmax)
            continue;
        double mx = z[0];
        for (int k = 1; k < L; k++)
            mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < L; k++)
            z[k] = exp(z[k] - mx);
        double sum = reduceat(z, L, 1);
        for (int k = 0; k < L; k++)
            z[k] = z[k] / sum;
    }
    free(x), free(rows), free(col), free(d), free(W), free(acc);
    return 0;
}

int toy_linear_scores(const toy_linear *m, const anchor_image *batch, double *scores)
{
    return run_model(m, batch, scores, 1);
}

int toy_linear_logits(const toy_linear *m, const anchor_image *batch, double *logits)
{
    return run_model(m, batch, logits, 0);
}

anchor_status toy_linear_predict(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    const toy_linear *m = user;
    int64_t n = anchor_image_count(batch);
    double *scores = malloc((size_t)(n ? n : 1) * (size_t)m->classes * sizeof *scores);
    if (!scores)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "toy_linear: out of memory");
    if (toy_linear_scores(m, batch, scores)) {
        free(scores);
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "toy_linear: image smaller than the grid or no memory");
    }
    anchor_status st = anchor_prediction_set_scores(out, n, m->classes, ANCHOR_DTYPE_F64, scores, err);
    free(scores);
    return st;
}
