/* anchor: pictures of label maps and explanations for people to look at. */
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

#ifdef __cplusplus
}
#endif
#endif
