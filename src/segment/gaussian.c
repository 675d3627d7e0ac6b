/* SPDX-License-Identifier: Apache-2.0 */
/* Gaussian smoothing equal to scipy 1.10's ndimage.gaussian_filter, bit for bit.
 *
 * scipy filters one axis at a time (axis 0 first; axes whose sigma is <= 1e-15 are
 * skipped). Each pass is a 1-D correlation with the kernel
 *     phi(x) = exp((-0.5 / sigma^2) * x^2),  x = -r..r,  r = int(4 * sigma + 0.5),
 * normalised by its numpy sum (pairwise summation, numpy/np_sum.c), over lines extended
 * by half-sample reflection (mode 'reflect': d c b a | a b c d | d c b a, periodic beyond
 * that). Every pass reads the array into double lines, accumulates in double and writes
 * back in the array's type, so a float32 image is rounded to float32 after each pass.
 * Because the kernel is symmetric, scipy sums it as
 *     out = in[0] * w[0] + sum over j = r..1 of (in[-j] + in[+j]) * w[j]
 * (outermost pair first), and we keep exactly that order: a different order changes the
 * last bits. skimage's slic filters a 1 x H x W x C volume; the length-1 depth pass then
 * multiplies each value by a rounded kernel sum, which we reproduce too.
 *
 * Not reproduced: numpy's SVML exp on AVX-512 machines (see filters.h); we use libm's. */
#include "segment/filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numpy/np_sum.h"

int64_t anc_seg_gaussian_kernel(double sigma, int sigma_is_f32, double **weights)
{
    *weights = NULL;
    double reach = 4.0 * sigma + 0.5;
    if (!(reach >= 0) || reach > 1e6)
        return -1;
    int64_t radius = (int64_t)reach; /* Python int(): truncation */
    /* sigma * sigma is evaluated in the scalar's own type (numpy float32 for slic on a
     * float32 image), then -0.5 / sigma2 in float64. */
    double sigma2 = sigma_is_f32 ? (double)((float)sigma * (float)sigma) : sigma * sigma;
    double scale = -0.5 / sigma2;
    int64_t n = 2 * radius + 1;
    double *phi = calloc((size_t)n, sizeof *phi);
    if (!phi)
        return -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t x = i - radius;
        phi[i] = exp(scale * (double)(x * x));
    }
    double total = anc_np_pairwise_sum_f64(phi, n); /* phi.sum() */
    for (int64_t i = 0; i < n; i++)
        phi[i] /= total;
    *weights = phi;
    return radius;
}

/* Half-sample symmetric index into 0..n-1, periodic with period 2n (scipy's 'reflect'). */
static inline int64_t reflect_index(int64_t i, int64_t n)
{
    int64_t period = 2 * n;
    int64_t m = i % period;
    if (m < 0)
        m += period;
    return m < n ? m : period - 1 - m;
}

/* The pass along the length-1 depth axis: every neighbour is the value itself. */
static void pass_depth1(double *restrict v, size_t count, const double *w, int64_t radius, int round_f32)
{
    const double *wc = w + radius; /* wc[j] = weight at distance j */
    double tmp[256];
    /* a tap at a time over blocks of values, so that the loops vectorise; each value still
     * adds the taps outermost first */
    for (size_t i0 = 0; i0 < count; i0 += 256) {
        size_t n = count - i0 < 256 ? count - i0 : 256;
        double *x = v + i0;
        for (size_t i = 0; i < n; i++)
            tmp[i] = x[i] * wc[0];
        for (int64_t j = radius; j >= 1; j--) {
            const double wj = wc[j];
            for (size_t i = 0; i < n; i++)
                tmp[i] += (x[i] + x[i]) * wj;
        }
        if (round_f32)
            for (size_t i = 0; i < n; i++)
                x[i] = (double)(float)tmp[i];
        else
            for (size_t i = 0; i < n; i++)
                x[i] = tmp[i];
    }
}

/* Along rows: lines are columns of an h x len array (len = w * c). */
static void pass_rows(const double *restrict src, double *restrict dst, int64_t h, int64_t len, const double *w, int64_t radius,
                      int round_f32)
{
    const double *wc = w + radius;
    for (int64_t y = 0; y < h; y++) {
        double *out = dst + y * len;
        const double *mid = src + y * len;
        for (int64_t k = 0; k < len; k++)
            out[k] = mid[k] * wc[0];
        for (int64_t j = radius; j >= 1; j--) {
            const double *up = src + reflect_index(y - j, h) * len;
            const double *down = src + reflect_index(y + j, h) * len;
            double wj = wc[j];
            for (int64_t k = 0; k < len; k++)
                out[k] += (up[k] + down[k]) * wj;
        }
        if (round_f32)
            for (int64_t k = 0; k < len; k++)
                out[k] = (double)(float)out[k];
    }
}

/* Along columns of an h x w x c array; line is a scratch of (w + 2 radius) * c doubles. */
static void pass_cols(const double *src, double *dst, int64_t h, int64_t w, int64_t c, const double *wt,
                      int64_t radius, int round_f32, double *line)
{
    const double *wc = wt + radius;
    for (int64_t y = 0; y < h; y++) {
        const double *row = src + y * w * c;
        memcpy(line + radius * c, row, (size_t)(w * c) * sizeof *line);
        for (int64_t x = -radius; x < 0; x++)
            for (int64_t ch = 0; ch < c; ch++)
                line[(x + radius) * c + ch] = row[reflect_index(x, w) * c + ch];
        for (int64_t x = w; x < w + radius; x++)
            for (int64_t ch = 0; ch < c; ch++)
                line[(x + radius) * c + ch] = row[reflect_index(x, w) * c + ch];
        /* the same sums as per pixel, taken a tap at a time over the whole row so that the
         * compiler can vectorise them; each output still adds the taps outermost first */
        double *restrict out = dst + y * w * c; /* may be the row just copied to line */
        const int64_t len = w * c;
        const double *restrict centre = line + radius * c;
        for (int64_t k = 0; k < len; k++)
            out[k] = centre[k] * wc[0];
        for (int64_t j = radius; j >= 1; j--) {
            const double *left = centre - j * c, *right = centre + j * c;
            const double wj = wc[j];
            for (int64_t k = 0; k < len; k++)
                out[k] += (left[k] + right[k]) * wj;
        }
        if (round_f32)
            for (int64_t k = 0; k < len; k++)
                out[k] = (double)(float)out[k];
    }
}

/* Filter a double copy of the image; round_f32 emulates float32 storage between passes. */
static anchor_status gaussian_work(double *work, int64_t h, int64_t w, int64_t c, const double sigma_zyx[3],
                                   int sigma_is_f32, int round_f32, anchor_error *err)
{
    size_t count = (size_t)h * (size_t)w * (size_t)c;
    double *tmp = NULL, *line = NULL, *kernel = NULL;
    int in_tmp = 0; /* the latest pass wrote to tmp */
    anchor_status st = ANCHOR_OK;
    for (int axis = 0; axis < 3; axis++) {
        double sigma = sigma_zyx[axis];
        if (!(sigma > 1e-15))
            continue;
        int64_t radius = anc_seg_gaussian_kernel(sigma, sigma_is_f32, &kernel);
        if (radius < 0) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "gaussian sigma %g is out of range", sigma);
            goto done;
        }
        if (axis == 0) {
            pass_depth1(work, count, kernel, radius, round_f32);
        } else {
            if (axis == 1 && !(tmp = malloc(count * sizeof *tmp))) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (gaussian filter)");
                goto done;
            }
            if (axis == 1) {
                /* rows read their neighbours: out of place; the column pass (or a copy)
                 * brings the result back */
                pass_rows(work, tmp, h, w * c, kernel, radius, round_f32);
                in_tmp = 1;
            } else {
                free(line);
                line = malloc((size_t)(w + 2 * radius) * (size_t)c * sizeof *line);
                if (!line) {
                    st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (gaussian filter)");
                    goto done;
                }
                /* each row is copied to the line buffer first, so the output may overwrite */
                pass_cols(in_tmp ? tmp : work, work, h, w, c, kernel, radius, round_f32, line);
                in_tmp = 0;
            }
        }
        free(kernel);
        kernel = NULL;
    }
    if (in_tmp)
        memcpy(work, tmp, count * sizeof *work);
done:
    free(kernel);
    free(tmp);
    free(line);
    return st;
}

static anchor_status check_shape(int64_t h, int64_t w, int64_t c, anchor_error *err)
{
    if (h < 1 || w < 1 || c < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "gaussian filter on an empty %lldx%lldx%lld array",
                                (long long)h, (long long)w, (long long)c);
    return ANCHOR_OK;
}

anchor_status anc_seg_gaussian_zyx_f64(double *img, int64_t h, int64_t w, int64_t c, const double sigma_zyx[3],
                                   int sigma_is_f32, anchor_error *err)
{
    anchor_status st = check_shape(h, w, c, err);
    return st ? st : gaussian_work(img, h, w, c, sigma_zyx, sigma_is_f32, 0, err);
}

anchor_status anc_seg_gaussian_zyx_f32(float *img, int64_t h, int64_t w, int64_t c, const double sigma_zyx[3],
                                   int sigma_is_f32, anchor_error *err)
{
    anchor_status st = check_shape(h, w, c, err);
    if (st)
        return st;
    size_t count = (size_t)h * (size_t)w * (size_t)c;
    double *work = malloc(count * sizeof *work);
    if (!work)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (gaussian filter)");
    for (size_t i = 0; i < count; i++)
        work[i] = img[i];
    st = gaussian_work(work, h, w, c, sigma_zyx, sigma_is_f32, 1, err);
    if (!st)
        for (size_t i = 0; i < count; i++)
            img[i] = (float)work[i];
    free(work);
    return st;
}

anchor_status anc_seg_gaussian_f64(double *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err)
{
    const double s[3] = {0, sigma_y, sigma_x};
    return anc_seg_gaussian_zyx_f64(img, h, w, c, s, 0, err);
}

anchor_status anc_seg_gaussian_f32(float *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err)
{
    const double s[3] = {0, sigma_y, sigma_x};
    return anc_seg_gaussian_zyx_f32(img, h, w, c, s, 0, err);
}
