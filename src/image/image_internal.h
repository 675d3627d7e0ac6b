/* Private definition of the image handle, shared by the library's stages. */
#ifndef ANCHOR_IMAGE_INTERNAL_H
#define ANCHOR_IMAGE_INTERNAL_H

#include "anchor/image.h"

struct anchor_image {
    int64_t n, h, w, c;
    anchor_dtype dtype;
    void *data;
};

/* Validate a shape against the documented limits without allocating. */
anchor_status anchor_image_check_shape(int64_t n, int64_t h, int64_t w, int64_t c,
                                       anchor_dtype dtype, anchor_error *err);

/* Fail when a float image holds NaN or an infinity, naming `what` and the first such
 * value's place; integer images always pass. Models, segmenters and the sampler's
 * statistics all assume finite pixels, so every entry point checks before any work. */
anchor_status anc_image_check_finite(const anchor_image *image, const char *what, anchor_error *err);

#endif
