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
#include "segment/quickshift_internal.h"

void anchor_quickshift_params_skimage(anchor_quickshift_params *p)
{
    *p = (anchor_quickshift_params){1.0, 5.0, 10.0, 0.0, true, 42};
}

void anchor_quickshift_params_default(anchor_quickshift_params *p) { anchor_quickshift_params_skimage(p); }

/* ---- distances ---------------------------------------------------------------------------
 * The image is kept as channel planes so that a run of neighbours on one row is contiguous.
 * qs_row_dist_* computes skimage's d(q, p) for p = base .. base + len - 1 with skimage's
 * operation order: ((0 + t0^2) + t1^2 + ...) + dr^2 + dc^2 (no fused multiply-add: the
 * build is ISO C, where GCC does not contract). dc2[j] is (column(p) - column(q))^2. */
#define QS_DEFINE_ROW_DIST(SUFFIX, T)                                                                         \
    static void qs_row_dist_##SUFFIX(const T *planes, int64_t n, int64_t nc, int64_t q, int64_t base,         \
                                     int64_t len, T dr2, const T *dc2, T *out)                                \
    {                                                                                                         \
        for (int64_t j = 0; j < len; j++)                                                                     \
            out[j] = 0;                                                                                       \
        for (int64_t ch = 0; ch < nc; ch++) {                                                                 \
            const T qv = planes[ch * n + q], *row = planes + ch * n + base;                                   \
            for (int64_t j = 0; j < len; j++) {                                                               \
                T t = qv - row[j];                                                                            \
                out[j] += t * t;                                                                              \
            }                                                                                                 \
        }                                                                                                     \
        for (int64_t j = 0; j < len; j++)                                                                     \
            out[j] += dr2;                                                                                    \
        for (int64_t j = 0; j < len; j++)                                                                     \
            out[j] += dc2[j];                                                                                 \
    }
QS_DEFINE_ROW_DIST(f64, double)
QS_DEFINE_ROW_DIST(f32, float)

/* Spare elements after each array for the vector kernels' whole-vector tails. */
#define QS_PAD 8

/* What the density and parent passes share. */
typedef struct qs_ctx {
    int64_t h, w, n, nc, kw;
    const double *p64; /* channel planes (float64 images) */
    const float *p32;  /* channel planes (float32 images) */
    double inv64;      /* -0.5 / kernel_size^2 in the image's type */
    float inv32;
    double *sq64; /* sq[kw + k] = k^2 for |k| <= kw */
    float *sq32;
    double *buf64, *ebuf; /* one window row of distances, of exp terms */
    double *buf_exact;    /* the same for qs_exact_f64, which runs inside loops over buf64 */
    float *buf32;
    /* float64: skimage's densities are bracketed by [lo, hi]; exact[] holds skimage's
     * value for the few pixels whose comparisons the brackets cannot decide */
    const double *noise;
    double *lo, *hi, *exact;
    uint8_t *have_exact;
    int use_avx2;   /* AVX2 + FMA kernels (3-channel float64) */
    int use_avx512; /* AVX-512F kernels (the same, eight lanes) */
    double exp2_eighths[8]; /* 2^(i/8), for the eight-lane exp */
} qs_ctx;

/* ---- float64 densities: a fast bracket, and the exact value on demand -------------------
 * skimage's density is a sum of up to (2w+1)^2 glibc exp() values in a fixed order. We sum
 * our own exp (range reduction and a Taylor polynomial, vectorised; below) in our order,
 * and bound the difference: glibc's exp is within 1 ulp (2^-52 relative), ours within
 * 1e-14 relative (measured against expl on 1.6e8 arguments: < 7.1e-16 for each of the
 * portable, AVX2 and AVX-512 versions), and either recursive sum of N terms is within
 * gamma_N = N u sum|terms| of the exact sum. So
 *     |ours - skimage| <= E = (2 (N + 2) u + 1e-14 + 2^-52) (|noise| + 1.01 S) + 1e-300
 * with S the sum of the exp terms, and any comparison of two densities whose brackets do
 * not overlap is decided. For the rest (none in our fixtures: the brackets are about 1e-13
 * relative wide, the noise 1e-5) skimage's sum is recomputed exactly (qs_exact_f64). */

/* exp(x) for x <= 0 to ~1e-16 relative: x = k ln2 + r, |r| <= ln2/2, Cody-Waite split of
 * ln 2, Taylor polynomial to degree 12, times 2^k built from the exponent bits. Results
 * below e^-708 are returned as 0 (an absolute error under 1e-307). */
#define QS_LOG2E 0x1.71547652b82fep0
#define QS_LN2_HI 0x1.62e42fee00000p-1
#define QS_LN2_LO 0x1.a39ef35793c76p-33
#define QS_SHIFT 0x1.8p52
#define QS_EXP_MIN (-708.0)

/* 1 / i!, the Taylor coefficients of exp */
static const double qs_exp_coef[13] = {1.0,           1.0,           0.5,            1.0 / 6.0,       1.0 / 24.0,
                                       1.0 / 120.0,   1.0 / 720.0,   1.0 / 5040.0,   1.0 / 40320.0,   1.0 / 362880.0,
                                       1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0};

static double qs_exp_poly(double r)
{
    double p = 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    return p * r + 1.0;
}

static double qs_exp_scalar(double x)
{
    if (!(x >= QS_EXP_MIN))
        return 0.0;
    double kd = x * QS_LOG2E + QS_SHIFT;
    uint64_t kbits, shift_bits;
    double shift = QS_SHIFT;
    memcpy(&kbits, &kd, sizeof kbits);
    memcpy(&shift_bits, &shift, sizeof shift_bits);
    kd -= QS_SHIFT;
    double r = (x - kd * QS_LN2_HI) - kd * QS_LN2_LO;
    int64_t k = (int64_t)(kbits - shift_bits);
    uint64_t sbits = (uint64_t)(k + 1023) << 52;
    double scale;
    memcpy(&scale, &sbits, sizeof scale);
    return qs_exp_poly(r) * scale;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define QS_HAVE_AVX2 1
/* Four at a time; the same steps as qs_exp_scalar. Returns the sum of the terms too. */
__attribute__((target("avx2"))) static double qs_exp_row_avx2(const double *dist, double inv, int64_t len,
                                                                double *e, double *dens)
{
    const __m256d vinv = _mm256_set1_pd(inv), log2e = _mm256_set1_pd(QS_LOG2E), shift = _mm256_set1_pd(QS_SHIFT);
    const __m256d hi = _mm256_set1_pd(QS_LN2_HI), lo = _mm256_set1_pd(QS_LN2_LO), xmin = _mm256_set1_pd(QS_EXP_MIN);
    const __m256i bias = _mm256_set1_epi64x(1023 - (int64_t)0x4338000000000000LL);
    static const double c[13] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                                 1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,
                                 1.0 / 24.0,        1.0 / 6.0,        0.5,             1.0,
                                 1.0};
    __m256d acc = _mm256_setzero_pd();
    int64_t j = 0;
    for (; j + 4 <= len; j += 4) {
        __m256d x = _mm256_mul_pd(_mm256_loadu_pd(dist + j), vinv);
        __m256d keep = _mm256_cmp_pd(x, xmin, _CMP_GE_OQ);
        x = _mm256_max_pd(x, xmin);
        __m256d kd = _mm256_add_pd(_mm256_mul_pd(x, log2e), shift);
        __m256i kbits = _mm256_castpd_si256(kd);
        kd = _mm256_sub_pd(kd, shift);
        __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kd, hi)), _mm256_mul_pd(kd, lo));
        __m256d p = _mm256_set1_pd(c[0]);
        for (int i = 1; i < 13; i++)
            p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(c[i]));
        __m256i sbits = _mm256_slli_epi64(_mm256_add_epi64(kbits, bias), 52);
        __m256d v = _mm256_and_pd(_mm256_mul_pd(p, _mm256_castsi256_pd(sbits)), keep);
        _mm256_storeu_pd(e + j, v);
        acc = _mm256_add_pd(acc, v);
        _mm256_storeu_pd(dens + j, _mm256_add_pd(_mm256_loadu_pd(dens + j), v));
    }
    double parts[4];
    _mm256_storeu_pd(parts, acc);
    double sum = (parts[0] + parts[1]) + (parts[2] + parts[3]);
    for (; j < len; j++) {
        double v = qs_exp_scalar(dist[j] * inv);
        e[j] = v;
        sum += v;
        dens[j] += v;
    }
    return sum;
}
#endif

/* Adds exp(dist[j] * inv) to dens[j] and returns their sum. */
static double qs_exp_row(const qs_ctx *x, const double *dist, int64_t len, double *dens)
{
#ifdef QS_HAVE_AVX2
    if (x->use_avx2)
        return qs_exp_row_avx2(dist, x->inv64, len, x->ebuf, dens);
#endif
    double sum = 0.0;
    for (int64_t j = 0; j < len; j++) {
        double v = qs_exp_scalar(dist[j] * x->inv64);
        sum += v;
        dens[j] += v;
    }
    return sum;
}

#if defined(__x86_64__) && defined(__GNUC__)
static double qs_bracket_pixel_avx2(const qs_ctx *x, int64_t r, int64_t c, double *S);
static void qs_parent_search_avx2(qs_ctx *x, int64_t r, int64_t c, double *closest, int64_t *parent);
static void qs_bracket_row_avx512(const qs_ctx *x, int64_t r, double *S);
static void qs_parent_search_avx512(qs_ctx *x, int64_t r, int64_t c, double *closest, int64_t *parent);
#endif

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
            qs_bracket_row_avx512(x, r, S);
            continue;
        }
#endif
        for (int64_t c = 0; c < w; c++) {
            int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;
            int64_t q = r * w + c;
#ifdef QS_HAVE_AVX2
            if (x->use_avx2 && x->nc == 3) {
                S[q] += qs_bracket_pixel_avx2(x, r, c, S);
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

/* skimage's density of p, term by term in its order, with glibc's exp. */
static double qs_exact_f64(qs_ctx *x, int64_t p)
{
    if (x->have_exact[p])
        return x->exact[p];
    const int64_t w = x->w, kw = x->kw, r = p / w, c = p % w;
    int64_t r_min = r - kw > 0 ? r - kw : 0, r_max = r + kw + 1 < x->h ? r + kw + 1 : x->h;
    int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;
    double dens = x->noise[p];
    for (int64_t r2 = r_min; r2 < r_max; r2++) {
        int64_t len = c_max - c_min, base = r2 * w + c_min;
        double dr = (double)(r - r2);
        qs_row_dist_f64(x->p64, x->n, x->nc, p, base, len, dr * dr, x->sq64 + kw + (c_min - c), x->buf_exact);
        for (int64_t j = 0; j < len; j++)
            dens += exp(x->buf_exact[j] * x->inv64);
    }
    x->exact[p] = dens;
    x->have_exact[p] = 1;
    return dens;
}

/* Is density(a) > density(b) in skimage's arithmetic? (float32: lo == hi == the value) */
static int qs_denser(qs_ctx *x, int64_t a, int64_t b)
{
    if (x->lo[a] > x->hi[b])
        return 1;
    if (x->hi[a] <= x->lo[b])
        return 0;
    return qs_exact_f64(x, a) > qs_exact_f64(x, b);
}

/* The largest m with m^2 <= room (room >= 0). The parent searches (scalar and vector) use
 * it for how many columns a window row dr still reaches: room = best distance - dr^2. */
static inline int64_t qs_isqrt_floor(double room)
{
    int64_t m = (int64_t)sqrt(room);
    while (m > 0 && (double)(m * m) > room)
        m--;
    while ((double)((m + 1) * (m + 1)) <= room)
        m++;
    return m;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* ---- AVX2 kernels for 3-channel float64 images (the common case) --------------------------
 * The same arithmetic as qs_row_dist_f64 + qs_exp_scalar, four pixels at a time, with the
 * row's tail done by masked loads and stores instead of a scalar loop. */

__attribute__((target("avx2"))) static inline __m256i qs_tail_mask(int64_t left)
{
    const __m256i lanes = _mm256_set_epi64x(3, 2, 1, 0);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(left), lanes);
}

/* d(q, p) for four p; planes at the first of them. */
__attribute__((target("avx2"))) static inline __m256d qs_dist4(const double *l, const double *a, const double *b,
                                                               __m256d ql, __m256d qa, __m256d qb, __m256d dr2,
                                                               const double *dc2)
{
    __m256d t = _mm256_sub_pd(ql, _mm256_loadu_pd(l));
    __m256d d = _mm256_mul_pd(t, t); /* 0 + t^2 is t^2 exactly */
    t = _mm256_sub_pd(qa, _mm256_loadu_pd(a));
    d = _mm256_add_pd(d, _mm256_mul_pd(t, t));
    t = _mm256_sub_pd(qb, _mm256_loadu_pd(b));
    d = _mm256_add_pd(d, _mm256_mul_pd(t, t));
    d = _mm256_add_pd(d, dr2);
    return _mm256_add_pd(d, _mm256_loadu_pd(dc2));
}

/* qs_exp_scalar's steps with fused multiply-adds and the polynomial by Estrin's scheme
 * (a short dependency chain: the loop is latency-bound otherwise). Accuracy as above. */
__attribute__((target("avx2,fma"))) static inline __m256d qs_exp4(__m256d x)
{
    const __m256d xmin = _mm256_set1_pd(QS_EXP_MIN), shift = _mm256_set1_pd(QS_SHIFT);
    __m256d keep = _mm256_cmp_pd(x, xmin, _CMP_GE_OQ);
    x = _mm256_max_pd(x, xmin);
    __m256d kd = _mm256_fmadd_pd(x, _mm256_set1_pd(QS_LOG2E), shift);
    __m256i kbits = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fnmadd_pd(kd, _mm256_set1_pd(QS_LN2_HI), x);
    r = _mm256_fnmadd_pd(kd, _mm256_set1_pd(QS_LN2_LO), r);
    __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2), r8 = _mm256_mul_pd(r4, r4);
#define QS_C(i) _mm256_set1_pd(qs_exp_coef[i])
    __m256d a0 = _mm256_fmadd_pd(QS_C(1), r, QS_C(0)), a1 = _mm256_fmadd_pd(QS_C(3), r, QS_C(2));
    __m256d a2 = _mm256_fmadd_pd(QS_C(5), r, QS_C(4)), a3 = _mm256_fmadd_pd(QS_C(7), r, QS_C(6));
    __m256d a4 = _mm256_fmadd_pd(QS_C(9), r, QS_C(8)), a5 = _mm256_fmadd_pd(QS_C(11), r, QS_C(10));
    __m256d b0 = _mm256_fmadd_pd(a1, r2, a0), b1 = _mm256_fmadd_pd(a3, r2, a2);
    __m256d b2 = _mm256_fmadd_pd(a5, r2, a4);
    __m256d d0 = _mm256_fmadd_pd(b1, r4, b0), d1 = _mm256_fmadd_pd(QS_C(12), r4, b2);
    __m256d p = _mm256_fmadd_pd(d1, r8, d0);
#undef QS_C
    const __m256i bias = _mm256_set1_epi64x(1023 - (int64_t)0x4338000000000000LL);
    __m256i sbits = _mm256_slli_epi64(_mm256_add_epi64(kbits, bias), 52);
    return _mm256_and_pd(_mm256_mul_pd(p, _mm256_castsi256_pd(sbits)), keep);
}

/* Pass 1 for one centre q (3 channels): adds each forward term to S[p] and returns their
 * sum plus q's own term. */
__attribute__((target("avx2,fma"))) static double qs_bracket_pixel_avx2(const qs_ctx *x, int64_t r, int64_t c, double *S)
{
    const int64_t w = x->w, kw = x->kw, n = x->n, q = r * w + c;
    const double *L = x->p64, *A = L + n, *B = A + n;
    int64_t r_max = r + kw + 1 < x->h ? r + kw + 1 : x->h;
    int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;
    const __m256d ql = _mm256_set1_pd(L[q]), qa = _mm256_set1_pd(A[q]), qb = _mm256_set1_pd(B[q]);
    const __m256d inv = _mm256_set1_pd(x->inv64);
    const __m256i all = _mm256_set1_epi64x(-1);
    __m256d acc = _mm256_setzero_pd();
    for (int64_t r2 = r; r2 < r_max; r2++) {
        int64_t c_from = r2 == r ? c + 1 : c_min, len = c_max - c_from, base = r2 * w + c_from;
        const double *dc2 = x->sq64 + kw + (c_from - c);
        double drd = (double)(r - r2);
        const __m256d dr2 = _mm256_set1_pd(drd * drd);
        for (int64_t j = 0; j < len; j += 4) {
            __m256i m = len - j >= 4 ? all : qs_tail_mask(len - j);
            __m256d d = qs_dist4(L + base + j, A + base + j, B + base + j, ql, qa, qb, dr2, dc2 + j);
            __m256d e = _mm256_and_pd(qs_exp4(_mm256_mul_pd(d, inv)), _mm256_castsi256_pd(m));
            acc = _mm256_add_pd(acc, e);
            /* lanes past the row add +0 to the next pixels (or to the padding) */
            double *sp = S + base + j;
            _mm256_storeu_pd(sp, _mm256_add_pd(_mm256_loadu_pd(sp), e));
        }
    }
    double parts[4];
    _mm256_storeu_pd(parts, acc);
    return 1.0 + ((parts[0] + parts[1]) + (parts[2] + parts[3]));
}

/* Pass 2 for one pixel q (3 channels, float64), without the pair symmetry: q's own window
 * is searched row by row outward from q (rows 0, -1, +1, -2, ...). A pixel p can only beat
 * the best distance d* so far if (row offset)^2 + (column offset)^2 <= d*, because skimage's
 * rounded distance is never below that exact integer (every term added is >= 0 and
 * rounding is monotonic). So the search stops at the first row with dr^2 > d*, and each row
 * only covers the columns that can still win. Among equal distances the smallest raster
 * index wins, as in skimage's scan. Writes closest[q] and parent[q]. */
__attribute__((target("avx2"))) static void qs_parent_search_avx2(qs_ctx *x, int64_t r, int64_t c, double *closest,
                                                                  int64_t *parent)
{
    const int64_t h = x->h, w = x->w, kw = x->kw, n = x->n, q = r * w + c;
    const double *L = x->p64, *A = L + n, *B = A + n;
    const __m256d ql = _mm256_set1_pd(L[q]), qa = _mm256_set1_pd(A[q]), qb = _mm256_set1_pd(B[q]);
    const __m256d lo_q = _mm256_set1_pd(x->lo[q]), hi_q = _mm256_set1_pd(x->hi[q]);
    const __m256i all = _mm256_set1_epi64x(-1);
    double best_d = DBL_MAX;
    int64_t best_i = q;
    for (int64_t step = 0; step <= 2 * kw; step++) {
        int64_t dr = step & 1 ? -((step + 1) / 2) : step / 2, r2 = r + dr;
        if (best_d != DBL_MAX && (double)(dr * dr) > best_d)
            break; /* this row and every later one are too far */
        if (r2 < 0 || r2 >= h)
            continue;
        int64_t reach = kw;
        if (best_d != DBL_MAX) {
            int64_t m = qs_isqrt_floor(best_d - (double)(dr * dr));
            reach = m < kw ? m : kw;
        }
        int64_t c_lo = c - reach > 0 ? c - reach : 0, c_hi = c + reach + 1 < w ? c + reach + 1 : w;
        int64_t len = c_hi - c_lo, base = r2 * w + c_lo;
        const double *dc2 = x->sq64 + kw + (c_lo - c);
        const __m256d dr2 = _mm256_set1_pd((double)(dr * dr));
        for (int64_t j = 0; j < len; j += 4) {
            __m256i m = len - j >= 4 ? all : qs_tail_mask(len - j);
            __m256d mm = _mm256_castsi256_pd(m);
            __m256d d = qs_dist4(L + base + j, A + base + j, B + base + j, ql, qa, qb, dr2, dc2 + j);
            __m256d near = _mm256_and_pd(mm, _mm256_cmp_pd(d, _mm256_set1_pd(best_d), _CMP_LE_OQ));
            int near_bits = _mm256_movemask_pd(near);
            if (!near_bits)
                continue;
            __m256d lo_p = _mm256_loadu_pd(x->lo + base + j), hi_p = _mm256_loadu_pd(x->hi + base + j);
            int denser_bits = _mm256_movemask_pd(_mm256_cmp_pd(lo_p, hi_q, _CMP_GT_OQ));
            int undecided = ~denser_bits & ~_mm256_movemask_pd(_mm256_cmp_pd(hi_p, lo_q, _CMP_LE_OQ));
            int bits = near_bits & (denser_bits | undecided);
            if (!bits)
                continue;
            double dv[4];
            _mm256_storeu_pd(dv, d);
            for (int k = 0; k < 4; k++) {
                if (!(bits >> k & 1))
                    continue;
                int64_t p = base + j + k;
                if (p == q || ((undecided >> k & 1) && !qs_denser(x, p, q)))
                    continue;
                if (dv[k] < best_d || (dv[k] == best_d && p < best_i))
                    best_d = dv[k], best_i = p;
            }
        }
    }
    closest[q] = best_d;
    parent[q] = best_i;
}

/* ---- AVX-512 versions of the two kernels above: the same arithmetic, eight lanes ---------- */

__attribute__((target("avx512f"))) static inline __m512d qs_dist8(const double *l, const double *a, const double *b,
                                                                  __m512d ql, __m512d qa, __m512d qb, __m512d dr2,
                                                                  const double *dc2)
{
    __m512d t = _mm512_sub_pd(ql, _mm512_loadu_pd(l));
    __m512d d = _mm512_mul_pd(t, t);
    t = _mm512_sub_pd(qa, _mm512_loadu_pd(a));
    d = _mm512_add_pd(d, _mm512_mul_pd(t, t));
    t = _mm512_sub_pd(qb, _mm512_loadu_pd(b));
    d = _mm512_add_pd(d, _mm512_mul_pd(t, t));
    d = _mm512_add_pd(d, dr2);
    return _mm512_add_pd(d, _mm512_loadu_pd(dc2));
}

/* The eight-lane exp reduces further, x = (k + i/8) ln2 + r with |r| <= ln2/16, so that a
 * degree-7 polynomial suffices; 2^(i/8) comes from an 8-entry table (one permute). Measured
 * against expl on 1.6e8 arguments in [-708, 0]: relative error < 7.1e-16. */
#define QS_LOG2E_8 (8.0 * QS_LOG2E)
#define QS_LN2_HI_8 (QS_LN2_HI / 8.0)
#define QS_LN2_LO_8 (QS_LN2_LO / 8.0)
__attribute__((target("avx512f"))) static inline __m512d qs_exp8(__m512d x, __m512d exp2_eighths)
{
    const __m512d xmin = _mm512_set1_pd(QS_EXP_MIN), shift = _mm512_set1_pd(QS_SHIFT);
    __mmask8 keep = _mm512_cmp_pd_mask(x, xmin, _CMP_GE_OQ);
    x = _mm512_max_pd(x, xmin);
    __m512d kd = _mm512_fmadd_pd(x, _mm512_set1_pd(QS_LOG2E_8), shift);
    __m512i k = _mm512_sub_epi64(_mm512_castpd_si512(kd), _mm512_castpd_si512(shift));
    kd = _mm512_sub_pd(kd, shift);
    __m512d r = _mm512_fnmadd_pd(kd, _mm512_set1_pd(QS_LN2_HI_8), x);
    r = _mm512_fnmadd_pd(kd, _mm512_set1_pd(QS_LN2_LO_8), r);
    __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
#define QS_C(i) _mm512_set1_pd(qs_exp_coef[i])
    __m512d a0 = _mm512_fmadd_pd(QS_C(1), r, QS_C(0)), a1 = _mm512_fmadd_pd(QS_C(3), r, QS_C(2));
    __m512d a2 = _mm512_fmadd_pd(QS_C(5), r, QS_C(4)), a3 = _mm512_fmadd_pd(QS_C(7), r, QS_C(6));
    __m512d p = _mm512_fmadd_pd(_mm512_fmadd_pd(a3, r2, a2), r4, _mm512_fmadd_pd(a1, r2, a0));
#undef QS_C
    __m512d t = _mm512_permutexvar_pd(k, exp2_eighths); /* uses the low 3 bits of k */
    __m512i e = _mm512_srai_epi64(k, 3);
    __m512i sbits = _mm512_slli_epi64(_mm512_add_epi64(e, _mm512_set1_epi64(1023)), 52);
    return _mm512_maskz_mul_pd(keep, _mm512_mul_pd(p, t), _mm512_castsi512_pd(sbits));
}

__attribute__((target("avx512f"))) static inline __mmask8 qs_tail8(int64_t left)
{
    return left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
}

/* Pass 1 for a whole row of centres (3 channels), transposed: for each forward offset
 * (dr, dc), the eight centres c .. c+7 and their partners at c+dc on row r+dr form one
 * vector, so every lane is used whatever the window width. The order of additions differs
 * from the per-pixel kernels, which the bracket's bound allows for. */
__attribute__((target("avx512f"))) static void qs_bracket_row_avx512(const qs_ctx *x, int64_t r, double *S)
{
    const int64_t h = x->h, w = x->w, kw = x->kw, n = x->n;
    const double *L = x->p64, *A = L + n, *B = A + n;
    const __m512d inv = _mm512_set1_pd(x->inv64), eighths = _mm512_loadu_pd(x->exp2_eighths);
    for (int64_t c = 0; c < w; c++)
        S[r * w + c] += 1.0; /* each centre's own term */
    int64_t r_max = r + kw + 1 < h ? r + kw + 1 : h;
    for (int64_t r2 = r; r2 < r_max; r2++) {
        const __m512d dr2 = _mm512_set1_pd((double)((r2 - r) * (r2 - r)));
        for (int64_t dc = r2 == r ? 1 : -kw; dc <= kw; dc++) {
            int64_t c_lo = dc < 0 ? -dc : 0, c_hi = dc > 0 ? w - dc : w;
            const __m512d dc2 = _mm512_set1_pd((double)(dc * dc));
            const int64_t qo = r * w, po = r2 * w + dc;
            for (int64_t c = c_lo; c < c_hi; c += 8) {
                __mmask8 m = qs_tail8(c_hi - c);
                /* lanes past c_hi read the arrays' padding or the next plane: masked below */
                __m512d t = _mm512_sub_pd(_mm512_loadu_pd(L + qo + c), _mm512_loadu_pd(L + po + c));
                __m512d d = _mm512_mul_pd(t, t);
                t = _mm512_sub_pd(_mm512_loadu_pd(A + qo + c), _mm512_loadu_pd(A + po + c));
                d = _mm512_add_pd(d, _mm512_mul_pd(t, t));
                t = _mm512_sub_pd(_mm512_loadu_pd(B + qo + c), _mm512_loadu_pd(B + po + c));
                d = _mm512_add_pd(d, _mm512_mul_pd(t, t));
                d = _mm512_add_pd(_mm512_add_pd(d, dr2), dc2);
                __m512d e = _mm512_maskz_mov_pd(m, qs_exp8(_mm512_mul_pd(d, inv), eighths));
                double *sq = S + qo + c, *sp = S + po + c; /* may overlap when r2 == r: in turn */
                _mm512_storeu_pd(sq, _mm512_add_pd(_mm512_loadu_pd(sq), e));
                _mm512_storeu_pd(sp, _mm512_add_pd(_mm512_loadu_pd(sp), e));
            }
        }
    }
}

__attribute__((target("avx512f"))) static void qs_parent_search_avx512(qs_ctx *x, int64_t r, int64_t c,
                                                                       double *closest, int64_t *parent)
{
    const int64_t h = x->h, w = x->w, kw = x->kw, n = x->n, q = r * w + c;
    const double *L = x->p64, *A = L + n, *B = A + n;
    const __m512d ql = _mm512_set1_pd(L[q]), qa = _mm512_set1_pd(A[q]), qb = _mm512_set1_pd(B[q]);
    const __m512d lo_q = _mm512_set1_pd(x->lo[q]), hi_q = _mm512_set1_pd(x->hi[q]);
    double best_d = DBL_MAX;
    int64_t best_i = q;
    for (int64_t step = 0; step <= 2 * kw; step++) {
        int64_t dr = step & 1 ? -((step + 1) / 2) : step / 2, r2 = r + dr;
        if (best_d != DBL_MAX && (double)(dr * dr) > best_d)
            break;
        if (r2 < 0 || r2 >= h)
            continue;
        int64_t reach = kw;
        if (best_d != DBL_MAX) {
            int64_t m = qs_isqrt_floor(best_d - (double)(dr * dr));
            reach = m < kw ? m : kw;
        }
        int64_t c_lo = c - reach > 0 ? c - reach : 0, c_hi = c + reach + 1 < w ? c + reach + 1 : w;
        int64_t len = c_hi - c_lo, base = r2 * w + c_lo;
        const double *dc2 = x->sq64 + kw + (c_lo - c);
        const __m512d dr2 = _mm512_set1_pd((double)(dr * dr));
        for (int64_t j = 0; j < len; j += 8) {
            __mmask8 m = qs_tail8(len - j);
            __m512d d = qs_dist8(L + base + j, A + base + j, B + base + j, ql, qa, qb, dr2, dc2 + j);
            __mmask8 near = _mm512_mask_cmp_pd_mask(m, d, _mm512_set1_pd(best_d), _CMP_LE_OQ);
            if (q - (base + j) >= 0 && q - (base + j) < 8) /* q itself is no candidate */
                near &= (__mmask8) ~(1u << (q - (base + j)));
            if (!near)
                continue;
            __m512d lo_p = _mm512_loadu_pd(x->lo + base + j), hi_p = _mm512_loadu_pd(x->hi + base + j);
            __mmask8 denser = _mm512_cmp_pd_mask(lo_p, hi_q, _CMP_GT_OQ);
            __mmask8 undecided = (__mmask8)(~denser & ~_mm512_cmp_pd_mask(hi_p, lo_q, _CMP_LE_OQ));
            unsigned bits = near & (denser | undecided);
            if (!bits)
                continue;
            double dv[8];
            _mm512_storeu_pd(dv, d);
            for (; bits; bits &= bits - 1) {
                int k = __builtin_ctz(bits);
                int64_t p = base + j + k;
                if ((undecided >> k & 1) && !qs_denser(x, p, q))
                    continue;
                if (dv[k] < best_d || (dv[k] == best_d && p < best_i))
                    best_d = dv[k], best_i = p;
            }
        }
    }
    closest[q] = best_d;
    parent[q] = best_i;
}
#endif

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

#ifdef QS_HAVE_AVX2
__attribute__((target("avx512f"))) static void qs_f32_terms_avx512(const float *d, float inv, int64_t len,
                                                                   const double *exp2_eighths, double *e)
{
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m512d eighths = _mm512_loadu_pd(exp2_eighths);
    for (int64_t j = 0; j < len; j += 8) /* the buffers have QS_PAD spare elements */
        _mm512_storeu_pd(e + j, qs_exp8(_mm512_cvtps_pd(_mm256_mul_ps(_mm256_loadu_ps(d + j), vinv)), eighths));
}

__attribute__((target("avx2,fma"))) static void qs_f32_terms_avx2(const float *d, float inv, int64_t len, double *e)
{
    const __m128 vinv = _mm_set1_ps(inv);
    for (int64_t j = 0; j < len; j += 4)
        _mm256_storeu_pd(e + j, qs_exp4(_mm256_cvtps_pd(_mm_mul_ps(_mm_loadu_ps(d + j), vinv))));
}
#endif

/* e[j] = our exp of skimage's float argument d[j] * inv, for a row. */
static void qs_f32_terms(const qs_ctx *x, const float *d, int64_t len, double *e)
{
#ifdef QS_HAVE_AVX2
    if (x->use_avx512) {
        qs_f32_terms_avx512(d, x->inv32, len, x->exp2_eighths, e);
        return;
    }
    if (x->use_avx2) {
        qs_f32_terms_avx2(d, x->inv32, len, e);
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
 * (qs_parent_search_avx2/avx512) do the same. */

#define QS_DEFINE_SEARCH(SUFFIX, T, BIG, PLANES, SQ, BUF)                                                     \
    static void qs_parent_search_##SUFFIX(qs_ctx *x, int64_t r, int64_t c, T *closest, int64_t *parent)     \
    {                                                                                                         \
        const int64_t h = x->h, w = x->w, kw = x->kw, q = r * w + c;                                          \
        int found = 0;                                                                                        \
        T best_d = BIG;                                                                                       \
        int64_t best_i = q;                                                                                   \
        for (int64_t step = 0; step <= 2 * kw; step++) {                                                      \
            int64_t dr = step & 1 ? -((step + 1) / 2) : step / 2, r2 = r + dr;                                \
            if (found && (double)(dr * dr) > (double)best_d)                                                  \
                break;                                                                                        \
            if (r2 < 0 || r2 >= h)                                                                            \
                continue;                                                                                     \
            int64_t reach = kw;                                                                               \
            if (found) {                                                                                      \
                int64_t m = qs_isqrt_floor((double)best_d - (double)(dr * dr));                               \
                reach = m < kw ? m : kw;                                                                      \
            }                                                                                                 \
            int64_t c_lo = c - reach > 0 ? c - reach : 0, c_hi = c + reach + 1 < w ? c + reach + 1 : w;       \
            int64_t len = c_hi - c_lo, base = r2 * w + c_lo;                                                  \
            T drt = (T)dr;                                                                                    \
            qs_row_dist_##SUFFIX(x->PLANES, x->n, x->nc, q, base, len, drt * drt, x->SQ + kw + (c_lo - c),    \
                                 x->BUF);                                                                     \
            const T *dist = x->BUF;                                                                           \
            for (int64_t j = 0; j < len; j++) {                                                               \
                int64_t p = base + j;                                                                         \
                if (p == q || (found && dist[j] > best_d))                                                    \
                    continue;                                                                                 \
                if (found && dist[j] == best_d && p > best_i)                                                 \
                    continue;                                                                                 \
                if (!qs_denser(x, p, q))                                                                      \
                    continue;                                                                                 \
                found = 1, best_d = dist[j], best_i = p;                                                      \
            }                                                                                                 \
        }                                                                                                     \
        closest[q] = best_d;                                                                                  \
        parent[q] = best_i;                                                                                   \
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
                qs_parent_search_avx512(x, r, c, closest, parent);
                continue;
            }
            if (x->use_avx2 && x->nc == 3) {
                qs_parent_search_avx2(x, r, c, closest, parent);
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
