/* SPDX-License-Identifier: Apache-2.0 */
/* Resize against Pillow 9.4 Image.resize on small synthetic photos (41x29 RGB and L,
 * 48x32 RGB), every filter, sizes down, up, mixed, 1x1 and identity (and sizes where
 * Pillow's nearest-neighbour positions drift): the full outputs are in
 * fixtures/image/resize/<mode>_<filter>_<W>x<H>.npy. Every case must be identical; the
 * measured fidelity is printed per case. Also checks the filter names. */
#include <dirent.h>
#include <string.h>

#include "anchor/resize.h"
#include "harness.h"
#include "image_test_util.h"

int main(void)
{
    const char *fx = fixtures_dir();
    char dir[4096], path[8192];
    snprintf(dir, sizeof dir, "%s/image/resize", fx);
    anchor_error err = {0};
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *e;
    int cases = 0, identical_cases = 0, worst = 0;
    while (d && (e = readdir(d))) {
        char mode[8], fname[16];
        int w, h;
        if (sscanf(e->d_name, "%7[a-z]_%15[a-z]_%dx%d.npy", mode, fname, &w, &h) != 4)
            continue;
        anchor_resize_filter f;
        CHECKF(anchor_resize_filter_parse(fname, &f, &err) == ANCHOR_OK, "%s", err.message);
        CHECK(strcmp(anchor_resize_filter_name(f), fname) == 0);
        anchor_image *want = NULL, *got = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        CHECKF(anchor_npy_load(path, &want, &err) == ANCHOR_OK, "%s", err.message);
        anchor_image *s = NULL;
        snprintf(path, sizeof path, "%s/src_%s.npy", dir, mode);
        CHECKF(anchor_npy_load(path, &s, &err) == ANCHOR_OK, "%s", err.message);
        CHECKF(anchor_resize(s, h, w, f, &got, &err) == ANCHOR_OK, "%s", err.message);
        fidelity fd = compare_u8(got, want);
        printf("resize synthetic %-4s %-8s -> %4dx%-4d max_abs_diff=%d identical=%.3f%%\n", mode, fname, w, h,
               fd.max_abs_diff, fidelity_pct(fd));
        CHECKF(fd.same_shape && fd.max_abs_diff == 0, "%s differs from Pillow", e->d_name);
        cases++;
        identical_cases += fd.same_shape && fd.max_abs_diff == 0;
        if (fd.max_abs_diff > worst)
            worst = fd.max_abs_diff;
        anchor_image_destroy(want);
        anchor_image_destroy(got);
        anchor_image_destroy(s);
    }
    if (d)
        closedir(d);
    printf("%d synthetic cases, %d identical, worst max_abs_diff %d\n", cases, identical_cases, worst);
    CHECK(cases >= 116);

    anchor_resize_filter f;
    CHECK(anchor_resize_filter_parse("BiCuBiC", &f, &err) == ANCHOR_OK && f == ANCHOR_RESIZE_BICUBIC);
    CHECK(anchor_resize_filter_parse("Lanczos", &f, &err) == ANCHOR_OK && f == ANCHOR_RESIZE_LANCZOS);
    CHECK(anchor_resize_filter_parse("cubic", &f, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "cubic") != NULL);
    return harness_finish();
}
