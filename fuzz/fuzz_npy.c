/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a whole .npy file as an image or batch (anc_npy_decode_image, the
 * core of anchor_npy_load and of .npy images, backgrounds and label maps). */
#include <stddef.h>
#include <stdint.h>

#include "image/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    anchor_image *img = NULL;
    anchor_error err;
    if (anc_npy_decode_image(&img, data, size, "fuzz.npy", &err) == ANCHOR_OK)
        anchor_image_destroy(img);
    return 0;
}
