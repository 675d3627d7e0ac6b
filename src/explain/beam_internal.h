/* SPDX-License-Identifier: Apache-2.0 */
/* What the beam search's parts share (private). beam_anchors.c keeps the per-anchor
 * statistics and draws samples for anchors; beam_lucb.c is KL-LUCB, which draws through
 * it; beam.c, the search driver, uses both. Calls go one way, beam.c -> beam_lucb.c ->
 * beam_anchors.c (and beam.c -> beam_anchors.c), never back. */
#ifndef ANCHOR_EXPLAIN_BEAM_INTERNAL_H
#define ANCHOR_EXPLAIN_BEAM_INTERNAL_H

#include <stdint.h>

#include "explain/beam.h"

/* Sets "out of memory for WHAT" in the search's error and returns its status. */
anchor_status anc_ex_nomem(ex_search *c, const char *what);
/* The anchor with these sorted items: its id in *aid, -1 when absent and !create;
 * created (with no samples) when absent and create. */
anchor_status anc_ex_anchor_lookup(ex_search *c, const int32_t *items, int size, int create, int64_t *aid);
/* alibi's draw_samples: for each anchor in list order, one sampler call of n samples, the
 * rows attributed to it (update_state); pos[i] = how many of anchor i's rows agree. */
anchor_status anc_ex_draw_samples(ex_search *c, const int64_t *aids, int64_t count, int64_t n, double *pos);
/* alibi's kllucb: indices (into arms) of the top_n arms, sampling as alibi does. */
anchor_status anc_ex_kllucb(ex_search *c, const int64_t *arms, int64_t n, int64_t top_n, int64_t *result);

#endif
