/* SPDX-License-Identifier: Apache-2.0 */
/* Growing a heap array by doubling: the one pattern the explainer's logs, candidate
 * tables and row lists and the pipe's answer buffers all need. */
#ifndef ANCHOR_CORE_GROW_H
#define ANCHOR_CORE_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Make *buf (elements of elem bytes, capacity *cap elements) hold at least `need`
 * elements, doubling from min_cap. Returns 0 when memory runs out; *buf and *cap are then
 * unchanged, so the caller still owns and frees the old block. */
static inline int anchor_grow(void **buf, int64_t *cap, int64_t need, size_t elem, int64_t min_cap)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap > 0 ? *cap : min_cap;
    while (c < need)
        c *= 2;
    void *q = realloc(*buf, (size_t)c * elem);
    if (!q)
        return 0;
    *buf = q;
    *cap = c;
    return 1;
}

#endif
