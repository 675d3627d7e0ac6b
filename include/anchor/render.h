/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: every picture the library draws, of label maps and explanations.
 *
 * Pictures are uint8 anchor_images, ready for anchor_png_save. Photos are stretched to
 * 0..255 with alibi's scale_image, written once (src/render/scale.c): (x - min) / (max -
 * min) * 255 over the whole image, in float64 for uint8 input and float32 for float32
 * input, truncated; where numpy would give NaN (a constant image) the picture is 0. */
#ifndef ANCHOR_RENDER_H
#define ANCHOR_RENDER_H

#include "anchor/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A label map drawn the way matplotlib draws it by default (plt.imshow(labels)): the
 * viridis colormap over the labels normalised from their minimum to their maximum. The
 * bytes equal matplotlib.cm.viridis(matplotlib.colors.Normalize()(labels),
 * bytes=True)[..., :3] (matplotlib 3.6); a map with a single label is all the first
 * colour. labels: N = 1, C = 1, dtype INT32, INT64, UINT8 or UINT16. *rgb: uint8 H x W x 3. */
ANCHOR_API anchor_status anchor_render_labels(const anchor_image *labels, anchor_image **rgb,
                                              anchor_error *err);

/* alibi's scale_image(x, (0, 255)) as a picture: each image of a uint8 or float32 batch
 * stretched to 0..255 on its own (min and max over all its channels), truncated to uint8.
 * A NaN pixel is black and does not count towards min and max (numpy would make the whole
 * image NaN); these are the example pictures of an explanation folder. */
ANCHOR_API anchor_status anchor_render_scale_image(const anchor_image *image, anchor_image **out, anchor_error *err);

/* alibi's anchor picture (explanation.anchor, as uint8): the superpixels listed in
 * `feature` stretched with scale_image over the whole image, every other pixel 0. image:
 * N = 1, uint8 or float32; segments: its INT32 H x W label map (labels >= 0). As in alibi, a
 * float image holding a NaN gives an all-black picture. anchor_explanation_anchor_image
 * (explain.h) is this picture for an explanation. */
ANCHOR_API anchor_status anchor_render_anchor(const anchor_image *image, const anchor_image *segments, const int *feature,
                                   int n_feature, anchor_image **out, anchor_error *err);

/* The overlay picture (uint8 RGB H x W x 3): `image` dimmed outside the superpixels listed
 * in `feature`, boundaries between superpixels drawn, the anchor outlined in gold. Float
 * images are stretched with anchor_render_scale_image first. */
ANCHOR_API anchor_status anchor_render_overlay(const anchor_image *image, const anchor_image *segments, const int *feature,
                                    int n_feature, anchor_image **out, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
