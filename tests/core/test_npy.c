/* SPDX-License-Identifier: Apache-2.0 */
/* .npy reading against files NumPy wrote (tools/make_npy_fixtures.py), and round trips. */
#include <stdlib.h>
#include <string.h>

#include "anchor/image.h"
#include "harness.h"

static double value_at(const anchor_image *im, size_t i)
{
    const void *d = anchor_image_cdata(im);
    switch (anchor_image_dtype(im)) {
    case ANCHOR_DTYPE_U8: return ((const uint8_t *)d)[i];
    case ANCHOR_DTYPE_U16: return ((const uint16_t *)d)[i];
    case ANCHOR_DTYPE_I32: return ((const int32_t *)d)[i];
    case ANCHOR_DTYPE_I64: return (double)((const int64_t *)d)[i];
    case ANCHOR_DTYPE_F32: return ((const float *)d)[i];
    case ANCHOR_DTYPE_F64: return ((const double *)d)[i];
    }
    return -1;
}

static void check_file(const char *dir, const char *name, anchor_dtype dt, int64_t n, int64_t h, int64_t w, int64_t c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/npy/%s.npy", dir, name);
    anchor_image *im = NULL;
    anchor_error err = {0};
    anchor_status st = anchor_npy_load(path, &im, &err);
    CHECKF(st == ANCHOR_OK, "%s: %s", name, err.message);
    if (st)
        return;
    CHECK(anchor_image_dtype(im) == dt);
    CHECK(anchor_image_count(im) == n && anchor_image_height(im) == h && anchor_image_width(im) == w &&
          anchor_image_channels(im) == c);
    size_t count = (size_t)(n * h * w * c), bad = 0;
    for (size_t i = 0; i < count; i++)
        if (value_at(im, i) != (double)(i % 251))
            bad++;
    CHECKF(bad == 0, "%s: %zu wrong values", name, bad);

    /* round trip through our writer */
    int ndim = (n > 1) ? 4 : (c > 1 || strstr(name, "hwc")) ? 3 : 2;
    char out[4096];
    snprintf(out, sizeof out, "roundtrip_%s.npy", name);
    CHECK(anchor_npy_save(im, ndim, out, &err) == ANCHOR_OK);
    anchor_image *back = NULL;
    CHECK(anchor_npy_load(out, &back, &err) == ANCHOR_OK);
    if (back) {
        CHECK(anchor_image_nbytes(back) == anchor_image_nbytes(im));
        CHECK(memcmp(anchor_image_cdata(back), anchor_image_cdata(im), anchor_image_nbytes(im)) == 0);
    }
    remove(out);
    anchor_image_destroy(back);
    anchor_image_destroy(im);
}

static void check_bad(const char *dir, const char *name, anchor_status want, const char *needle)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/npy/%s.npy", dir, name);
    anchor_image *im = NULL;
    anchor_error err = {0};
    anchor_status st = anchor_npy_load(path, &im, &err);
    CHECKF(st == want, "%s: status %d (%s)", name, (int)st, err.message);
    CHECK(im == NULL);
    CHECKF(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", name, err.message, needle);
    CHECKF(strstr(err.message, name) != NULL, "%s: message '%s' does not name the file", name, err.message);
}

int main(void)
{
    const char *dir = getenv("ANCHOR_FIXTURES");
    if (!dir)
        dir = "tests/fixtures";
    check_file(dir, "u8_hw", ANCHOR_DTYPE_U8, 1, 5, 7, 1);
    check_file(dir, "i32_hw", ANCHOR_DTYPE_I32, 1, 4, 3, 1);
    check_file(dir, "i64_hwc", ANCHOR_DTYPE_I64, 1, 2, 3, 1);
    check_file(dir, "f32_hwc", ANCHOR_DTYPE_F32, 1, 3, 4, 3);
    check_file(dir, "f64_nhwc", ANCHOR_DTYPE_F64, 2, 3, 2, 3);
    check_file(dir, "u16_hw_v2", ANCHOR_DTYPE_U16, 1, 6, 2, 1);
    check_file(dir, "f32_hw_v2", ANCHOR_DTYPE_F32, 1, 3, 3, 1);
    check_bad(dir, "bad_truncated", ANCHOR_ERR_FORMAT, "truncated");
    check_bad(dir, "bad_fortran", ANCHOR_ERR_UNSUPPORTED, "Fortran");
    check_bad(dir, "bad_bigendian", ANCHOR_ERR_UNSUPPORTED, ">i4");
    check_bad(dir, "bad_complex", ANCHOR_ERR_UNSUPPORTED, "<c8");
    check_bad(dir, "bad_magic", ANCHOR_ERR_FORMAT, "magic");
    check_bad(dir, "does_not_exist", ANCHOR_ERR_IO, "cannot open");
    return harness_finish();
}
