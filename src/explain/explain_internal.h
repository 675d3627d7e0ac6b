/* SPDX-License-Identifier: Apache-2.0 */
/* Private state of one anchor_explain call. Nothing here is global: the sampler
 * (sampler.h) and the search (beam.h) each own their state, the call owns both, and the
 * explanation below collects what they found. */
#ifndef ANCHOR_EXPLAIN_INTERNAL_H
#define ANCHOR_EXPLAIN_INTERNAL_H

#include <stdint.h>

#include "anchor/explain.h"
#include "explain/beam.h"

struct anchor_explanation {
    ex_result found;           /* written by the search */
    int64_t instance_label;
    int k;
    anchor_image *segments;
    int remapped;
    int64_t *batch_sizes, n_batches;
    anchor_explain_stats stats;
    anchor_mt19937_state rng_after;
};

#endif
