/* SPDX-License-Identifier: Apache-2.0 */
/* What quickshift's driver (quickshift.c), its exact density comparison (quickshift_exact.c)
 * and its x86 vector kernels (quickshift_x86.c) share (private): the context of one run,
 * skimage's distance, our scalar exp and the integer square root the parent searches use.
 * The small hot helpers are static inline here so that every part calls them without a
 * cross-file call in its inner loops; the arithmetic is explained in quickshift.c. */
#ifndef ANCHOR_SEGMENT_QUICKSHIFT_CTX_H
#define ANCHOR_SEGMENT_QUICKSHIFT_CTX_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define QS_HAVE_AVX2 1
#endif

/* ---- distances ---------------------------------------------------------------------------
 * The image is kept as channel planes so that a run of neighbours on one row is contiguous.
 * qs_row_dist_* computes skimage's d(q, p) for p = base .. base + len - 1 with skimage's
 * operation order: ((0 + t0^2) + t1^2 + ...) + dr^2 + dc^2 (no fused multiply-add: the
 * build is ISO C, where GCC does not contract). dc2[j] is (column(p) - column(q))^2. */
#define QS_DEFINE_ROW_DIST(SUFFIX, T)                                                                        \
    static inline void qs_row_dist_##SUFFIX(const T *planes, int64_t n, int64_t nc, int64_t q, int64_t base, \
                                            int64_t len, T dr2, const T *dc2, T *out)                        \
    {                                                                                                        \
        for (int64_t j = 0; j < len; j++)                                                                    \
            out[j] = 0;                                                                                      \
        for (int64_t ch = 0; ch < nc; ch++) {                                                                \
            const T qv = planes[ch * n + q], *row = planes + ch * n + base;                                  \
            for (int64_t j = 0; j < len; j++) {                                                              \
                T t = qv - row[j];                                                                           \
                out[j] += t * t;                                                                             \
            }                                                                                                \
        }                                                                                                    \
        for (int64_t j = 0; j < len; j++)                                                                    \
            out[j] += dr2;                                                                                   \
        for (int64_t j = 0; j < len; j++)                                                                    \
            out[j] += dc2[j];                                                                                \
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
    int use_avx2;           /* AVX2 + FMA kernels (3-channel float64) */
    int use_avx512;         /* AVX-512F kernels (the same, eight lanes) */
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

static inline double qs_exp_poly(double r)
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

static inline double qs_exp_scalar(double x)
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

/* density(a) > density(b) by skimage's exact sums (quickshift_exact.c). */
int anc_qs_denser_exact(qs_ctx *x, int64_t a, int64_t b);

/* Is density(a) > density(b) in skimage's arithmetic? Decided by the brackets when they do
 * not overlap, else by skimage's exact sums (float32: lo == hi == the value). Inline: the
 * parent searches ask it for nearly every neighbour. */
static inline int qs_denser(qs_ctx *x, int64_t a, int64_t b)
{
    if (x->lo[a] > x->hi[b])
        return 1;
    if (x->hi[a] <= x->lo[b])
        return 0;
    return anc_qs_denser_exact(x, a, b);
}

#ifdef QS_HAVE_AVX2
/* The AVX2 + FMA and AVX-512F kernels (quickshift_x86.c), 3-channel float64 images unless
 * named f32; each gives the same result as the portable code in quickshift.c. */
double anc_qs_exp_row_avx2(const double *dist, double inv, int64_t len, double *e, double *dens);
double anc_qs_bracket_pixel_avx2(const qs_ctx *x, int64_t r, int64_t c, double *S);
void anc_qs_parent_search_avx2(qs_ctx *x, int64_t r, int64_t c, double *closest, int64_t *parent);
void anc_qs_bracket_row_avx512(const qs_ctx *x, int64_t r, double *S);
void anc_qs_parent_search_avx512(qs_ctx *x, int64_t r, int64_t c, double *closest, int64_t *parent);
void anc_qs_f32_terms_avx512(const float *d, float inv, int64_t len, const double *exp2_eighths, double *e);
void anc_qs_f32_terms_avx2(const float *d, float inv, int64_t len, double *e);
#endif

#endif
