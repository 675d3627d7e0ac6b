/* SPDX-License-Identifier: Apache-2.0 */
/* Resizing with the same pixels as Pillow 9.4's Image.resize on modes "L" and "RGB".
 *
 * Convolution filters (bilinear, bicubic, lanczos). The resize is separable and done in
 * two passes, horizontal first, as Pillow does: the horizontal pass only computes the
 * source rows that the vertical pass will read, and its result is rounded to uint8
 * before the vertical pass (so the pass order matters and is kept). A pass is skipped
 * when its size does not change. For each output sample x of a pass from `in` to `out`
 * samples:
 *     scale  = in / out,  filterscale = max(scale, 1)       (the kernel is widened by the
 *     support = kernel_support * filterscale                  downscale factor, so a
 *     center = (x + 0.5) * scale                              shrink averages everything)
 *     taps   = source samples i in [(int)(center - support + 0.5), (int)(center + support
 *              + 0.5)) clipped to the image, weight K((i - center + 0.5) / filterscale),
 *              normalised to sum 1.
 * The weights are then turned into 22-bit fixed point (rounded half away from zero), a
 * sample is sum(pixel * weight) + 2^21 in a 32-bit integer, shifted right by 22 and
 * clipped to 0..255. These are exactly the double-precision expressions, in the same
 * order, that Pillow evaluates, so that the weights round to the same integers.
 * Kernels: bilinear triangle (support 1), bicubic Keys a = -0.5 (support 2), Lanczos-3
 * sinc(x) sinc(x/3) (support 3).
 *
 * Nearest. Pillow does not convolve: it maps output pixel x to source COORD(xo) with
 * xo starting at scale/2 and advanced by += scale in double precision (an accumulated
 * sum, not (x + 0.5) * scale, so rounding drift is reproduced), COORD truncating towards
 * zero; rows likewise.
 *
 * Same size in and out: a copy, as Image.resize returns self.copy(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "anchor/resize.h"
#include "image/image_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define FIXED_BITS 22 /* 32 - 8 (pixel) - 2 (headroom for negative lobes and sums > 1) */

static const char *const filter_names[] = {"nearest", "bilinear", "bicubic", "lanczos"};

anchor_status anchor_resize_filter_parse(const char *name, anchor_resize_filter *out, anchor_error *err)
{
    for (int i = 0; name && i < 4; i++) {
        if (strcasecmp(name, filter_names[i]) == 0) {
            *out = (anchor_resize_filter)i;
            return ANCHOR_OK;
        }
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                            "unknown resize filter '%s' (use nearest, bilinear, bicubic or lanczos)",
                            name ? name : "(null)");
}

const char *anchor_resize_filter_name(anchor_resize_filter f)
{
    return (unsigned)f < 4 ? filter_names[f] : "unknown";
}

static double bilinear_kernel(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double bicubic_kernel(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    x = x * M_PI;
    return sin(x) / x;
}

static double lanczos_kernel(double x)
{
    if (-3.0 <= x && x < 3.0)
        return sinc(x) * sinc(x / 3);
    return 0.0;
}

typedef struct kernel {
    double (*weight)(double x);
    double support;
} kernel;

/* Taps of one pass: for output sample i, `count[i]` weights starting at source `first[i]`,
 * stored at weights[i * stride]. */
typedef struct taps {
    int *first, *count;
    int32_t *weights;
    int stride;
} taps;

static void taps_free(taps *t)
{
    free(t->first);
    free(t->count);
    free(t->weights);
    memset(t, 0, sizeof *t);
}

static anchor_status taps_build(taps *t, int in_size, int out_size, const kernel *k, anchor_error *err)
{
    memset(t, 0, sizeof *t);
    /* Pillow passes the box as floats; (float)in_size - 0.0f is exact for our sizes */
    double scale = (double)((float)in_size - 0.0f) / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = k->support * filterscale;
    int stride = (int)ceil(support) * 2 + 1;
    double *w = malloc(sizeof(double) * (size_t)stride);
    t->first = malloc(sizeof(int) * (size_t)out_size);
    t->count = malloc(sizeof(int) * (size_t)out_size);
    t->weights = malloc(sizeof(int32_t) * (size_t)out_size * (size_t)stride);
    t->stride = stride;
    if (!w || !t->first || !t->count || !t->weights) {
        free(w);
        taps_free(t);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "resize: out of memory for %d x %d filter taps",
                                out_size, stride);
    }
    for (int xx = 0; xx < out_size; xx++) {
        double center = 0.0 + (xx + 0.5) * scale;
        double ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        double total = 0.0;
        for (int x = 0; x < xmax; x++) {
            w[x] = k->weight((x + xmin - center + 0.5) * ss);
            total += w[x];
        }
        int32_t *fixed = t->weights + (size_t)xx * (size_t)stride;
        for (int x = 0; x < xmax; x++) {
            double v = total != 0.0 ? w[x] / total : w[x];
            fixed[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << FIXED_BITS)) : (int32_t)(0.5 + v * (1 << FIXED_BITS));
        }
        for (int x = xmax < 0 ? 0 : xmax; x < stride; x++)
            fixed[x] = 0;
        t->first[xx] = xmin;
        t->count[xx] = xmax < 0 ? 0 : xmax;
    }
    free(w);
    return ANCHOR_OK;
}

static inline uint8_t clip_fixed(int32_t v)
{
    if (v < 0)
        return 0;
    v >>= FIXED_BITS;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* Horizontal pass over source rows [row0, row0 + rows) into dst (rows x out_w x c).
 * Integer sums are exact, so the loop order is free; channels are summed together. */
static void pass_horizontal(const uint8_t *src, int64_t src_w, int row0, int rows, int c, const taps *t,
                            int out_w, uint8_t *dst)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *line = src + (size_t)(row0 + y) * (size_t)src_w * (size_t)c;
        uint8_t *o = dst + (size_t)y * (size_t)out_w * (size_t)c;
        for (int xx = 0; xx < out_w; xx++) {
            const int32_t *k = t->weights + (size_t)xx * (size_t)t->stride;
            const uint8_t *p = line + (size_t)t->first[xx] * (size_t)c;
            int n = t->count[xx];
            if (c == 3) {
                int32_t a0 = 1 << (FIXED_BITS - 1), a1 = a0, a2 = a0;
                for (int x = 0; x < n; x++, p += 3) {
                    a0 += (int32_t)p[0] * k[x];
                    a1 += (int32_t)p[1] * k[x];
                    a2 += (int32_t)p[2] * k[x];
                }
                o[(size_t)xx * 3] = clip_fixed(a0);
                o[(size_t)xx * 3 + 1] = clip_fixed(a1);
                o[(size_t)xx * 3 + 2] = clip_fixed(a2);
            } else {
                int32_t a0 = 1 << (FIXED_BITS - 1);
                for (int x = 0; x < n; x++)
                    a0 += (int32_t)p[x] * k[x];
                o[xx] = clip_fixed(a0);
            }
        }
    }
}

/* Vertical pass: output row yy reads rows first[yy] - row_offset ... of src (w x c),
 * accumulated a whole row at a time (contiguous, vectorisable) into `acc`. */
static void pass_vertical(const uint8_t *src, int w, int c, const taps *t, int row_offset, int out_h, uint8_t *dst,
                          int32_t *acc)
{
    size_t row_len = (size_t)w * (size_t)c;
    for (int yy = 0; yy < out_h; yy++) {
        const int32_t *k = t->weights + (size_t)yy * (size_t)t->stride;
        const uint8_t *base = src + (size_t)(t->first[yy] - row_offset) * row_len;
        int n = t->count[yy];
        for (size_t i = 0; i < row_len; i++)
            acc[i] = 1 << (FIXED_BITS - 1);
        for (int y = 0; y < n; y++) {
            const uint8_t *row = base + (size_t)y * row_len;
            int32_t ky = k[y];
            for (size_t i = 0; i < row_len; i++)
                acc[i] += (int32_t)row[i] * ky;
        }
        uint8_t *o = dst + (size_t)yy * row_len;
        for (size_t i = 0; i < row_len; i++)
            o[i] = clip_fixed(acc[i]);
    }
}

static anchor_status resize_convolve(const anchor_image *src, int out_w, int out_h, const kernel *k,
                                     anchor_image *out, anchor_error *err)
{
    int in_w = (int)src->w, in_h = (int)src->h, c = (int)src->c;
    int need_h = out_w != in_w, need_v = out_h != in_h;
    taps tv = {0}, th = {0};
    anchor_status st = taps_build(&tv, in_h, out_h, k, err);
    if (st)
        return st;
    const uint8_t *rows_src = src->data;
    uint8_t *temp = NULL;
    int row_offset = 0;
    if (need_h) {
        /* only the source rows the vertical pass will read */
        int first = tv.first[0];
        int last = tv.first[out_h - 1] + tv.count[out_h - 1];
        st = taps_build(&th, in_w, out_w, k, err);
        if (st) {
            taps_free(&tv);
            return st;
        }
        uint8_t *dst = need_v ? NULL : out->data;
        if (need_v) {
            temp = malloc((size_t)(last - first) * (size_t)out_w * (size_t)c + 1);
            if (!temp) {
                taps_free(&th);
                taps_free(&tv);
                return anchor_error_set(err, ANCHOR_ERR_NOMEM, "resize: out of memory for the intermediate image");
            }
            dst = temp;
        } else {
            first = 0;
            last = in_h;
        }
        pass_horizontal(src->data, in_w, first, last - first, c, &th, out_w, dst);
        taps_free(&th);
        rows_src = temp;
        row_offset = first;
    }
    if (need_v) {
        int32_t *acc = malloc(sizeof(int32_t) * (size_t)out_w * (size_t)c);
        if (!acc) {
            free(temp);
            taps_free(&tv);
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "resize: out of memory for a row");
        }
        pass_vertical(rows_src, out_w, c, &tv, row_offset, out_h, out->data, acc);
        free(acc);
    }
    free(temp);
    taps_free(&tv);
    return ANCHOR_OK;
}

static inline int coord(double v)
{
    return v < 0.0 ? -1 : (int)v;
}

static anchor_status resize_nearest(const anchor_image *src, int out_w, int out_h, anchor_image *out,
                                    anchor_error *err)
{
    int in_w = (int)src->w, in_h = (int)src->h, c = (int)src->c;
    double ax = (double)((float)in_w - 0.0f) / out_w;
    double ay = (double)((float)in_h - 0.0f) / out_h;
    int *column = malloc(sizeof(int) * (size_t)out_w);
    if (!column)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "resize: out of memory");
    double xo = 0.0 + ax * 0.5;
    for (int x = 0; x < out_w; x++) {
        int xi = coord(xo);
        column[x] = xi >= 0 && xi < in_w ? xi : -1; /* -1: outside, left black */
        xo += ax;
    }
    const uint8_t *s = src->data;
    uint8_t *d = out->data;
    double yo = 0.0 + ay * 0.5;
    for (int y = 0; y < out_h; y++, yo += ay) {
        int yi = coord(yo);
        uint8_t *o = d + (size_t)y * (size_t)out_w * (size_t)c;
        if (yi < 0 || yi >= in_h)
            continue; /* the output is zero-filled already */
        const uint8_t *line = s + (size_t)yi * (size_t)in_w * (size_t)c;
        for (int x = 0; x < out_w; x++)
            if (column[x] >= 0)
                memcpy(o + (size_t)x * (size_t)c, line + (size_t)column[x] * (size_t)c, (size_t)c);
    }
    free(column);
    return ANCHOR_OK;
}

anchor_status anchor_resize(const anchor_image *src, int64_t height, int64_t width, anchor_resize_filter filter,
                            anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (!src)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "resize: no image");
    if ((unsigned)filter > ANCHOR_RESIZE_LANCZOS)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "resize: unknown filter %d", (int)filter);
    /* Pillow hands back a copy when the size is already right, whatever the mode; front
     * ends rely on that to pass .npy arrays of the right size through untouched */
    if (width == src->w && height == src->h)
        return anchor_image_clone(src, out, err);
    if (src->n != 1 || src->dtype != ANCHOR_DTYPE_U8 || (src->c != 1 && src->c != 3))
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                "resize: only one uint8 gray or RGB image is resized, not %lld x %lldx%lldx%lld %s "
                                "(N x HxWxC)",
                                (long long)src->n, (long long)src->h, (long long)src->w, (long long)src->c,
                                anchor_dtype_name(src->dtype));
    if (width < 1 || height < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "resize: target size %lldx%lld must be at least 1x1",
                                (long long)width, (long long)height);
    if (width > ANCHOR_MAX_DIM || height > ANCHOR_MAX_DIM || width * height > ANCHOR_MAX_PIXELS)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                "resize: target size %lldx%lld is beyond the limit (%d per side, %lld pixels)",
                                (long long)width, (long long)height, ANCHOR_MAX_DIM, ANCHOR_MAX_PIXELS);
    anchor_status st = anchor_image_create(1, height, width, src->c, ANCHOR_DTYPE_U8, out, err);
    if (st)
        return st;
    static const kernel kernels[] = {
        {NULL, 0.0}, {bilinear_kernel, 1.0}, {bicubic_kernel, 2.0}, {lanczos_kernel, 3.0}};
    if (filter == ANCHOR_RESIZE_NEAREST)
        st = resize_nearest(src, (int)width, (int)height, *out, err);
    else
        st = resize_convolve(src, (int)width, (int)height, &kernels[filter], *out, err);
    if (st) {
        anchor_image_destroy(*out);
        *out = NULL;
    }
    return st;
}
