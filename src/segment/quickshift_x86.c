/* SPDX-License-Identifier: Apache-2.0 */
/* quickshift's AVX2 + FMA and AVX-512F kernels: the density bracket's pass over pixel pairs,
 * the parent search, and the float32 exp terms, four or eight pixels at a time. Each does
 * the portable code's arithmetic in quickshift.c (distances without fused multiply-adds,
 * exp to ~1e-16), so that all give skimage's labels; tests/segment/test_quickshift.c runs
 * every path against skimage. They live apart from the driver because they are a second
 * implementation of the same steps for one ISA family, compiled per function with
 * target attributes and picked at run time by quickshift.c. */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "segment/quickshift_ctx.h"

#ifdef QS_HAVE_AVX2
#include <immintrin.h>

/* 1 / i!, the Taylor coefficients of exp */
static const double qs_exp_coef[13] = {1.0,
                                       1.0,
                                       0.5,
                                       1.0 / 6.0,
                                       1.0 / 24.0,
                                       1.0 / 120.0,
                                       1.0 / 720.0,
                                       1.0 / 5040.0,
                                       1.0 / 40320.0,
                                       1.0 / 362880.0,
                                       1.0 / 3628800.0,
                                       1.0 / 39916800.0,
                                       1.0 / 479001600.0};

/* Four at a time; the same steps as qs_exp_scalar. Returns the sum of the terms too. */
__attribute__((target("avx2"))) double anc_qs_exp_row_avx2(const double *dist, double inv, int64_t len, double *e,
                                                           double *dens)
{
    const __m256d vinv = _mm256_set1_pd(inv), log2e = _mm256_set1_pd(QS_LOG2E), shift = _mm256_set1_pd(QS_SHIFT);
    const __m256d hi = _mm256_set1_pd(QS_LN2_HI), lo = _mm256_set1_pd(QS_LN2_LO),
                  xmin = _mm256_set1_pd(QS_EXP_MIN);
    const __m256i bias = _mm256_set1_epi64x(1023 - (int64_t)0x4338000000000000LL);
    static const double c[13] = {1.0 / 479001600.0,
                                 1.0 / 39916800.0,
                                 1.0 / 3628800.0,
                                 1.0 / 362880.0,
                                 1.0 / 40320.0,
                                 1.0 / 5040.0,
                                 1.0 / 720.0,
                                 1.0 / 120.0,
                                 1.0 / 24.0,
                                 1.0 / 6.0,
                                 0.5,
                                 1.0,
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
__attribute__((target("avx2,fma"))) double anc_qs_bracket_pixel_avx2(const qs_ctx *x, int64_t r, int64_t c,
                                                                     double *S)
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
__attribute__((target("avx2"))) void anc_qs_parent_search_avx2(qs_ctx *x, int64_t r, int64_t c, double *closest,
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

__attribute__((target("avx512f"))) static inline __m512d qs_dist8(const double *l, const double *a,
                                                                  const double *b, __m512d ql, __m512d qa,
                                                                  __m512d qb, __m512d dr2, const double *dc2)
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
__attribute__((target("avx512f"))) void anc_qs_bracket_row_avx512(const qs_ctx *x, int64_t r, double *S)
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

__attribute__((target("avx512f"))) void anc_qs_parent_search_avx512(qs_ctx *x, int64_t r, int64_t c,
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

__attribute__((target("avx512f"))) void anc_qs_f32_terms_avx512(const float *d, float inv, int64_t len,
                                                                const double *exp2_eighths, double *e)
{
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m512d eighths = _mm512_loadu_pd(exp2_eighths);
    for (int64_t j = 0; j < len; j += 8) /* the buffers have QS_PAD spare elements */
        _mm512_storeu_pd(e + j, qs_exp8(_mm512_cvtps_pd(_mm256_mul_ps(_mm256_loadu_ps(d + j), vinv)), eighths));
}

__attribute__((target("avx2,fma"))) void anc_qs_f32_terms_avx2(const float *d, float inv, int64_t len, double *e)
{
    const __m128 vinv = _mm_set1_ps(inv);
    for (int64_t j = 0; j < len; j += 4)
        _mm256_storeu_pd(e + j, qs_exp4(_mm256_cvtps_pd(_mm_mul_ps(_mm_loadu_ps(d + j), vinv))));
}
#else
/* ISO C wants a declaration in every translation unit */
typedef int anc_qs_x86_unused;
#endif
