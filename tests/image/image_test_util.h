/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the image tests: fixture paths and pixel-by-pixel fidelity. */
#ifndef ANCHOR_TEST_IMAGE_UTIL_H
#define ANCHOR_TEST_IMAGE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/image.h"

static inline const char *fixtures_dir(void)
{
    const char *d = getenv("ANCHOR_FIXTURES");
    if (!d) {
        fprintf(stderr, "ANCHOR_FIXTURES is not set (run through ctest)\n");
        exit(2);
    }
    return d;
}

typedef struct fidelity {
    int same_shape;
    int max_abs_diff;
    size_t n_values, n_identical;
} fidelity;

/* Compare two uint8 images of the same shape value by value. */
static inline fidelity compare_u8(const anchor_image *got, const anchor_image *want)
{
    fidelity f = {0, 256, 0, 0};
    if (!got || !want || anchor_image_dtype(got) != ANCHOR_DTYPE_U8 || anchor_image_dtype(want) != ANCHOR_DTYPE_U8 ||
        anchor_image_height(got) != anchor_image_height(want) || anchor_image_width(got) != anchor_image_width(want) ||
        anchor_image_channels(got) != anchor_image_channels(want) || anchor_image_count(got) != anchor_image_count(want))
        return f;
    f.same_shape = 1;
    f.max_abs_diff = 0;
    const uint8_t *a = anchor_image_cdata(got), *b = anchor_image_cdata(want);
    f.n_values = anchor_image_nbytes(got);
    for (size_t i = 0; i < f.n_values; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > f.max_abs_diff)
            f.max_abs_diff = d;
        f.n_identical += d == 0;
    }
    return f;
}

static inline double fidelity_pct(fidelity f)
{
    return f.n_values ? 100.0 * (double)f.n_identical / (double)f.n_values : 0.0;
}

#endif
