/* SPDX-License-Identifier: Apache-2.0 */
/* User label maps: anchor_labels_load on .npy (int32, int64, uint8, uint16) and 8/16-bit
 * gray PNG with arbitrary labels, then anchor_labels_normalize's remap to 0..K-1 by sorted
 * value; wrong shapes, dtypes and files fail with a message naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anchor/segment.h"
#include "harness.h"

static char dir[] = "/tmp/anchor_labels_XXXXXX";

static const char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* A 3 x 4 map with labels taken from vals[] by the pattern below (4 distinct values). */
static const int pattern[12] = {2, 2, 0, 0, 2, 3, 3, 0, 1, 1, 3, 0};

static anchor_image *make_map(anchor_dtype dt, const int64_t vals[4], int64_t h, int64_t w, int64_t c)
{
    anchor_image *m = NULL;
    anchor_error err = {0};
    if (anchor_image_create(1, h, w, c, dt, &m, &err))
        return NULL;
    void *d = anchor_image_data(m);
    for (int64_t i = 0; i < h * w * c; i++) {
        int64_t v = vals[pattern[i % 12]];
        switch (dt) {
        case ANCHOR_DTYPE_U8: ((uint8_t *)d)[i] = (uint8_t)v; break;
        case ANCHOR_DTYPE_U16: ((uint16_t *)d)[i] = (uint16_t)v; break;
        case ANCHOR_DTYPE_I32: ((int32_t *)d)[i] = (int32_t)v; break;
        case ANCHOR_DTYPE_I64: ((int64_t *)d)[i] = v; break;
        case ANCHOR_DTYPE_F32: ((float *)d)[i] = (float)v; break;
        case ANCHOR_DTYPE_F64: ((double *)d)[i] = (double)v; break;
        }
    }
    return m;
}

/* Load and normalize; the result must be the pattern with labels ranked by value. */
static void check_roundtrip(const char *file, const int64_t vals[4], int sorted_rank[4], int expect_changed)
{
    anchor_image *m = NULL, *n = NULL;
    anchor_error err = {0};
    CHECKF(anchor_labels_load(path_of(file), &m, &err) == ANCHOR_OK, "%s: %s", file, err.message);
    if (!m)
        return;
    CHECK(anchor_image_height(m) == 3 && anchor_image_width(m) == 4 && anchor_image_channels(m) == 1);
    int k = 0;
    bool changed = !expect_changed; /* so a call that never writes it fails */
    CHECKF(anchor_labels_normalize(m, &k, &changed, &n, &err) == ANCHOR_OK, "%s: %s", file, err.message);
    CHECKF(k == 4, "%s: K = %d", file, k);
    CHECKF(changed == (expect_changed != 0), "%s: changed = %d", file, (int)changed);
    if (n) {
        const int32_t *l = anchor_image_cdata(n);
        int bad = 0;
        for (int i = 0; i < 12; i++)
            bad += l[i] != sorted_rank[pattern[i]];
        CHECKF(bad == 0, "%s: %d labels wrong", file, bad);
    }
    (void)vals;
    anchor_image_destroy(m);
    anchor_image_destroy(n);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    anchor_error err = {0};
    anchor_image *m;

    /* arbitrary labels per dtype; rank[j] = position of vals[j] in sorted order */
    static const struct {
        anchor_dtype dt;
        const char *file;
        int64_t vals[4];
        int rank[4];
        int changed;
    } cases[] = {
        {ANCHOR_DTYPE_I32, "i32.npy", {-7, 1000000, 3, 42}, {0, 3, 1, 2}, 1},
        {ANCHOR_DTYPE_I64, "i64.npy", {5000000000LL, -5000000000LL, 0, 1}, {3, 0, 1, 2}, 1},
        {ANCHOR_DTYPE_U8, "u8.npy", {255, 0, 17, 16}, {3, 0, 2, 1}, 1},
        {ANCHOR_DTYPE_U16, "u16.npy", {65535, 300, 2, 1}, {3, 2, 1, 0}, 1},
        {ANCHOR_DTYPE_I32, "slic1.npy", {1, 2, 3, 4}, {0, 1, 2, 3}, 1}, /* slic's start_label=1 */
        {ANCHOR_DTYPE_I64, "ok.npy", {3, 1, 0, 2}, {3, 1, 0, 2}, 0},      /* already 0..K-1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        m = make_map(cases[i].dt, cases[i].vals, 3, 4, 1);
        CHECK(m && anchor_npy_save(m, 2, path_of(cases[i].file), &err) == ANCHOR_OK);
        anchor_image_destroy(m);
        int rank[4];
        memcpy(rank, cases[i].rank, sizeof rank);
        check_roundtrip(cases[i].file, cases[i].vals, rank, cases[i].changed);
    }
    /* (H, W, 1) is a label map too */
    static const int64_t v3[4] = {9, 8, 7, 6};
    int r3[4] = {3, 2, 1, 0};
    m = make_map(ANCHOR_DTYPE_I32, v3, 3, 4, 1);
    CHECK(m && anchor_npy_save(m, 3, path_of("hw1.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    check_roundtrip("hw1.npy", v3, r3, 1);

    /* 16-bit and 8-bit gray PNG label maps keep their values */
    static const int64_t vp[4] = {60000, 256, 1, 4097};
    int rp[4] = {3, 1, 0, 2};
    m = make_map(ANCHOR_DTYPE_U16, vp, 3, 4, 1);
    CHECK(m && anchor_png_save(m, path_of("l16.png"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    check_roundtrip("l16.png", vp, rp, 1);
    anchor_image *raw = NULL;
    if (anchor_labels_load(path_of("l16.png"), &raw, &err) == ANCHOR_OK) {
        CHECK(anchor_image_dtype(raw) == ANCHOR_DTYPE_U16);
        CHECK(((const uint16_t *)anchor_image_cdata(raw))[5] == 4097); /* pattern[5] = 3 */
        anchor_image_destroy(raw);
    }
    static const int64_t v8[4] = {200, 10, 0, 99};
    int r8[4] = {3, 1, 0, 2};
    m = make_map(ANCHOR_DTYPE_U8, v8, 3, 4, 1);
    CHECK(m && anchor_png_save(m, path_of("l8.png"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    check_roundtrip("l8.png", v8, r8, 1);

    /* wrong dtypes and shapes */
    anchor_image *out = NULL;
    m = make_map(ANCHOR_DTYPE_F32, v3, 3, 4, 1);
    CHECK(m && anchor_npy_save(m, 2, path_of("f32.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    CHECK(anchor_labels_load(path_of("f32.npy"), &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    CHECKF(strstr(err.message, "f32.npy") && strstr(err.message, "float32"), "%s", err.message);
    m = make_map(ANCHOR_DTYPE_F64, v3, 3, 4, 1);
    CHECK(m && anchor_npy_save(m, 2, path_of("f64.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    CHECK(anchor_labels_load(path_of("f64.npy"), &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    m = make_map(ANCHOR_DTYPE_I32, v3, 3, 4, 3);
    CHECK(m && anchor_npy_save(m, 3, path_of("hw3.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(m);
    CHECK(anchor_labels_load(path_of("hw3.npy"), &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    CHECKF(strstr(err.message, "hw3.npy") != NULL, "%s", err.message);
    anchor_image *batch = NULL;
    CHECK(anchor_image_create(2, 3, 4, 1, ANCHOR_DTYPE_I32, &batch, &err) == ANCHOR_OK);
    CHECK(anchor_npy_save(batch, 4, path_of("batch.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(batch);
    CHECK(anchor_labels_load(path_of("batch.npy"), &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    anchor_image *rgb = NULL;
    CHECK(anchor_image_create(1, 3, 4, 3, ANCHOR_DTYPE_U8, &rgb, &err) == ANCHOR_OK);
    CHECK(anchor_png_save(rgb, path_of("rgb.png"), &err) == ANCHOR_OK);
    anchor_image_destroy(rgb);
    CHECK(anchor_labels_load(path_of("rgb.png"), &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);

    /* not a label file, missing, truncated */
    FILE *f = fopen(path_of("junk.txt"), "w");
    if (f) {
        fputs("1 2 3\n", f);
        fclose(f);
    }
    CHECK(anchor_labels_load(path_of("junk.txt"), &out, &err) == ANCHOR_ERR_FORMAT && !out);
    CHECK(strstr(err.message, "junk.txt") != NULL);
    CHECK(anchor_labels_load(path_of("missing.npy"), &out, &err) == ANCHOR_ERR_IO && !out);
    f = fopen(path_of("trunc.npy"), "w");
    if (f) {
        fwrite("\x93NUMPY\x01\x00", 1, 8, f);
        fclose(f);
    }
    CHECK(anchor_labels_load(path_of("trunc.npy"), &out, &err) != ANCHOR_OK && !out);

    /* more segments than ANCHOR_MAX_SEGMENTS */
    anchor_image *big = NULL;
    CHECK(anchor_image_create(1, 300, 300, 1, ANCHOR_DTYPE_I32, &big, &err) == ANCHOR_OK);
    int32_t *bd = anchor_image_data(big);
    for (int i = 0; i < 300 * 300; i++)
        bd[i] = i * 3 - 5;
    CHECK(anchor_npy_save(big, 2, path_of("big.npy"), &err) == ANCHOR_OK);
    anchor_image_destroy(big);
    big = NULL;
    CHECK(anchor_labels_load(path_of("big.npy"), &big, &err) == ANCHOR_OK);
    int k = 0;
    CHECK(big && anchor_labels_normalize(big, &k, NULL, &out, &err) == ANCHOR_ERR_LIMIT && !out);
    CHECKF(strstr(err.message, "65536") != NULL, "%s", err.message);
    anchor_image_destroy(big);

    /* clean up */
    const char *files[] = {"i32.npy", "i64.npy", "u8.npy", "u16.npy", "slic1.npy", "ok.npy", "hw1.npy",
                           "l16.png", "l8.png", "f32.npy", "f64.npy", "hw3.npy", "batch.npy", "rgb.png",
                           "junk.txt", "trunc.npy", "big.npy"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(path_of(files[i]));
    rmdir(dir);
    return harness_finish();
}
