/* SPDX-License-Identifier: Apache-2.0 */
/* The search of one anchor_explain call: alibi's anchor_beam over candidate anchors
 * (beam.c, the only writer of this state).
 *
 * The search decides what to sample and attributes what the sampler returns: each
 * candidate's rows, counts and examples (alibi's update_state and t_* dictionaries). It
 * reads the sampler's cache and coverage bitsets and changes them only by asking the
 * sampler for more draws. */
#ifndef ANCHOR_EXPLAIN_BEAM_H
#define ANCHOR_EXPLAIN_BEAM_H

#include <stdint.h>

#include "anchor/explain.h"
#include "explain/sampler.h"

/* Per-anchor state, keyed by the sorted tuple (alibi's t_* dictionaries). */
typedef struct ex_anchor {
    int32_t *items;           /* sorted features */
    int32_t *order;           /* t_order: features in the order they were added */
    int size;
    int has_order;
    double nsamples, positives, coverage;
    const uint64_t *cov;      /* coverage rows that keep every feature (bitset), or NULL:
                               * size-1 anchors borrow their row of the sampler's
                               * cov_feature, larger ones point at cov_buf */
    uint64_t *cov_buf;
    int64_t *rows;            /* t_idx: cache rows attributed to this anchor (see lazy_parent) */
    int64_t nrows, caprows;
    /* A proposed candidate's inherited rows are kept as a recipe, not a list: the first
     * lazy_parent_n rows of lazy_parent that keep lazy_f (alibi's t_idx[t] filtered by
     * f). `rows` then holds only the rows drawn for it since. The list is built when the
     * candidate becomes a parent; most candidates never do, and with K in the thousands
     * the lists would take gigabytes. -1 = rows is complete. */
    int64_t lazy_parent, lazy_parent_n;
    int lazy_f;
    int has_examples;         /* sampled directly at least once (t_covered_true exists) */
    int64_t *ex_true, *ex_false; /* cache rows of the last batch's examples */
    int64_t n_true, n_false;
    int64_t proposed_round;   /* last size round that proposed it */
} ex_anchor;

typedef struct ex_search {
    const anchor_explain_params *p;
    anchor_error *err;
    ex_sampler *sampler;      /* asked for draws; its cache is read, never written here */
    int k;

    /* Anchors and their lookup table. */
    ex_anchor *anchors;
    int64_t n_anchors, cap_anchors;
    int64_t *amap;
    size_t amap_mask, amap_used;
} ex_search;

/* What the search found (alibi's best anchor and get_anchor_metadata). */
typedef struct ex_result {
    anchor_result_status status;
    int success;
    int size;
    int *feature;
    double *precision, *coverage; /* per prefix */
    double precision_all, coverage_all;
    int64_t num_preds;
    anchor_image **examples_true, **examples_false; /* per prefix, NULL when none */
} ex_result;

/* An empty search that will draw from `sampler` (set up, instance call made). */
void anc_ex_search_init(ex_search *q, const anchor_explain_params *p, ex_sampler *sampler, anchor_error *err);
anchor_status anc_ex_search_run(ex_search *q, ex_result *r);
void anc_ex_search_free(ex_search *q);
void anc_ex_result_free(ex_result *r);

#endif
