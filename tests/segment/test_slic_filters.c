/* SPDX-License-Identifier: Apache-2.0 */
/* The shared segmentation filters against scipy 1.10 / skimage 0.19.3, bit for bit:
 * rgb2lab in float64 and float32, gaussian_filter on slic's 1 x H x W x C volume (numpy
 * scalar sigmas) and on a plain H x W x C array smaller than the kernel. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "segment/filters.h"
#include "fixture_npy.h"

static size_t count_diff_f64(const double *a, const double *b, size_t n, double *maxd)
{
    size_t d = 0;
    *maxd = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i])) {
            d++;
            if (fabs(a[i] - b[i]) > *maxd)
                *maxd = fabs(a[i] - b[i]);
        }
    return d;
}

static size_t count_diff_f32(const float *a, const float *b, size_t n, double *maxd)
{
    size_t d = 0;
    *maxd = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i])) {
            d++;
            if (fabs((double)a[i] - b[i]) > *maxd)
                *maxd = fabs((double)a[i] - b[i]);
        }
    return d;
}

int main(void)
{
    anchor_error err = {0};
    anchor_image *in = fixture_npy_load("slic", "filt_in_f64");
    CHECK(in != NULL);
    if (!in)
        return harness_finish();
    int64_t h = anchor_image_height(in), w = anchor_image_width(in);
    size_t n = (size_t)(h * w * 3);
    const double *x = anchor_image_cdata(in);

    /* rgb2lab */
    double *lab64 = malloc(n * sizeof *lab64);
    float *lab32 = malloc(n * sizeof *lab32);
    memcpy(lab64, x, n * sizeof *lab64);
    for (size_t i = 0; i < n; i++)
        lab32[i] = (float)x[i];
    anc_seg_rgb2lab_f64(lab64, n / 3);
    anc_seg_rgb2lab_f32(lab32, n / 3);
    anchor_image *ref = fixture_npy_load("slic", "filt_lab_f64");
    double md;
    size_t d;
    CHECK(ref != NULL);
    if (ref) {
        d = count_diff_f64(lab64, anchor_image_cdata(ref), n, &md);
        CHECKF(d == 0, "rgb2lab f64: %zu of %zu values differ (max %g)", d, n, md);
    }
    anchor_image_destroy(ref);
    ref = fixture_npy_load("slic", "filt_lab_f32");
    CHECK(ref != NULL);
    if (ref) {
        d = count_diff_f32(lab32, anchor_image_cdata(ref), n, &md);
        CHECKF(d == 0, "rgb2lab f32: %zu of %zu values differ (max %g)", d, n, md);
    }
    anchor_image_destroy(ref);

    /* gaussian on slic's volume, sigmas in the image's float type */
    static const struct {
        const char *tag;
        double s[3];
    } sig[] = {{"a", {0.5, 0.5, 0.5}}, {"b", {0.3, 0.3, 0.15}}, {"c", {1.7, 2.3, 0.9}}, {"d", {0.0, 3.1, 0.0}}};
    for (size_t t = 0; t < sizeof sig / sizeof sig[0]; t++) {
        char name[64];
        double *g64 = malloc(n * sizeof *g64);
        float *g32 = malloc(n * sizeof *g32);
        memcpy(g64, lab64, n * sizeof *g64);
        memcpy(g32, lab32, n * sizeof *g32);
        double s32[3];
        for (int k = 0; k < 3; k++)
            s32[k] = (double)(float)sig[t].s[k];
        CHECK(anc_seg_gaussian_zyx_f64(g64, h, w, 3, sig[t].s, 0, &err) == ANCHOR_OK);
        CHECK(anc_seg_gaussian_zyx_f32(g32, h, w, 3, s32, 1, &err) == ANCHOR_OK);
        snprintf(name, sizeof name, "filt_gauss_%s_f64", sig[t].tag);
        ref = fixture_npy_load("slic", name);
        CHECK(ref != NULL);
        if (ref) {
            d = count_diff_f64(g64, anchor_image_cdata(ref), n, &md);
            CHECKF(d == 0, "%s: %zu of %zu values differ (max %g)", name, d, n, md);
        }
        anchor_image_destroy(ref);
        snprintf(name, sizeof name, "filt_gauss_%s_f32", sig[t].tag);
        ref = fixture_npy_load("slic", name);
        CHECK(ref != NULL);
        if (ref) {
            d = count_diff_f32(g32, anchor_image_cdata(ref), n, &md);
            CHECKF(d == 0, "%s: %zu of %zu values differ (max %g)", name, d, n, md);
        }
        anchor_image_destroy(ref);
        free(g64);
        free(g32);
    }

    /* plain H x W x C, Python-float sigmas, a 5 x 4 image under a radius-12 kernel */
    {
        double s64[5 * 4 * 3];
        float s32[5 * 4 * 3];
        for (int y = 0; y < 5; y++)
            for (int k = 0; k < 4 * 3; k++) {
                s64[y * 12 + k] = x[y * w * 3 + k];
                s32[y * 12 + k] = (float)x[y * w * 3 + k];
            }
        CHECK(anc_seg_gaussian_f64(s64, 5, 4, 3, 3.0, 1.2, &err) == ANCHOR_OK);
        CHECK(anc_seg_gaussian_f32(s32, 5, 4, 3, 3.0, 1.2, &err) == ANCHOR_OK);
        ref = fixture_npy_load("slic", "filt_gauss_small_f64");
        CHECK(ref != NULL);
        if (ref) {
            d = count_diff_f64(s64, anchor_image_cdata(ref), 60, &md);
            CHECKF(d == 0, "small f64: %zu of 60 values differ (max %g)", d, md);
        }
        anchor_image_destroy(ref);
        ref = fixture_npy_load("slic", "filt_gauss_small_f32");
        CHECK(ref != NULL);
        if (ref) {
            d = count_diff_f32(s32, anchor_image_cdata(ref), 60, &md);
            CHECKF(d == 0, "small f32: %zu of 60 values differ (max %g)", d, md);
        }
        anchor_image_destroy(ref);
    }

    /* the kernel: radius int(4 sigma + 0.5), weights sum to ~1, symmetric */
    double *k = NULL;
    CHECK(anc_seg_gaussian_kernel(0.5, 0, &k) == 2);
    if (k)
        CHECK(k[0] == k[4] && k[1] == k[3] && fabs(k[0] + k[1] + k[2] + k[3] + k[4] - 1) < 1e-15);
    free(k);
    CHECK(anc_seg_gaussian_kernel(1.0 / 8, 0, &k) == 1);
    free(k);
    CHECK(anc_seg_gaussian_kernel(INFINITY, 0, &k) == -1 && k == NULL);
    CHECK(anc_seg_gaussian_f64(lab64, 0, 1, 3, 1, 1, &err) == ANCHOR_ERR_INVALID_ARGUMENT);

    free(lab64);
    free(lab32);
    anchor_image_destroy(in);
    return harness_finish();
}
