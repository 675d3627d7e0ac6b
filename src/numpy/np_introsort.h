/* SPDX-License-Identifier: Apache-2.0 */
/* numpy 1.24's introsort (np.sort / np.argsort with kind='quicksort'), as a type-generic
 * template, so that every emulation of numpy's tie order runs the very same algorithm.
 *
 * Why: numpy's "quicksort" is not stable, and callers of ours must reproduce which of two
 * equal keys comes first (KL-LUCB's argsort of tied precisions, felzenszwalb's edges of
 * equal weight). That order follows from the exact sequence of comparisons and swaps, so
 * this is numpy's scalar path (no AVX-512 on the reference machine), step for step:
 *   - while a partition spans more than 16 elements (pr - pl > 15): median of three
 *     (lo, mid, hi sorted in place by swaps), the pivot swapped to pr-1, a Hoare scan from
 *     both ends with strict comparisons, the pivot swapped into place; the larger part is
 *     pushed on a stack and the smaller one processed; each partition costs one level of a
 *     depth budget of 2*floor(log2 n), and an exhausted budget heap-sorts the partition
 *     (numpy's heapsort, on 1-based positions);
 *   - small partitions are finished by a straight insertion sort (stable).
 * numpy's argsort runs this on an index array 0..n-1 comparing the values the indices
 * point to; its sort runs it on the values themselves. Both are this template: the element
 * type is whatever is moved (an index, or a whole record sorted in place), and "less"
 * compares two elements, so a record is never reached through an indirection.
 *
 * Use: define, then include (the header may be included several times):
 *   NP_INTROSORT_NAME          name of the generated function
 *   NP_INTROSORT_T             element type
 *   NP_INTROSORT_CTX           type of a context argument passed through to LESS
 *   NP_INTROSORT_LESS(c, a, b) nonzero iff element a sorts strictly before element b
 *                              (a, b are lvalues of type T; c is the context)
 * which defines
 *   static void NAME(NP_INTROSORT_CTX ctx, NP_INTROSORT_T *v, int64_t n);
 * sorting v[0..n-1] in place. The macros are undefined at the end. */
#include <stdint.h>

#if !defined(NP_INTROSORT_NAME) || !defined(NP_INTROSORT_T) || !defined(NP_INTROSORT_CTX) || \
    !defined(NP_INTROSORT_LESS)
#error "define NP_INTROSORT_NAME, NP_INTROSORT_T, NP_INTROSORT_CTX and NP_INTROSORT_LESS first"
#endif

#define NP_INTROSORT_CAT_(a, b) a##b
#define NP_INTROSORT_CAT(a, b) NP_INTROSORT_CAT_(a, b)
#define NP_INTROSORT_SWAP NP_INTROSORT_CAT(NP_INTROSORT_NAME, _swap)
#define NP_INTROSORT_HEAP NP_INTROSORT_CAT(NP_INTROSORT_NAME, _heapsort)
#define NP_INTROSORT_SIFT NP_INTROSORT_CAT(NP_INTROSORT_NAME, _sift)

#ifndef NP_INTROSORT_COMMON_
#define NP_INTROSORT_COMMON_
#define NP_INTROSORT_SMALL 15  /* numpy: partitions of more than 16 elements are split */
#define NP_INTROSORT_STACK 128 /* numpy's PYA_QS_STACK: 2 * bits of npy_intp */
#endif

static inline void NP_INTROSORT_SWAP(NP_INTROSORT_T *a, NP_INTROSORT_T *b)
{
    NP_INTROSORT_T t = *a;
    *a = *b;
    *b = t;
}

/* Sift tmp down from 1-based position i of the heap a[1..n], as numpy's heapsort does */
static inline void NP_INTROSORT_SIFT(NP_INTROSORT_CTX ctx, NP_INTROSORT_T *a, int64_t i, int64_t n,
                                     NP_INTROSORT_T tmp)
{
    (void)ctx;
    for (int64_t j = i << 1; j <= n;) {
        if (j < n && NP_INTROSORT_LESS(ctx, a[j], a[j + 1]))
            j += 1;
        if (NP_INTROSORT_LESS(ctx, tmp, a[j])) {
            a[i] = a[j];
            i = j;
            j += j;
        } else {
            break;
        }
    }
    a[i] = tmp;
}

/* numpy's heapsort fallback, on 1-based positions of a0[0..n-1]: build the heap, then move
 * its top to the end one by one */
static void NP_INTROSORT_HEAP(NP_INTROSORT_CTX ctx, NP_INTROSORT_T *a0, int64_t n)
{
    NP_INTROSORT_T *a = a0 - 1;
    for (int64_t l = n >> 1; l > 0; --l)
        NP_INTROSORT_SIFT(ctx, a, l, n, a[l]);
    for (; n > 1;) {
        NP_INTROSORT_T tmp = a[n];
        a[n] = a[1];
        n -= 1;
        NP_INTROSORT_SIFT(ctx, a, 1, n, tmp);
    }
}

static void NP_INTROSORT_NAME(NP_INTROSORT_CTX ctx, NP_INTROSORT_T *v, int64_t n)
{
    (void)ctx;
    if (n < 2)
        return;
    NP_INTROSORT_T *pl = v, *pr = v + n - 1;
    NP_INTROSORT_T *stack[NP_INTROSORT_STACK], **sp = stack;
    int depth_stack[NP_INTROSORT_STACK], *dp = depth_stack;
    int depth = 0;
    for (uint64_t m = (uint64_t)n; m >>= 1;)
        depth++;
    depth *= 2;

    for (;;) {
        if (depth < 0) {
            NP_INTROSORT_HEAP(ctx, pl, pr - pl + 1);
            goto pop;
        }
        while (pr - pl > NP_INTROSORT_SMALL) {
            NP_INTROSORT_T *pm = pl + ((pr - pl) >> 1);
            if (NP_INTROSORT_LESS(ctx, *pm, *pl))
                NP_INTROSORT_SWAP(pm, pl);
            if (NP_INTROSORT_LESS(ctx, *pr, *pm))
                NP_INTROSORT_SWAP(pr, pm);
            if (NP_INTROSORT_LESS(ctx, *pm, *pl))
                NP_INTROSORT_SWAP(pm, pl);
            NP_INTROSORT_T vp = *pm; /* the pivot, a copy: it moves to pr-1 */
            NP_INTROSORT_T *pi = pl, *pj = pr - 1;
            NP_INTROSORT_SWAP(pm, pj);
            for (;;) {
                do
                    ++pi;
                while (NP_INTROSORT_LESS(ctx, *pi, vp));
                do
                    --pj;
                while (NP_INTROSORT_LESS(ctx, vp, *pj));
                if (pi >= pj)
                    break;
                NP_INTROSORT_SWAP(pi, pj);
            }
            NP_INTROSORT_SWAP(pi, pr - 1);
            /* push the larger partition, continue with the smaller */
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
        for (NP_INTROSORT_T *pi = pl + 1; pi <= pr; ++pi) {
            NP_INTROSORT_T vi = *pi, *pj = pi, *pk = pi - 1;
            while (pj > pl && NP_INTROSORT_LESS(ctx, vi, *pk))
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

#undef NP_INTROSORT_SIFT
#undef NP_INTROSORT_HEAP
#undef NP_INTROSORT_SWAP
#undef NP_INTROSORT_CAT
#undef NP_INTROSORT_CAT_
#undef NP_INTROSORT_NAME
#undef NP_INTROSORT_T
#undef NP_INTROSORT_CTX
#undef NP_INTROSORT_LESS
