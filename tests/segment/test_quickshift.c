/* SPDX-License-Identifier: Apache-2.0 */
/* quickshift against skimage 0.19.3: every case of tests/fixtures/quickshift/cases.txt must
 * give identical labels (the share of identical labels is printed when it does not), plus
 * the parameter checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"
#include "seg_fixture.h"
#include "segment/quickshift_internal.h"

/* A case run through anc_seg_quickshift_with (1-channel "u8x1" images as they are). */
static anchor_status run_direct(const seg_case *c, const anchor_image *img, int kernels, anchor_image **labels,
                                anchor_error *err)
{
    anchor_quickshift_params p;
    anchor_quickshift_params_skimage(&p);
    for (int i = 0; i < c->n_kv; i++) {
        const char *k = c->key[i], *v = c->value[i];
        if (!strcmp(k, "ratio"))
            p.ratio = atof(v);
        else if (!strcmp(k, "kernel_size"))
            p.kernel_size = atof(v);
        else if (!strcmp(k, "max_dist"))
            p.max_dist = atof(v);
        else if (!strcmp(k, "sigma"))
            p.sigma = atof(v);
        else if (!strcmp(k, "convert2lab"))
            p.convert2lab = !strcmp(v, "True");
        else if (!strcmp(k, "random_seed"))
            p.random_seed = atoll(v);
    }
    return anc_seg_quickshift_with(img, &p, kernels, labels, err);
}

/* alibi's repeat of a gray image to 3 channels (for runs outside the segmenter front end) */
static anchor_image *repeat3(anchor_image *img)
{
    if (anchor_image_channels(img) != 1)
        return img;
    anchor_image *out = NULL;
    anchor_error err = {0};
    int64_t n = anchor_image_height(img) * anchor_image_width(img);
    if (anchor_image_create(1, anchor_image_height(img), anchor_image_width(img), 3, anchor_image_dtype(img), &out,
                            &err) == ANCHOR_OK) {
        size_t es = anchor_image_nbytes(img) / (size_t)n;
        const unsigned char *s = anchor_image_cdata(img);
        unsigned char *d = anchor_image_data(out);
        for (int64_t i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                memcpy(d + ((size_t)i * 3 + (size_t)k) * es, s + (size_t)i * es, es);
    }
    anchor_image_destroy(img);
    return out;
}

/* kernels: SEG_QS_AVX512 runs every case through the segmenter front end (as the CLI
 * does); the narrower code paths run the smaller images directly. */
static void fidelity(int kernels)
{
    seg_case cases[32];
    int n = seg_cases_read("quickshift", cases, 32);
    CHECK(n >= 4);
    for (int i = 0; i < n; i++) {
        const seg_case *c = &cases[i];
        if (kernels != SEG_QS_AVX512 && !strstr(c->image, "rocket") && !strstr(c->image, "gray") &&
            strcmp(c->name, "qs_lime_astronaut") != 0)
            continue;
        anchor_image *img = seg_case_input("quickshift", c), *want = fixture_npy_load("quickshift", c->name);
        anchor_image *got = NULL;
        anchor_error err = {0};
        anchor_status st = ANCHOR_ERR_INTERNAL;
        if (img && want) {
            if (!strcmp(c->dtype, "u8x1")) {
                st = run_direct(c, img, kernels, &got, &err);
            } else if (kernels != SEG_QS_AVX512) {
                img = repeat3(img);
                st = img ? run_direct(c, img, kernels, &got, &err) : ANCHOR_ERR_NOMEM;
            } else {
                st = seg_case_segment("quickshift", c, img, &got, &err);
            }
        }
        CHECKF(st == ANCHOR_OK, "%s: %s", c->name, err.message);
        if (got && want) {
            double agree = fixture_labels_agreement(got, want);
            CHECKF(agree == 100.0, "%s (kernels %d): %.4f%% of labels identical (K = %d, skimage %d)", c->name,
                   kernels, agree, seg_labels_max(got) + 1, seg_labels_max(want) + 1);
            printf("%s (kernels %d): %d segments, %.4f%% identical\n", c->name, kernels, seg_labels_max(got) + 1,
                   agree);
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
    CHECK(anchor_image_create(1, 8, 9, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    anchor_quickshift_params p;

    anchor_quickshift_params_skimage(&p);
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_OK);
    CHECK(labels && seg_labels_max(labels) == 0); /* a flat image is one segment */
    anchor_image_destroy(labels);

    double bad_kernel[] = {0.0, -1.0, 0.5, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_kernel / sizeof *bad_kernel; i++) {
        anchor_quickshift_params_skimage(&p);
        p.kernel_size = bad_kernel[i];
        CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !labels);
        CHECKF(strstr(err.message, "kernel_size") != NULL, "%s", err.message);
    }
    double bad_ratio[] = {-0.1, 1.5, NAN};
    for (size_t i = 0; i < sizeof bad_ratio / sizeof *bad_ratio; i++) {
        anchor_quickshift_params_skimage(&p);
        p.ratio = bad_ratio[i];
        CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !labels);
        CHECKF(strstr(err.message, "ratio") != NULL, "%s", err.message);
    }
    anchor_quickshift_params_skimage(&p);
    p.max_dist = 0;
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "max_dist") != NULL);
    anchor_quickshift_params_skimage(&p);
    p.sigma = -1;
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "sigma") != NULL);
    anchor_quickshift_params_skimage(&p);
    p.random_seed = -3;
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    p.random_seed = 1LL << 32;
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "random_seed") != NULL);
    anchor_image_destroy(img);

    /* convert2lab needs RGB; other dtypes are refused */
    CHECK(anchor_image_create(1, 8, 9, 1, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    anchor_quickshift_params_skimage(&p);
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "convert2lab") != NULL);
    anchor_image_destroy(img);
    CHECK(anchor_image_create(1, 8, 9, 3, ANCHOR_DTYPE_I32, &img, &err) == ANCHOR_OK);
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_UNSUPPORTED);
    anchor_image_destroy(img);

    /* more segments than ANCHOR_MAX_SEGMENTS: a 300 x 300 checkerboard of distinct
     * colours, each pixel its own segment with a tiny max_dist */
    CHECK(anchor_image_create(1, 300, 300, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    uint8_t *px = anchor_image_data(img);
    for (int i = 0; i < 300 * 300 * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 24);
    anchor_quickshift_params_skimage(&p);
    p.kernel_size = 1;
    p.max_dist = 1e-3;
    CHECK(anchor_quickshift(img, &p, &labels, &err) == ANCHOR_ERR_LIMIT && !labels);
    CHECKF(strstr(err.message, "65536") != NULL, "%s", err.message);
    anchor_image_destroy(img);

    /* the front end rejects bad text values with the key in the message */
    anchor_segmenter *s = NULL;
    CHECK(anchor_segmenter_create("quickshift", &s, &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "kernel_size", "0", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "kernel_size") != NULL);
    CHECK(anchor_segmenter_set(s, "ratio", "2", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "ratio", "abc", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_segmenter_set(s, "n_segments", "3", &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    anchor_segmenter_destroy(s);
}

/* No argument: every case on the widest kernels, and bad input. "paths": the narrower
 * code paths and the exact-comparison mode on the smaller cases (slower, labelled slow). */
int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "paths")) {
        fidelity(SEG_QS_AVX2);
        fidelity(SEG_QS_PORTABLE);
        /* skimage's exact sums behind every comparison, in each code path */
        fidelity(SEG_QS_AVX512 | SEG_QS_EXACT);
        fidelity(SEG_QS_AVX2 | SEG_QS_EXACT);
        fidelity(SEG_QS_PORTABLE | SEG_QS_EXACT);
    } else {
        fidelity(SEG_QS_AVX512);
        bad_input();
    }
    return harness_finish();
}
