/* SPDX-License-Identifier: Apache-2.0 */
/* Quick shift superpixels, label for label equal to scikit-image 0.19.3's quickshift.
 *
 * Quick shift (Vedaldi & Soatto, 2008) is mode seeking in the joint (colour, row, col)
 * space. skimage computes it as follows, and so do we:
 *   1. img_as_float (uint8 -> float64 as v * (1/255); float32 stays float32), rgb2lab when
 *      convert2lab, a Gaussian of sigma along rows and columns when sigma > 0, then every
 *      value times ratio (in the image's float type).
 *   2. densities start as numpy.random.default_rng(random_seed).normal(scale=1e-5,
 *      size=(H, W)), cast to the float type: tie-breaking noise (np_pcg64.c).
 *   3. density(p) += exp(-d(p, q) / (2 kernel_size^2)) for every q in the (2w+1)^2 window
 *      around p, w = ceil(3 kernel_size), clipped to the image, in raster order of q, where
 *      d = sum over channels of (p_c - q_c)^2, then + (row difference)^2, then + (column
 *      difference)^2, each step rounded in the float type.
 *   4. parent(p) = the q in the window with density(q) > density(p) at the smallest d (the
 *      first such q in raster order on ties), or p itself; a parent farther than max_dist
 *      (sqrt(d) > max_dist, compared in the float type) is dropped.
 *   5. Every pixel is labelled by the root of its tree, and the roots are numbered in
 *      raster order (np.unique(..., return_inverse=True)).
 *
 * Only the *outcome* of step 4 matters, and it depends on the densities through
 * comparisons only. So (float64 images) we do not reproduce skimage's densities; we
 * bracket them: [lo, hi] from our own vectorised exp and summation order with a rigorous
 * bound on the difference (qs_bracket_f64). Brackets that do not overlap decide a
 * comparison; when they overlap (a handful of pixels per image), skimage's density is
 * recomputed exactly: its terms in its order with glibc's exp, which is what skimage's
 * compiled Cython calls (qs_exact_f64). Distances are computed exactly as skimage does
 * (no fused multiply-adds), so step 4 picks skimage's parent. Two more savings keep the
 * result: each pair's exp term serves both pixels (d(p, q) == d(q, p) exactly: the
 * differences only change sign before being squared), and the parent search goes outward
 * from p and stops once (row offset)^2 alone exceeds the best distance found, since the
 * rounded distance is never below the exact integer (row offset)^2 + (column offset)^2.
 *
 * float32 images: skimage keeps float32 densities and adds each double exp() in double
 * before rounding; the rounding is too coarse to bracket usefully, so we compute those
 * sums exactly as skimage does (each pair's term once, added to both running sums, which
 * still receive their terms in skimage's order: p's window in raster order lists the
 * pixels before p, then p, then those after it), and compare them directly.
 *
 * The hot loops have portable C, AVX2+FMA and AVX-512 versions, picked at run time; all
 * give the same labels (tests/segment/test_quickshift.c runs each against skimage).
 * This file is the driver (preprocessing, both passes in portable C, the labelling); the
 * vector kernels are in quickshift_x86.c, skimage's exact density in quickshift_exact.c,
 * and what they share in quickshift_ctx.h.
 *
 * Parameter checks follow skimage (kernel_size >= 1; random_seed a non-negative C int);
 * ratio must be in [0, 1] as documented. */
#include "anchor/segment.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"
#include "segment/filters.h"
#include "numpy/np_pcg64.h"
#include "segment/quickshift_ctx.h"
#include "segment/quickshift_internal.h"

void anchor_quickshift_params_skimage(anchor_quickshift_params *p)
{
    *p = (anchor_quickshift_params){1.0, 5.0, 10.0, 0.0, true, 42};
}

void anchor_quickshift_params_default(anchor_quickshift_params *p) { anchor_quickshift_params_skimage(p); }

/* Adds exp(dist[j] * inv) to dens[j] and returns their sum. */
static double qs_exp_row(const qs_ctx *x, const double *dist, int64_t len, double *dens)
{
#ifdef QS_HAVE_AVX2
    if (x->use_avx2)
        return anc_qs_exp_row_avx2(dist, x->inv64, len, x->ebuf, dens);
#endif
    double sum = 0.0;
    for (int64_t j = 0; j < len; j++) {
        double v = qs_exp_scalar(dist[j] * x->inv64);
        sum += v;
        dens[j] += v;
    }
    return sum;
}

/* Pass 1 for float64: S[p] = sum of p's exp terms (ours), visiting each pair once. */
static void qs_bracket_f64(qs_ctx *x)
{
    const int64_t h = x->h, w = x->w, kw = x->kw;
    double *S = x->lo; /* S is built in lo[] and turned into the bracket at the end */
    memset(S, 0, (size_t)x->n * sizeof *S);
    for (int64_t r = 0; r < h; r++) {
        int64_t r_max = r + kw + 1 < h ? r + kw + 1 : h;
#ifdef QS_HAVE_AVX2
        if (x->use_avx512 && x->nc == 3) {
            anc_qs_bracket_row_avx512(x, r, S);
            continue;
        }
#endif
        for (int64_t c = 0; c < w; c++) {
            int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;
            int64_t q = r * w + c;
#ifdef QS_HAVE_AVX2
            if (x->use_avx2 && x->nc == 3) {
                S[q] += anc_qs_bracket_pixel_avx2(x, r, c, S);
                continue;
            }
#endif
            double acc = 1.0; /* q's own term */
            for (int64_t r2 = r; r2 < r_max; r2++) {
                int64_t c_from = r2 == r ? c + 1 : c_min, len = c_max - c_from;
                if (len <= 0)
                    continue;
                int64_t base = r2 * w + c_from;
                double dr = (double)(r - r2);
                qs_row_dist_f64(x->p64, x->n, x->nc, q, base, len, dr * dr, x->sq64 + kw + (c_from - c), x->buf64);
                acc += qs_exp_row(x, x->buf64, len, S + base);
            }
            S[q] += acc;
        }
    }
    int64_t win = (2 * kw + 1) * (2 * kw + 1);
    double coef = (2.0 * (double)(win + 2) * 0x1p-53 + 1e-14 + 0x1p-52) * 1.1;
    for (int64_t i = 0; i < x->n; i++) {
        double s = S[i], d = x->noise[i] + s, e = coef * (fabs(x->noise[i]) + 1.01 * s) + 1e-300;
        x->lo[i] = d - e;
        x->hi[i] = d + e;
    }
}

/* ---- float32 densities: skimage's own sums ---------------------------------------------
 * Each pair's term is computed once and added to both running sums, which still receive
 * their terms in skimage's order (see the top of the file). skimage adds the double exp()
 * to the float density in double and rounds once to float. Our exp is not glibc's, but it
 * is within 1.2e-15 relative of it, so the rounded float is the same unless the double sum
 * lies within that much of a point halfway between two floats; qs_f32_add checks, and
 * redoes the few such additions with glibc's exp. */
static inline float qs_f32_add(float acc, double e, float arg)
{
    double t = (double)acc + e;
    double b = 8e-15 * e + 0x1p-50 * fabs(t) + 1e-300; /* twice the possible error */
    float f = (float)t;
    if ((float)(t - b) == f && (float)(t + b) == f)
        return f;
    return (float)((double)acc + exp((double)arg));
}

/* e[j] = our exp of skimage's float argument d[j] * inv, for a row. */
static void qs_f32_terms(const qs_ctx *x, const float *d, int64_t len, double *e)
{
#ifdef QS_HAVE_AVX2
    if (x->use_avx512) {
        anc_qs_f32_terms_avx512(d, x->inv32, len, x->exp2_eighths, e);
        return;
    }
    if (x->use_avx2) {
        anc_qs_f32_terms_avx2(d, x->inv32, len, e);
        return;
    }
#endif
    for (int64_t j = 0; j < len; j++)
        e[j] = qs_exp_scalar((double)(d[j] * x->inv32));
}

static void qs_densities_f32(qs_ctx *x, float *dens)
{
    const int64_t h = x->h, w = x->w, kw = x->kw;
    for (int64_t r = 0; r < h; r++) {
        int64_t r_max = r + kw + 1 < h ? r + kw + 1 : h;
        for (int64_t c = 0; c < w; c++) {
            int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;
            int64_t q = r * w + c;
            float sq = (float)((double)dens[q] + 1.0); /* q's own term, exp(-0) */
            for (int64_t r2 = r; r2 < r_max; r2++) {
                int64_t c_from = r2 == r ? c + 1 : c_min, len = c_max - c_from;
                if (len <= 0)
                    continue;
                int64_t base = r2 * w + c_from;
                float dr = (float)(r - r2);
                qs_row_dist_f32(x->p32, x->n, x->nc, q, base, len, dr * dr, x->sq32 + kw + (c_from - c), x->buf32);
                qs_f32_terms(x, x->buf32, len, x->ebuf);
                float *dp = dens + base;
                for (int64_t j = 0; j < len; j++) {
                    float arg = x->buf32[j] * x->inv32;
                    sq = qs_f32_add(sq, x->ebuf[j], arg);
                    dp[j] = qs_f32_add(dp[j], x->ebuf[j], arg);
                }
            }
            dens[q] = sq;
        }
    }
}

/* ---- parents ------------------------------------------------------------------------------
 * skimage gives p the denser neighbour at the smallest distance, the first in raster order
 * on ties. We search p's window outward from p (rows 0, -1, +1, -2, ...): a pixel can only
 * beat the best distance d* found so far if (row offset)^2 + (column offset)^2 <= d*,
 * because skimage's rounded distance is never below that exact integer (each term added
 * is >= 0 and rounding is monotonic). So the search stops at the first row with
 * dr^2 > d*, and each row covers only the columns that can still win. Among equal
 * distances the smallest raster index wins, as in skimage's scan. The vector versions
 * (anc_qs_parent_search_avx2/avx512) do the same. */

#define QS_DEFINE_SEARCH(SUFFIX, T, BIG, PLANES, SQ, BUF)                                                 \
    static void qs_parent_search_##SUFFIX(qs_ctx *x, int64_t r, int64_t c, T *closest, int64_t *parent)   \
    {                                                                                                     \
        const int64_t h = x->h, w = x->w, kw = x->kw, q = r * w + c;                                      \
        int found = 0;                                                                                    \
        T best_d = BIG;                                                                                   \
        int64_t best_i = q;                                                                               \
        for (int64_t step = 0; step <= 2 * kw; step++) {                                                  \
            int64_t dr = step & 1 ? -((step + 1) / 2) : step / 2, r2 = r + dr;                            \
            if (found && (double)(dr * dr) > (double)best_d)                                              \
                break;                                                                                    \
            if (r2 < 0 || r2 >= h)                                                                        \
                continue;                                                                                 \
            int64_t reach = kw;                                                                           \
            if (found) {                                                                                  \
                int64_t m = qs_isqrt_floor((double)best_d - (double)(dr * dr));                           \
                reach = m < kw ? m : kw;                                                                  \
            }                                                                                             \
            int64_t c_lo = c - reach > 0 ? c - reach : 0, c_hi = c + reach + 1 < w ? c + reach + 1 : w;   \
            int64_t len = c_hi - c_lo, base = r2 * w + c_lo;                                              \
            T drt = (T)dr;                                                                                \
            qs_row_dist_##SUFFIX(x->PLANES, x->n, x->nc, q, base, len, drt *drt, x->SQ + kw + (c_lo - c), \
                                 x->BUF);                                                                 \
            const T *dist = x->BUF;                                                                       \
            for (int64_t j = 0; j < len; j++) {                                                           \
                int64_t p = base + j;                                                                     \
                if (p == q || (found && dist[j] > best_d))                                                \
                    continue;                                                                             \
                if (found && dist[j] == best_d && p > best_i)                                             \
                    continue;                                                                             \
                if (!qs_denser(x, p, q))                                                              \
                    continue;                                                                             \
                found = 1, best_d = dist[j], best_i = p;                                                  \
            }                                                                                             \
        }                                                                                                 \
        closest[q] = best_d;                                                                              \
        parent[q] = best_i;                                                                               \
    }
QS_DEFINE_SEARCH(f64, double, DBL_MAX, p64, sq64, buf64)
QS_DEFINE_SEARCH(f32, float, INFINITY, p32, sq32, buf32)

/* skimage starts the search at DBL_MAX (+inf in float32); a parent farther than max_dist
 * (compared in the image's type) is dropped. */
static void qs_parents_f64(qs_ctx *x, double max_dist, double *closest, int64_t *parent)
{
    for (int64_t r = 0; r < x->h; r++)
        for (int64_t c = 0; c < x->w; c++) {
#ifdef QS_HAVE_AVX2
            if (x->use_avx512 && x->nc == 3) {
                anc_qs_parent_search_avx512(x, r, c, closest, parent);
                continue;
            }
            if (x->use_avx2 && x->nc == 3) {
                anc_qs_parent_search_avx2(x, r, c, closest, parent);
                continue;
            }
#endif
            qs_parent_search_f64(x, r, c, closest, parent);
        }
    for (int64_t i = 0; i < x->n; i++)
        if (sqrt(closest[i]) > max_dist)
            parent[i] = i;
}

static void qs_parents_f32(qs_ctx *x, float max_dist, float *closest, int64_t *parent)
{
    for (int64_t r = 0; r < x->h; r++)
        for (int64_t c = 0; c < x->w; c++)
            qs_parent_search_f32(x, r, c, closest, parent);
    for (int64_t i = 0; i < x->n; i++)
        if ((float)sqrt((double)closest[i]) > max_dist)
            parent[i] = i;
}

/* Roots of the parent forest numbered in raster order. Parents always have a strictly
 * higher density, so following them terminates. */
static anchor_status qs_label_roots(int64_t *parent, int64_t n, int32_t *out, anchor_error *err)
{
    /* number the roots first: label of root = its rank among roots in raster order */
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (parent[i] == i) {
            if (k >= ANCHOR_MAX_SEGMENTS)
                return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                        "quickshift: more than %d segments; raise kernel_size or max_dist",
                                        ANCHOR_MAX_SEGMENTS);
            out[i] = (int32_t)k++;
        }
    for (int64_t i = 0; i < n; i++) {
        int64_t root = i;
        while (parent[root] != root)
            root = parent[root];
        /* compress the path so later pixels stop early */
        for (int64_t j = i; parent[j] != root && j != root;) {
            int64_t next = parent[j];
            parent[j] = root;
            j = next;
        }
        out[i] = out[root];
    }
    return ANCHOR_OK;
}

/* ceil(3 kernel_size) as an integer; windows are clipped to the image, so any radius
 * beyond its size acts like the size (and cannot overflow). */
static int64_t window_radius(double r, int64_t h, int64_t w)
{
    double limit = (double)(h > w ? h : w);
    return (int64_t)(r < limit ? r : limit);
}

static anchor_status qs_check(const anchor_image *image, const anchor_quickshift_params *p, anchor_error *err)
{
    if (image->n != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift takes one image, not a batch of %lld",
                                (long long)image->n);
    if (p->convert2lab && image->c != 3)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: convert2lab needs a 3-channel RGB image, not %lld channels",
                                (long long)image->c);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_U16 && image->dtype != ANCHOR_DTYPE_F32 &&
        image->dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "quickshift: images of dtype %s are not supported",
                                anchor_dtype_name(image->dtype));
    if (!(p->ratio >= 0.0 && p->ratio <= 1.0))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: ratio=%g must be in [0, 1]", p->ratio);
    if (!(p->kernel_size >= 1.0) || !isfinite(p->kernel_size))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: kernel_size=%g must be a finite number >= 1 (as skimage requires)",
                                p->kernel_size);
    if (!(p->max_dist > 0.0) || isnan(p->max_dist))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: max_dist=%g must be > 0", p->max_dist);
    if (!(p->sigma >= 0.0) || !isfinite(p->sigma))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: sigma=%g must be finite and >= 0",
                                p->sigma);
    if (p->random_seed < 0 || p->random_seed > 2147483647)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: random_seed=%lld must be in [0, 2147483647] (skimage takes a C int)",
                                (long long)p->random_seed);
    return ANCHOR_OK;
}

anchor_status anchor_quickshift(const anchor_image *image, const anchor_quickshift_params *p, anchor_image **labels,
                                anchor_error *err)
{
    return anc_seg_quickshift_with(image, p, SEG_QS_AVX512, labels, err);
}

anchor_status anc_seg_quickshift_with(const anchor_image *image, const anchor_quickshift_params *p, int max_kernels,
                                  anchor_image **labels, anchor_error *err)
{
    *labels = NULL;
    anchor_status st = qs_check(image, p, err);
    if (st)
        return st;
    int64_t h = image->h, w = image->w, nc = image->c, n = h * w;
    size_t count = (size_t)n * (size_t)nc;
    int is_f32 = image->dtype == ANCHOR_DTYPE_F32;
    size_t es = is_f32 ? sizeof(float) : sizeof(double);
    qs_ctx x = {.h = h, .w = w, .n = n, .nc = nc};
    if (is_f32) {
        float ks = (float)p->kernel_size; /* the fused Cython function takes float32 arguments */
        x.inv32 = (float)(-0.5 / (double)(ks * ks));
        x.kw = window_radius(ceil((double)(3.0f * ks)), h, w);
    } else {
        x.inv64 = -0.5 / (p->kernel_size * p->kernel_size);
        x.kw = window_radius(ceil(3.0 * p->kernel_size), h, w);
    }
    /* the AVX2 kernels read and write whole vectors past a row's end: QS_PAD spare
     * elements at the end of every array they touch keep that inside the allocation */
    size_t row = (size_t)(2 * x.kw + 1) + QS_PAD, np = (size_t)n + QS_PAD;
    void *img = malloc(count * es), *planes = calloc(count + QS_PAD, es), *sq = calloc(row, es);
    void *buf = calloc(row, es), *closest = calloc(np, es);
    double *noise = malloc((size_t)n * sizeof *noise), *lo = calloc(np, sizeof *lo);
    double *hi = calloc(np, sizeof *hi), *ebuf = calloc(row, sizeof *ebuf);
    double *buf_exact = malloc(row * sizeof *buf_exact);
    double *exact = is_f32 ? NULL : malloc((size_t)n * sizeof *exact);
    uint8_t *have_exact = is_f32 ? NULL : calloc((size_t)n, 1);
    float *dens32 = is_f32 ? malloc((size_t)n * sizeof *dens32) : NULL;
    int64_t *parent = calloc(np, sizeof *parent);
    if (!img || !planes || !sq || !buf || !closest || !noise || !lo || !hi || !ebuf || !buf_exact || !parent ||
        (is_f32 ? !dens32 : (!exact || !have_exact))) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "quickshift: out of memory for a %lldx%lld image",
                              (long long)h, (long long)w);
        goto done;
    }

    /* 1. img_as_float, rgb2lab, Gaussian, * ratio, then channel planes */
    if (is_f32) {
        float *f = img;
        memcpy(f, image->data, count * sizeof *f);
        if (p->convert2lab)
            anc_seg_rgb2lab_f32(f, (size_t)n);
        if ((st = anc_seg_gaussian_f32(f, h, w, nc, p->sigma, p->sigma, err)))
            goto done;
        float ratio = (float)p->ratio; /* numpy casts the Python float to the array's type */
        float *pl = planes, *sqt = sq;
        for (int64_t i = 0; i < n; i++)
            for (int64_t ch = 0; ch < nc; ch++)
                pl[ch * n + i] = f[i * nc + ch] * ratio;
        for (int64_t k = -x.kw; k <= x.kw; k++)
            sqt[x.kw + k] = (float)k * (float)k;
        x.p32 = pl, x.sq32 = sqt, x.buf32 = buf;
    } else {
        double *d = img, *pl = planes, *sqt = sq;
        if (image->dtype == ANCHOR_DTYPE_U8 && p->convert2lab && nc == 3 && p->sigma == 0.0) {
            /* the common case: straight from bytes to Lab planes, each colour converted once */
            double value[256];
            for (int v = 0; v < 256; v++)
                value[v] = (double)v * (1.0 / 255.0);
            double *const lab[3] = {pl, pl + n, pl + 2 * n};
            anc_seg_rgb2lab_u8_f64(image->data, (size_t)n, value, lab);
            for (size_t i = 0; i < count; i++)
                pl[i] *= p->ratio;
        } else {
            if (image->dtype == ANCHOR_DTYPE_U8) {
                const uint8_t *s = image->data;
                for (size_t i = 0; i < count; i++)
                    d[i] = (double)s[i] * (1.0 / 255.0);
            } else if (image->dtype == ANCHOR_DTYPE_U16) {
                const uint16_t *s = image->data;
                for (size_t i = 0; i < count; i++)
                    d[i] = (double)s[i] * (1.0 / 65535.0);
            } else {
                memcpy(d, image->data, count * sizeof *d);
            }
            if (p->convert2lab)
                anc_seg_rgb2lab_f64(d, (size_t)n);
            if ((st = anc_seg_gaussian_f64(d, h, w, nc, p->sigma, p->sigma, err)))
                goto done;
            for (int64_t i = 0; i < n; i++)
                for (int64_t ch = 0; ch < nc; ch++)
                    pl[ch * n + i] = d[i * nc + ch] * p->ratio;
        }
        for (int64_t k = -x.kw; k <= x.kw; k++)
            sqt[x.kw + k] = (double)k * (double)k;
        x.p64 = pl, x.sq64 = sqt, x.buf64 = buf;
    }
    x.ebuf = ebuf, x.buf_exact = buf_exact, x.noise = noise, x.lo = lo, x.hi = hi, x.exact = exact, x.have_exact = have_exact;
    int level = max_kernels & ~SEG_QS_EXACT;
    (void)level; /* only the x86-64 build has a choice */
#ifdef QS_HAVE_AVX2
    x.use_avx2 = level >= SEG_QS_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    x.use_avx512 = level >= SEG_QS_AVX512 && __builtin_cpu_supports("avx512f");
    for (int i = 0; i < 8; i++)
        x.exp2_eighths[i] = exp2(i / 8.0);
#endif

    /* 2. the tie-breaking noise, drawn in raster order */
    np_pcg64 rng;
    anc_np_pcg64_seed(&rng, (uint64_t)p->random_seed);
    for (int64_t i = 0; i < n; i++)
        noise[i] = 0.0 + 1e-05 * anc_np_pcg64_standard_normal(&rng);

    /* 3 and 4, in the precision skimage's fused Cython picks for the image */
    if (is_f32) {
        for (int64_t i = 0; i < n; i++)
            dens32[i] = (float)noise[i];
        qs_densities_f32(&x, dens32);
        for (int64_t i = 0; i < n; i++)
            lo[i] = hi[i] = (double)dens32[i];
        qs_parents_f32(&x, (float)p->max_dist, closest, parent);
    } else {
        qs_bracket_f64(&x);
        if (max_kernels & SEG_QS_EXACT) /* test mode: decide every comparison exactly */
            for (int64_t i = 0; i < n; i++)
                lo[i] = -INFINITY, hi[i] = INFINITY;
        qs_parents_f64(&x, p->max_dist, closest, parent);
    }

    /* 5. roots numbered in raster order */
    if ((st = anchor_image_create(1, h, w, 1, ANCHOR_DTYPE_I32, labels, err)))
        goto done;
    if ((st = qs_label_roots(parent, n, (*labels)->data, err))) {
        anchor_image_destroy(*labels);
        *labels = NULL;
    }
done:
    free(img);
    free(planes);
    free(sq);
    free(buf);
    free(closest);
    free(noise);
    free(lo);
    free(hi);
    free(ebuf);
    free(buf_exact);
    free(exact);
    free(have_exact);
    free(dens32);
    free(parent);
    return st;
}
