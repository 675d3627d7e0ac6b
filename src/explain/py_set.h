/* CPython 3.11's iteration order of a set of int tuples (list(set) in alibi's proposals). */
#ifndef ANCHOR_EXPLAIN_PY_SET_H
#define ANCHOR_EXPLAIN_PY_SET_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/status.h"

/* hash(tuple(items)) for small non-negative ints (hash(x) == x), 64-bit CPython >= 3.8. */
uint64_t py_tuple_hash(const int32_t *items, int n);

/* A set table that records only where each distinct key lands; keys are ids given by the
 * caller, who guarantees they are distinct (alibi checks membership before adding). */
typedef struct py_set_order {
    size_t mask;    /* table size - 1 */
    size_t used;    /* keys stored (no deletions, so fill == used) */
    int64_t *slot;  /* key id per slot, -1 = empty */
    uint64_t *hash; /* hash per slot */
} py_set_order;

anchor_status py_set_init(py_set_order *s, anchor_error *err);
anchor_status py_set_add(py_set_order *s, uint64_t hash, int64_t id, anchor_error *err);
/* Writes the ids in iteration order into out (s->used entries). */
void py_set_list(const py_set_order *s, int64_t *out);
void py_set_free(py_set_order *s);

#endif
