/* SPDX-License-Identifier: Apache-2.0 */
/* felzenszwalb against skimage 0.19.3: every case of tests/fixtures/felzenszwalb/cases.txt
 * must give identical labels (the share of identical labels is printed when it does not),
 * plus the parameter checks. The sigma=0 cases have many equal edge weights, so they also
 * check that equal weights are visited in numpy's (unstable) argsort order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"
#include "seg_fixture.h"

static anchor_status run_direct(const seg_case *c, const anchor_image *img, anchor_image **labels, anchor_error *err)
{
    anchor_felzenszwalb_params p;
    anchor_felzenszwalb_params_skimage(&p);
    for (int i = 0; i < c->n_kv; i++) {
        if (!strcmp(c->key[i], "scale"))
            p.scale = atof(c->value[i]);
        else if (!strcmp(c->key[i], "sigma"))
            p.sigma = atof(c->value[i]);
        else if (!strcmp(c->key[i], "min_size"))
            p.min_size = atoi(c->value[i]);
    }
    return anchor_felzenszwalb(img, &p, labels, err);
}

static void fidelity(void)
{
    seg_case cases[32];
    int n = seg_cases_read("felzenszwalb", cases, 32);
    CHECK(n >= 4);
    for (int i = 0; i < n; i++) {
        const seg_case *c = &cases[i];
        anchor_image *img = seg_case_input("felzenszwalb", c), *want = fixture_npy_load("felzenszwalb", c->name);
        anchor_image *got = NULL;
        anchor_error err = {0};
        anchor_status st = ANCHOR_ERR_INTERNAL;
        if (img && want) {
            if (!strcmp(c->dtype, "u8x1")) {
                st = run_direct(c, img, &got, &err);
            } else {
                st = seg_case_segment("felzenszwalb", c, img, &got, &err);
            }
        }
        CHECKF(st == ANCHOR_OK, "%s: %s", c->name, err.message);
        if (got && want) {
            double agree = fixture_labels_agreement(got, want);
            CHECKF(agree == 100.0, "%s: %.4f%% of labels identical (K = %d, skimage %d)", c->name, agree,
                   seg_labels_max(got) + 1, seg_labels_max(want) + 1);
            printf("%s: %d segments, %.4f%% identical\n", c->name, seg_labels_max(got) + 1, agree);
        }
        anchor_image_destroy(img);
        anchor_image_destroy(want);
        anchor_image_destroy(got);
    }
}

static void bad_input(void)
{
    anchor_image *img = NULL, *labels = NULL;
    anchor_error err = {0};
    CHECK(anchor_image_create(1, 7, 5, 3, ANCHOR_DTYPE_F64, &img, &err) == ANCHOR_OK);
    anchor_felzenszwalb_params p;
    anchor_felzenszwalb_params_skimage(&p);
    CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_OK);
    CHECK(labels && seg_labels_max(labels) == 0); /* a flat image is one segment */
    anchor_image_destroy(labels);

    double bad_scale[] = {0.0, -2.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_scale / sizeof *bad_scale; i++) {
        anchor_felzenszwalb_params_skimage(&p);
        p.scale = bad_scale[i];
        CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !labels);
        CHECKF(strstr(err.message, "scale") != NULL, "%s", err.message);
    }
    anchor_felzenszwalb_params_skimage(&p);
    p.sigma = -0.5;
    CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "sigma") != NULL);
    anchor_felzenszwalb_params_skimage(&p);
    p.min_size = -1;
    CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "min_size") != NULL);
    anchor_image_destroy(img);

    /* one-pixel-wide images have no diagonal edges */
    CHECK(anchor_image_create(1, 1, 6, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    ((uint8_t *)anchor_image_data(img))[9] = 255;
    p = (anchor_felzenszwalb_params){1.0, 0.0, 0};
    CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_OK);
    if (labels) {
        const int32_t *l = anchor_image_cdata(labels);
        CHECK(l[0] == 0 && l[2] == 0 && l[3] == 1 && l[5] == 2); /* 0 0 0 | 1 | 2 2 */
    }
    anchor_image_destroy(labels);
    anchor_image_destroy(img);

    /* more segments than ANCHOR_MAX_SEGMENTS: noise with min_size 0 and a tiny scale */
    CHECK(anchor_image_create(1, 300, 300, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    uint8_t *px = anchor_image_data(img);
    for (int i = 0; i < 300 * 300 * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 24);
    p = (anchor_felzenszwalb_params){1e-6, 0.0, 0};
    CHECK(anchor_felzenszwalb(img, &p, &labels, &err) == ANCHOR_ERR_LIMIT && !labels);
    CHECKF(strstr(err.message, "65536") != NULL, "%s", err.message);
    anchor_image_destroy(img);

    anchor_segmenter *s = NULL;
    CHECK(anchor_segmenter_create("felzenszwalb", &s, &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "scale", "0", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "scale") != NULL);
    CHECK(anchor_segmenter_set(s, "scale", "-1", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "min_size", "-3", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "kernel_size", "3", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    anchor_segmenter_destroy(s);
}

int main(void)
{
    fidelity();
    bad_input();
    return harness_finish();
}
