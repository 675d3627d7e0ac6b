/* Test helpers for the SLIC fixtures (tests/fixtures/slic, made by
 * tools/make_slic_fixtures.py): gzip'd .npy files read with zlib. */
#ifndef ANCHOR_TEST_SLIC_FIXTURE_H
#define ANCHOR_TEST_SLIC_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "anchor/image.h"
#include "image/npy.h"

/* Load ANCHOR_FIXTURES/slic/<name>.npy.gz as an image (shapes as anchor_npy_load maps
 * them); NULL with a message on stderr when it fails. */
static inline anchor_image *fixture_load(const char *name)
{
    const char *root = getenv("ANCHOR_FIXTURES");
    char path[4096];
    snprintf(path, sizeof path, "%s/slic/%s.npy.gz", root ? root : "tests/fixtures", name);
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "%s: cannot open\n", path);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    int got;
    while (buf && (got = gzread(gz, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)got;
        if (len == cap) {
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
    gzclose(gz);
    if (!buf)
        return NULL;
    anchor_npy_header h;
    const unsigned char *data = NULL;
    anchor_error err = {0};
    anchor_image *img = NULL;
    if (anchor_npy_parse(buf, len, &h, &data, &err) == ANCHOR_OK) {
        int64_t H = h.shape[0], W = h.ndim > 1 ? h.shape[1] : 1, C = h.ndim > 2 ? h.shape[2] : 1;
        if (anchor_image_create(&img, 1, H, W, C, h.dtype, &err) == ANCHOR_OK)
            memcpy(anchor_image_data(img), data, h.nbytes);
    }
    if (!img)
        fprintf(stderr, "%s: %s\n", path, err.message);
    free(buf);
    return img;
}

/* Share of equal int32 labels, in percent. */
static inline double labels_agreement(const anchor_image *a, const anchor_image *b)
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
