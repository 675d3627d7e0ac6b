/* SPDX-License-Identifier: Apache-2.0 */
/* Private definition of the image handle, shared by the library's stages. */
#ifndef ANCHOR_IMAGE_INTERNAL_H
#define ANCHOR_IMAGE_INTERNAL_H

#include <stdbool.h>

#include "anchor/image.h"

struct anchor_image {
    int64_t n, h, w, c;
    anchor_dtype dtype;
    void *data;
    bool borrowed; /* anchor_image_wrap: data belongs to the caller, destroy leaves it */
};

/* Validate a shape against the documented limits without allocating. */
anchor_status anc_image_check_shape(int64_t n, int64_t h, int64_t w, int64_t c,
                                       anchor_dtype dtype, anchor_error *err);


#endif
