/* SPDX-License-Identifier: Apache-2.0 */
/* Label-map pictures against matplotlib 3.6 (tools/make_viridis_table.py): every case in
 * tests/fixtures/slic/render_cases.txt must give matplotlib's bytes exactly. */
#include <string.h>

#include "anchor/render.h"
#include "harness.h"
#include "fixture_npy.h"

int main(void)
{
    char path[4096], name[256];
    snprintf(path, sizeof path, "%s/slic/render_cases.txt", fixture_root());
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "%s: cannot open", path);
    int cases = 0;
    while (f && fscanf(f, "%200s", name) == 1) {
        char fn[300];
        snprintf(fn, sizeof fn, "render_in_%s", name);
        anchor_image *in = fixture_npy_load("slic", fn);
        snprintf(fn, sizeof fn, "render_out_%s", name);
        anchor_image *want = fixture_npy_load("slic", fn);
        anchor_image *got = NULL;
        anchor_error err = {0};
        CHECKF(in && want, "%s: fixture missing", name);
        if (in && want) {
            CHECKF(anchor_render_labels(in, &got, &err) == ANCHOR_OK, "%s: %s", name, err.message);
            if (got) {
                size_t n = anchor_image_nbytes(want), same = 0;
                const unsigned char *a = anchor_image_cdata(got), *b = anchor_image_cdata(want);
                for (size_t i = 0; i < n && anchor_image_nbytes(got) == n; i++)
                    same += a[i] == b[i];
                CHECKF(same == n, "%s: %zu of %zu bytes equal matplotlib's", name, same, n);
            }
        }
        anchor_image_destroy(in);
        anchor_image_destroy(want);
        anchor_image_destroy(got);
        cases++;
    }
    if (f)
        fclose(f);
    CHECK(cases >= 9);

    /* bad input: a float map, a 3-channel image */
    anchor_error err = {0};
    anchor_image *m = NULL, *out = NULL;
    CHECK(anchor_image_create(1, 2, 2, 1, ANCHOR_DTYPE_F32, &m, &err) == ANCHOR_OK);
    CHECK(anchor_render_labels(m, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && out == NULL);
    CHECK(strstr(err.message, "integer") != NULL);
    anchor_image_destroy(m);
    CHECK(anchor_image_create(1, 2, 2, 3, ANCHOR_DTYPE_I32, &m, &err) == ANCHOR_OK);
    CHECK(anchor_render_labels(m, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && out == NULL);
    anchor_image_destroy(m);
    return harness_finish();
}
