/* SPDX-License-Identifier: Apache-2.0 */
/* CPython 3.11's iteration order of a set of int tuples (list(set) in alibi's proposals).
 * Not numpy, but the same kind of emulation, so it shares the room and its np_ prefix. */
#ifndef ANCHOR_NUMPY_NP_PYSET_H
#define ANCHOR_NUMPY_NP_PYSET_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/status.h"

/* hash(tuple(items)) for small non-negative ints (hash(x) == x), 64-bit CPython >= 3.8. */
uint64_t anc_np_pytuple_hash(const int32_t *items, int n);

/* A set table that records only where each distinct key lands; keys are ids given by the
 * caller, who guarantees they are distinct (alibi checks membership before adding). */
typedef struct np_pyset {
    size_t mask;    /* table size - 1 */
    size_t used;    /* keys stored (no deletions, so fill == used) */
    int64_t *slot;  /* key id per slot, -1 = empty */
    uint64_t *hash; /* hash per slot */
} np_pyset;

anchor_status anc_np_pyset_init(np_pyset *s, anchor_error *err);
anchor_status anc_np_pyset_add(np_pyset *s, uint64_t hash, int64_t id, anchor_error *err);
/* Writes the ids in iteration order into out (s->used entries). */
void anc_np_pyset_list(const np_pyset *s, int64_t *out);
void anc_np_pyset_free(np_pyset *s);

#endif
