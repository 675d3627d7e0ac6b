/* SPDX-License-Identifier: Apache-2.0 */
/* Label-map normalisation: any integer labels become 0..K-1 by sorted value. */
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"

int main(void)
{
    anchor_error err = {0};
    anchor_image *m = NULL, *out = NULL;
    CHECK(anchor_image_create(1, 2, 3, 1, ANCHOR_DTYPE_I64, &m, &err) == ANCHOR_OK);
    int64_t v[6] = {7, -3, 7, 100, -3, 42};
    memcpy(anchor_image_data(m), v, sizeof v);
    int k = 0;
    bool changed = false;
    CHECK(anchor_labels_normalize(m, &k, &changed, &out, &err) == ANCHOR_OK);
    CHECK(k == 4 && changed);
    const int32_t *o = anchor_image_cdata(out);
    int32_t want[6] = {1, 0, 1, 3, 0, 2};
    CHECK(memcmp(o, want, sizeof want) == 0);
    anchor_image *again = NULL;
    CHECK(anchor_labels_normalize(out, &k, &changed, &again, &err) == ANCHOR_OK);
    CHECK(k == 4 && !changed);
    anchor_image_destroy(again);
    anchor_image_destroy(out);
    anchor_image_destroy(m);

    /* starts at 0 but has gaps: the one-pass copy must hand over to the remap */
    CHECK(anchor_image_create(1, 2, 2, 1, ANCHOR_DTYPE_U8, &m, &err) == ANCHOR_OK);
    uint8_t g[4] = {0, 5, 2, 2};
    memcpy(anchor_image_data(m), g, sizeof g);
    CHECK(anchor_labels_normalize(m, &k, &changed, &out, &err) == ANCHOR_OK);
    int32_t want_g[4] = {0, 2, 1, 1};
    CHECK(k == 3 && changed == 1 && memcmp(anchor_image_cdata(out), want_g, sizeof want_g) == 0);
    anchor_image_destroy(out);
    /* already 0..K-1 in a narrow dtype: copied to int32, unchanged */
    uint8_t d[4] = {1, 0, 2, 1};
    memcpy(anchor_image_data(m), d, sizeof d);
    changed = -1;
    CHECK(anchor_labels_normalize(m, &k, &changed, &out, &err) == ANCHOR_OK);
    int32_t want_d[4] = {1, 0, 2, 1};
    CHECK(k == 3 && changed == 0 && anchor_image_dtype(out) == ANCHOR_DTYPE_I32 &&
          memcmp(anchor_image_cdata(out), want_d, sizeof want_d) == 0);
    anchor_image_destroy(out);
    anchor_image_destroy(m);

    anchor_image *f = NULL;
    CHECK(anchor_image_create(1, 2, 2, 1, ANCHOR_DTYPE_F32, &f, &err) == ANCHOR_OK);
    CHECK(anchor_labels_normalize(f, &k, NULL, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "integer") != NULL);
    anchor_image_destroy(f);
    return harness_finish();
}
