/* SPDX-License-Identifier: Apache-2.0 */
/* numpy 1.24 argsort (default 'quicksort') tie order, for float64 (SPEC §9.3).
 *
 * Why: KL-LUCB splits arms into the top-n and the rest by argsort of their empirical
 * precisions, and those precisions tie constantly (many arms at 1.0). Which tied arm lands
 * in the top-n decides which arm is sampled next, so the tie order must be numpy's.
 *
 * numpy's argsort is its introsort (src/numpy/np_introsort.h, where the algorithm is told)
 * run over an index array initialised to 0..n-1, comparing the values the indices point
 * to. Comparisons are NaN-aware "less" (NaN sorts last), irrelevant here but kept. */
#include "numpy/np_argsort.h"

/* NaN-aware "less" on the values two indices point to */
static inline int np_argsort_less(const double *v, int64_t a, int64_t b)
{
    double x = v[a], y = v[b];
    return x < y || (y != y && x == x);
}

#define NP_INTROSORT_NAME np_introsort_indices
#define NP_INTROSORT_T int64_t
#define NP_INTROSORT_CTX const double *
#define NP_INTROSORT_LESS(v, a, b) np_argsort_less((v), (a), (b))
#include "numpy/np_introsort.h"

void anc_np_argsort_f64(const double *v, int64_t *idx, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    np_introsort_indices(v, idx, n);
}
