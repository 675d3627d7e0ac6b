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

    anchor_image *f = NULL;
    CHECK(anchor_image_create(1, 2, 2, 1, ANCHOR_DTYPE_F32, &f, &err) == ANCHOR_OK);
    CHECK(anchor_labels_normalize(f, &k, NULL, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "integer") != NULL);
    anchor_image_destroy(f);
    return harness_finish();
}
