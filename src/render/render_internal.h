/* SPDX-License-Identifier: Apache-2.0 */
/* What the picture makers in src/render/ share (private). */
#ifndef ANCHOR_RENDER_INTERNAL_H
#define ANCHOR_RENDER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "anchor/image.h"

/* alibi's scale_image(x, (0, 255)) truncated to uint8, each image of the batch on its own
 * (scale.c). uint8 and float32 input.
 *
 * Two NaN rules, because the two pictures answer to different masters:
 *  - nan_spreads = true: numpy's. x.max() and x.min() are NaN as soon as one value is, so
 *    every value of alibi's array is NaN and its anchor picture carries no information;
 *    we write 0 for NaN, so the picture is all black. The anchor picture follows alibi.
 *  - nan_spreads = false: min and max over the values that are numbers, NaN pixels black.
 *    The example pictures are ours, for people; one NaN pixel should not blank them. */
anchor_status anc_render_scale(const anchor_image *image, bool nan_spreads, anchor_image **out,
                               anchor_error *err);

/* Which superpixels of `segments` (N = 1, C = 1, INT32 labels >= 0) are in the anchor:
 * *in_anchor (malloc'd) holds one flag per label 0..*n_labels-1. Features outside the
 * labels are ignored. `what` names the picture in error messages. */
anchor_status anc_render_anchor_flags(const anchor_image *segments, const int *feature, int n_feature,
                                      const char *what, uint8_t **in_anchor, int32_t *n_labels,
                                      anchor_error *err);

#endif
