/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers for committed fixtures (tests/fixtures/<area>/, made by tools/ scripts):
 * where they are, whole gzip'd files read with zlib, gzip'd .npy arrays as images, and
 * the agreement of two label maps. One copy for every test area. */
#ifndef ANCHOR_TEST_FIXTURE_NPY_H
#define ANCHOR_TEST_FIXTURE_NPY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "anchor/image.h"
#include "image/npy.h"

/* The fixtures folder: ANCHOR_FIXTURES (set by ctest), else tests/fixtures. */
static inline const char *fixture_root(void)
{
    const char *root = getenv("ANCHOR_FIXTURES");
    return root ? root : "tests/fixtures";
}

/* Reads all of PATH (gzip'd or not: gzread passes plain files through) into a malloc'd
 * buffer with a NUL after the *len bytes; NULL with a message on stderr when it fails. */
static inline unsigned char *fixture_read_gz(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "%s: cannot open\n", path);
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    int got = 0;
    while (buf && (got = gzread(gz, buf + n, (unsigned)(cap - n - 1))) > 0) {
        n += (size_t)got;
        if (cap - n < 2) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int failed = got < 0;
    gzclose(gz);
    if (buf && failed) {
        free(buf);
        buf = NULL;
    }
    if (!buf) {
        fprintf(stderr, "%s: cannot read\n", path);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Load <root>/<area>/<name>.npy.gz as an image (shapes as anchor_npy_load maps them);
 * NULL with a message on stderr when it fails. */
static inline anchor_image *fixture_npy_load(const char *area, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.npy.gz", fixture_root(), area, name);
    size_t len = 0;
    unsigned char *buf = fixture_read_gz(path, &len);
    if (!buf)
        return NULL;
    anchor_npy_header h;
    const unsigned char *data = NULL;
    anchor_error err = {0};
    anchor_image *img = NULL;
    if (anc_npy_parse(buf, len, &h, &data, &err) == ANCHOR_OK) {
        int64_t H = h.shape[0], W = h.ndim > 1 ? h.shape[1] : 1, C = h.ndim > 2 ? h.shape[2] : 1;
        if (anchor_image_create(1, H, W, C, h.dtype, &img, &err) == ANCHOR_OK)
            memcpy(anchor_image_data(img), data, h.nbytes);
    }
    if (!img)
        fprintf(stderr, "%s: %s\n", path, err.message);
    free(buf);
    return img;
}

/* Share of equal int32 labels, in percent (0 when the shapes differ). */
static inline double fixture_labels_agreement(const anchor_image *a, const anchor_image *b)
{
    if (anchor_image_height(a) != anchor_image_height(b) || anchor_image_width(a) != anchor_image_width(b))
        return 0.0;
    size_t n = (size_t)(anchor_image_height(a) * anchor_image_width(a));
    const int32_t *x = anchor_image_cdata(a), *y = anchor_image_cdata(b);
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += x[i] == y[i];
    return 100.0 * (double)same / (double)n;
}

#endif
