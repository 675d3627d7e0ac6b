/* SPDX-License-Identifier: Apache-2.0 */
/* CPython 3.11 set iteration order for the candidate anchors (SPEC §9.4).
 *
 * Why: alibi builds the size-s candidates in a Python set and returns list(set). That
 * order becomes the arm order of KL-LUCB, hence argsort tie-breaks, the order of 1-image
 * draws and of the RNG stream. It is a pure function of the tuple hashes and the insertion
 * sequence, so we replay CPython's table:
 *   - tuple hash: xxHash-style lanes, acc = P5; acc = rotl(acc + x*P2, 31) * P1 per item;
 *     acc += len ^ (P5 ^ 3527539); -1 maps to 1546275796;
 *   - the table starts with 8 slots; a key probes i = h & mask, then the next 9 slots when
 *     i + 9 <= mask, then perturb >>= 5, i = (5i + 1 + perturb) & mask, and so on;
 *   - after an insertion, fill*5 >= mask*3 grows the table to the smallest power of two
 *     above 4*used (2*used beyond 50000), re-inserting old slots in slot order;
 *   - iteration walks the slots in order. */
#include "numpy/np_pyset.h"

#include <stdlib.h>

#define P1 11400714785074694791ULL
#define P2 14029467366897019727ULL
#define P5 2870177450012600261ULL
#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5
#define MIN_SIZE 8

uint64_t anc_np_pytuple_hash(const int32_t *items, int n)
{
    uint64_t acc = P5;
    for (int i = 0; i < n; i++) {
        acc += (uint64_t)(int64_t)items[i] * P2;
        acc = (acc << 31) | (acc >> 33);
        acc *= P1;
    }
    acc += (uint64_t)n ^ (P5 ^ 3527539ULL);
    if (acc == UINT64_MAX)
        return 1546275796ULL;
    return acc;
}

static void insert_clean(int64_t *slot, uint64_t *hash, size_t mask, uint64_t h, int64_t id)
{
    size_t perturb = (size_t)h;
    size_t i = (size_t)h & mask;
    for (;;) {
        if (slot[i] < 0)
            goto found;
        if (i + LINEAR_PROBES <= mask) {
            for (size_t j = 1; j <= LINEAR_PROBES; j++)
                if (slot[i + j] < 0) {
                    i += j;
                    goto found;
                }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
found:
    slot[i] = id;
    hash[i] = h;
}

static anchor_status alloc_table(np_pyset *s, size_t size, anchor_error *err)
{
    s->slot = malloc(size * sizeof *s->slot);
    s->hash = malloc(size * sizeof *s->hash);
    if (!s->slot || !s->hash) {
        free(s->slot);
        free(s->hash);
        s->slot = NULL;
        s->hash = NULL;
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for a candidate set of %zu slots", size);
    }
    for (size_t i = 0; i < size; i++)
        s->slot[i] = -1;
    s->mask = size - 1;
    return ANCHOR_OK;
}

anchor_status anc_np_pyset_init(np_pyset *s, anchor_error *err)
{
    s->used = 0;
    return alloc_table(s, MIN_SIZE, err);
}

anchor_status anc_np_pyset_add(np_pyset *s, uint64_t h, int64_t id, anchor_error *err)
{
    insert_clean(s->slot, s->hash, s->mask, h, id);
    s->used++;
    if (s->used * 5 < s->mask * 3)
        return ANCHOR_OK;
    size_t minused = s->used > 50000 ? s->used * 2 : s->used * 4;
    size_t size = MIN_SIZE;
    while (size <= minused)
        size <<= 1;
    np_pyset old = *s;
    anchor_status st = alloc_table(s, size, err);
    if (st) {
        *s = old;
        return st;
    }
    for (size_t i = 0; i <= old.mask; i++)
        if (old.slot[i] >= 0)
            insert_clean(s->slot, s->hash, s->mask, old.hash[i], old.slot[i]);
    free(old.slot);
    free(old.hash);
    return ANCHOR_OK;
}

void anc_np_pyset_list(const np_pyset *s, int64_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i <= s->mask; i++)
        if (s->slot[i] >= 0)
            out[k++] = s->slot[i];
}

void anc_np_pyset_free(np_pyset *s)
{
    free(s->slot);
    free(s->hash);
    s->slot = NULL;
    s->hash = NULL;
}
