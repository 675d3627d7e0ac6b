/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: PNG and JPEG photos from bytes (anchor_image_decode), in the colour
 * mode the first byte picks, as `anchor explain IMAGE` and `--background` read them. */
#include <stddef.h>
#include <stdint.h>

#include "anchor/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const anchor_color_mode modes[] = {ANCHOR_COLOR_ASIS, ANCHOR_COLOR_RGB, ANCHOR_COLOR_GRAY};
    anchor_image *img = NULL;
    anchor_error err;
    if (anchor_image_decode(data + 1, size - 1, modes[data[0] % 3], &img, &err) == ANCHOR_OK)
        anchor_image_destroy(img);
    return 0;
}
