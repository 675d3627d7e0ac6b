/* SPDX-License-Identifier: Apache-2.0 */
/* skimage's quickshift density of one pixel, exactly: its terms in its order with glibc's
 * exp, which is what skimage's compiled Cython calls, for the density comparisons whose
 * fast brackets (quickshift.c) overlap. It is a file of its own because both the portable
 * parent search (quickshift.c) and the vector ones (quickshift_x86.c) call it, and neither
 * part should call into the other. */
#include <math.h>
#include <stdint.h>

#include "segment/quickshift_ctx.h"

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

/* density(a) > density(b) by skimage's own sums, for brackets that overlap. */
int anc_qs_denser_exact(qs_ctx *x, int64_t a, int64_t b) { return qs_exact_f64(x, a) > qs_exact_f64(x, b); }
