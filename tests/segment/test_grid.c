/* SPDX-License-Identifier: Apache-2.0 */
/* The grid segmenter: tile bounds with integer division, the remainder in the last tiles,
 * row-major labels, and its errors (direct calls and through the segmenter front end). */
#include <stdio.h>
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"

static const int32_t *grid(int64_t h, int64_t w, int rows, int cols, anchor_image **out, anchor_status *st)
{
    anchor_error err = {0};
    anchor_grid_params p = {rows, cols};
    *st = anchor_grid(h, w, &p, out, &err);
    return *out ? anchor_image_cdata(*out) : NULL;
}

int main(void)
{
    anchor_image *l = NULL;
    anchor_status st;
    anchor_error err = {0};

    /* 10 x 7 in 3 x 2 tiles: rows 0-2, 3-5, 6-9; columns 0-2, 3-6 */
    const int32_t *g = grid(10, 7, 3, 2, &l, &st);
    CHECK(st == ANCHOR_OK && g);
    if (g) {
        CHECK(anchor_image_height(l) == 10 && anchor_image_width(l) == 7);
        CHECK(anchor_image_dtype(l) == ANCHOR_DTYPE_I32 && anchor_image_channels(l) == 1);
        int bad = 0;
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 7; x++) {
                int tr = y < 3 ? 0 : y < 6 ? 1 : 2, tc = x < 3 ? 0 : 1;
                bad += g[y * 7 + x] != tr * 2 + tc;
            }
        CHECKF(bad == 0, "%d pixels in the wrong tile", bad);
    }
    anchor_image_destroy(l);

    /* one tile, and one tile per pixel */
    g = grid(5, 4, 1, 1, &l, &st);
    CHECK(st == ANCHOR_OK && g && g[0] == 0 && g[19] == 0);
    anchor_image_destroy(l);
    g = grid(5, 4, 5, 4, &l, &st);
    CHECK(st == ANCHOR_OK && g);
    if (g) {
        int bad = 0;
        for (int i = 0; i < 20; i++)
            bad += g[i] != i;
        CHECK(bad == 0);
    }
    anchor_image_destroy(l);
    /* 28 x 28 (fashion-MNIST) in 4 x 4: 7 pixels each */
    g = grid(28, 28, 4, 4, &l, &st);
    CHECK(st == ANCHOR_OK && g && g[6] == 0 && g[7] == 1 && g[27] == 3 && g[7 * 28] == 4 && g[28 * 28 - 1] == 15);
    anchor_image_destroy(l);

    /* errors: rows / cols < 1 or larger than the image, too many tiles */
    int bad_rc[][2] = {{0, 2}, {2, 0}, {-1, 2}, {11, 2}, {2, 8}};
    for (size_t i = 0; i < sizeof bad_rc / sizeof *bad_rc; i++) {
        g = grid(10, 7, bad_rc[i][0], bad_rc[i][1], &l, &st);
        CHECK(st == ANCHOR_ERR_INVALID_ARGUMENT && !l);
    }
    anchor_grid_params p = {11, 2};
    CHECK(anchor_grid(10, 7, &p, &l, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECKF(strstr(err.message, "rows=11") != NULL, "%s", err.message);
    p = (anchor_grid_params){2, 0};
    CHECK(anchor_grid(10, 7, &p, &l, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECKF(strstr(err.message, "cols=0") != NULL, "%s", err.message);
    p = (anchor_grid_params){300, 300};
    CHECK(anchor_grid(300, 300, &p, &l, &err) == ANCHOR_ERR_LIMIT && !l);
    CHECKF(strstr(err.message, "65536") != NULL, "%s", err.message);

    /* through the front end: the default 4 x 4, rows/cols from text, bad values */
    anchor_segmenter *s = NULL;
    anchor_image *img = NULL;
    CHECK(anchor_image_create(1, 9, 8, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_create("grid", &s, &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_run(s, img, &l, &err) == ANCHOR_OK);
    if (l) {
        const int32_t *d = anchor_image_cdata(l);
        CHECK(d[0] == 0 && d[71] == 15 && d[8 * 8 + 1] == 12); /* 9 rows: tiles of 2, the last 3 */
    }
    anchor_image_destroy(l);
    CHECK(anchor_segmenter_set(s, "rows", "3", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "cols", "2", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_run(s, img, &l, &err) == ANCHOR_OK);
    if (l)
        CHECK(((const int32_t *)anchor_image_cdata(l))[71] == 5);
    anchor_image_destroy(l);
    CHECK(anchor_segmenter_set(s, "rows", "10", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_run(s, img, &l, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !l);
    CHECK(strstr(err.message, "rows") != NULL);
    CHECK(anchor_segmenter_set(s, "rows", "0", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "cols", "x", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "sigma", "1", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    anchor_segmenter_destroy(s);
    anchor_image_destroy(img);
    return harness_finish();
}
