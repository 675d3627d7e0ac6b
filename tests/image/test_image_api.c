/* SPDX-License-Identifier: Apache-2.0 */
/* The array helpers of anchor/image.h against NumPy (tests/fixtures/api, written by
 * tools/make_api_fixtures.py): anchor_image_convert equals ndarray.astype(float32 /
 * float64) bit for bit, anchor_image_stack equals np.concatenate(axis=0); and
 * anchor_image_wrap borrows: the handle shows the caller's own bytes, writes through it
 * land in the caller's buffer, and destroying it leaves the buffer alone (a stack buffer
 * here, so a free() of it would crash or be reported by ASan). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/image.h"
#include "anchor/resize.h"
#include "harness.h"

static anchor_image *load(const char *name)
{
    char path[4096];
    const char *root = getenv("ANCHOR_FIXTURES");
    snprintf(path, sizeof path, "%s/api/%s.npy", root ? root : "tests/fixtures", name);
    anchor_image *im = NULL;
    anchor_error err = {0};
    CHECKF(anchor_npy_load(path, &im, &err) == ANCHOR_OK, "%s", err.message);
    return im;
}

static bool same(const anchor_image *a, const anchor_image *b)
{
    return a && b && anchor_image_count(a) == anchor_image_count(b) && anchor_image_height(a) == anchor_image_height(b) &&
           anchor_image_width(a) == anchor_image_width(b) && anchor_image_channels(a) == anchor_image_channels(b) &&
           anchor_image_dtype(a) == anchor_image_dtype(b) &&
           memcmp(anchor_image_cdata(a), anchor_image_cdata(b), anchor_image_nbytes(a)) == 0;
}

static void test_convert(void)
{
    static const char *names[] = {"u8", "u16", "i32", "i64", "f32", "f64"};
    static const struct {
        const char *suffix;
        anchor_dtype dtype;
    } to[] = {{"f32", ANCHOR_DTYPE_F32}, {"f64", ANCHOR_DTYPE_F64}};
    anchor_error err = {0};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t t = 0; t < 2; t++) {
            char want_name[64];
            snprintf(want_name, sizeof want_name, "convert_%s_%s", names[i], to[t].suffix);
            char src_name[64];
            snprintf(src_name, sizeof src_name, "convert_%s", names[i]);
            anchor_image *src = load(src_name), *want = load(want_name), *got = NULL;
            if (src && want) {
                CHECKF(anchor_image_convert(src, to[t].dtype, &got, &err) == ANCHOR_OK, "%s", err.message);
                CHECKF(same(got, want), "%s differs from NumPy's astype", want_name);
            }
            anchor_image_destroy(src);
            anchor_image_destroy(want);
            anchor_image_destroy(got);
        }
    /* integer targets are refused, not wrapped */
    anchor_image *f = load("convert_f64"), *bad = (anchor_image *)1;
    if (f) {
        CHECK(anchor_image_convert(f, ANCHOR_DTYPE_U8, &bad, &err) == ANCHOR_ERR_UNSUPPORTED && !bad);
        CHECKF(strstr(err.message, "float64 to uint8"), "%s", err.message);
    }
    anchor_image_destroy(f);
}

static void test_stack(void)
{
    anchor_error err = {0};
    anchor_image *parts[3] = {load("stack_part0"), load("stack_part1"), load("stack_part2")};
    anchor_image *want = load("stack_all"), *got = NULL;
    if (parts[0] && parts[1] && parts[2] && want) {
        CHECKF(anchor_image_stack((const anchor_image *const *)parts, 3, &got, &err) == ANCHOR_OK, "%s", err.message);
        CHECK(same(got, want));
        anchor_image_destroy(got);
        /* a part of another dtype or size is named */
        anchor_image *other = load("convert_f64"), *mixed[2] = {parts[0], other}, *none = (anchor_image *)1;
        CHECK(anchor_image_stack((const anchor_image *const *)mixed, 2, &none, &err) == ANCHOR_ERR_INVALID_ARGUMENT &&
              !none);
        CHECKF(strstr(err.message, "image 1 is 3x7x1 float64 but image 0 is 3x4x3 float32"), "%s", err.message);
        CHECK(anchor_image_stack((const anchor_image *const *)mixed, 0, &none, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
        anchor_image_destroy(other);
    }
    for (int i = 0; i < 3; i++)
        anchor_image_destroy(parts[i]);
    anchor_image_destroy(want);
}

static void test_wrap(void)
{
    anchor_error err = {0};
    float pixels[2 * 3 * 4 * 1];
    for (int i = 0; i < 24; i++)
        pixels[i] = (float)i * 0.5f;
    anchor_image *w = NULL;
    CHECKF(anchor_image_wrap(pixels, 2, 3, 4, 1, ANCHOR_DTYPE_F32, &w, &err) == ANCHOR_OK, "%s", err.message);
    if (!w)
        return;
    CHECK(anchor_image_data(w) == (void *)pixels && anchor_image_cdata(w) == (const void *)pixels);
    CHECK(anchor_image_count(w) == 2 && anchor_image_height(w) == 3 && anchor_image_width(w) == 4 &&
          anchor_image_channels(w) == 1 && anchor_image_nbytes(w) == sizeof pixels);
    ((float *)anchor_image_data(w))[5] = -7.0f;
    CHECK(pixels[5] == -7.0f);
    /* the library reads a borrowed image like its own: slice 1 is pixels[12..23] */
    anchor_image *second = NULL;
    CHECK(anchor_image_slice(w, 1, &second, &err) == ANCHOR_OK);
    CHECK(second && memcmp(anchor_image_cdata(second), pixels + 12, 12 * sizeof(float)) == 0);
    anchor_image_destroy(second);
    anchor_image_destroy(w); /* frees the handle only: pixels live on the stack */
    CHECK(pixels[23] == 11.5f);

    /* a resize of an already-sized borrowed float image is a copy, not an error */
    anchor_image *one = NULL, *copy = NULL;
    CHECK(anchor_image_wrap(pixels, 1, 3, 4, 1, ANCHOR_DTYPE_F32, &one, &err) == ANCHOR_OK);
    CHECKF(anchor_resize(one, 3, 4, ANCHOR_RESIZE_BICUBIC, &copy, &err) == ANCHOR_OK, "%s", err.message);
    CHECK(copy && anchor_image_cdata(copy) != (const void *)pixels &&
          memcmp(anchor_image_cdata(copy), pixels, 12 * sizeof(float)) == 0);
    anchor_image_destroy(copy);
    CHECK(anchor_resize(one, 4, 3, ANCHOR_RESIZE_BICUBIC, &copy, &err) == ANCHOR_ERR_UNSUPPORTED && !copy);
    anchor_image_destroy(one);

    /* refused: no buffer, a misaligned one, a shape beyond the limits */
    anchor_image *bad = (anchor_image *)1;
    CHECK(anchor_image_wrap(NULL, 1, 3, 4, 1, ANCHOR_DTYPE_F32, &bad, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !bad);
    bad = (anchor_image *)1;
    CHECK(anchor_image_wrap((char *)pixels + 1, 1, 2, 2, 1, ANCHOR_DTYPE_F32, &bad, &err) ==
              ANCHOR_ERR_INVALID_ARGUMENT && !bad);
    CHECKF(strstr(err.message, "aligned to 4 bytes"), "%s", err.message);
    bad = (anchor_image *)1;
    CHECK(anchor_image_wrap(pixels, 1, 0, 4, 1, ANCHOR_DTYPE_F32, &bad, &err) == ANCHOR_ERR_LIMIT && !bad);
}

int main(void)
{
    test_convert();
    test_stack();
    test_wrap();
    return harness_finish();
}
