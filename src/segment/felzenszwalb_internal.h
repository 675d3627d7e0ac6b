/* SPDX-License-Identifier: Apache-2.0 */
/* felzenszwalb's two sorting strategies, for tests (private). */
#ifndef ANCHOR_SEGMENT_FELZENSZWALB_INTERNAL_H
#define ANCHOR_SEGMENT_FELZENSZWALB_INTERNAL_H

#include "anchor/segment.h"

/* anchor_felzenszwalb with exact_sort = 0 (the fast sort, falling back to numpy's introsort
 * only when the order of equal weights could matter) or 1 (always numpy's introsort).
 * Both must give the same labels; *used_fallback (may be NULL) tells which order ran. */
anchor_status anc_seg_felzenszwalb_sorted(const anchor_image *image, const anchor_felzenszwalb_params *p, int exact_sort,
                                      anchor_image **labels, int *used_fallback, anchor_error *err);

#endif
