/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a user label map (.npy or gray PNG, anc_labels_decode as
 * anchor_labels_load uses it) and its remapping to 0..K-1, as --segments FILE goes. */
#include <stddef.h>
#include <stdint.h>

#include "anchor/segment.h"
#include "segment/labels_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    anchor_image *labels = NULL, *norm = NULL;
    anchor_error err;
    if (anc_labels_decode(&labels, data, size, "fuzz-labels", &err) != ANCHOR_OK)
        return 0;
    int k = 0, changed = 0;
    if (anchor_labels_normalize(labels, &k, &changed, &norm, &err) == ANCHOR_OK)
        anchor_image_destroy(norm);
    anchor_image_destroy(labels);
    return 0;
}
