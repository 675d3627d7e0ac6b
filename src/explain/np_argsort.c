/* numpy 1.24 argsort (default 'quicksort') tie order, for float64 (SPEC §9.3).
 *
 * Why: KL-LUCB splits arms into the top-n and the rest by argsort of their empirical
 * precisions, and those precisions tie constantly (many arms at 1.0). Which tied arm lands
 * in the top-n decides which arm is sampled next, so the tie order must be numpy's.
 *
 * numpy's scalar path (no AVX-512 on the reference machine) is an introsort over an index
 * array initialised to 0..n-1:
 *   - while a partition spans more than 16 indices (pr - pl > 15): median of three
 *     (lo, mid, hi sorted in place by swaps), the pivot swapped to pr-1, a Hoare scan from
 *     both ends with strict comparisons, the pivot swapped into place; the larger part is
 *     pushed on a stack and the smaller one processed; each partition costs one level of a
 *     depth budget of 2*floor(log2 n), and an exhausted budget heap-sorts the partition;
 *   - small partitions are finished by a straight insertion sort (stable).
 * Comparisons are NaN-aware "less" (NaN sorts last), irrelevant here but kept. */
#include "explain/np_argsort.h"

#define SMALL_PARTITION 15 /* numpy: partitions of more than 16 elements */
#define STACK_DEPTH 128

static int less(double a, double b) { return a < b || (b != b && a == a); }

static void swap_idx(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

static void heap_argsort(const double *v, int64_t *tosort, int64_t n)
{
    int64_t *a = tosort - 1; /* 1-based heap */
    int64_t i, j, l, tmp;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && less(v[a[j]], v[a[j + 1]]))
                j += 1;
            if (less(v[tmp], v[a[j]])) {
                a[i] = a[j];
                i = j;
                j += j;
            } else
                break;
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && less(v[a[j]], v[a[j + 1]]))
                j++;
            if (less(v[tmp], v[a[j]])) {
                a[i] = a[j];
                i = j;
                j += j;
            } else
                break;
        }
        a[i] = tmp;
    }
}

void np_argsort_f64(const double *v, int64_t *idx, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (n < 2)
        return;
    int64_t *pl = idx, *pr = idx + n - 1;
    int64_t *stack[STACK_DEPTH], **sp = stack;
    int depth_stack[STACK_DEPTH / 2], *dp = depth_stack;
    int depth = 0;
    for (uint64_t m = (uint64_t)n; m >>= 1;)
        depth++;
    depth *= 2;

    for (;;) {
        if (depth < 0) {
            heap_argsort(v, pl, pr - pl + 1);
            goto pop;
        }
        while ((pr - pl) > SMALL_PARTITION) {
            int64_t *pm = pl + ((pr - pl) >> 1);
            if (less(v[*pm], v[*pl]))
                swap_idx(pm, pl);
            if (less(v[*pr], v[*pm]))
                swap_idx(pr, pm);
            if (less(v[*pm], v[*pl]))
                swap_idx(pm, pl);
            double vp = v[*pm];
            int64_t *pi = pl, *pj = pr - 1;
            swap_idx(pm, pj);
            for (;;) {
                do
                    ++pi;
                while (less(v[*pi], vp));
                do
                    --pj;
                while (less(vp, v[*pj]));
                if (pi >= pj)
                    break;
                swap_idx(pi, pj);
            }
            int64_t *pk = pr - 1;
            swap_idx(pi, pk);
            if (pi - pl < pr - pi) {
                *sp++ = pi + 1;
                *sp++ = pr;
                pr = pi - 1;
            } else {
                *sp++ = pl;
                *sp++ = pi - 1;
                pl = pi + 1;
            }
            *dp++ = --depth;
        }
        for (int64_t *pi = pl + 1; pi <= pr; ++pi) {
            int64_t vi = *pi;
            double vv = v[vi];
            int64_t *pj = pi, *pk = pi - 1;
            while (pj > pl && less(vv, v[*pk]))
                *pj-- = *pk--;
            *pj = vi;
        }
    pop:
        if (sp == stack)
            break;
        pr = *(--sp);
        pl = *(--sp);
        depth = *(--dp);
    }
}
