/* Test helpers for the quickshift/felzenszwalb fixtures (tests/fixtures/<area>, made by
 * tools/make_segment_fixtures.py): gzip'd .npy files read with zlib, the cases.txt table,
 * and label comparison. */
#ifndef ANCHOR_TEST_SEG_FIXTURE_H
#define ANCHOR_TEST_SEG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "anchor/image.h"
#include "image/npy.h"

static inline const char *seg_fixture_root(void)
{
    const char *root = getenv("ANCHOR_FIXTURES");
    return root ? root : "tests/fixtures";
}

/* Load <root>/<area>/<name>.npy.gz; NULL with a message on stderr when it fails. */
static inline anchor_image *seg_fixture_load(const char *area, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.npy.gz", seg_fixture_root(), area, name);
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

/* One line of cases.txt: case image dtype key=value... */
typedef struct seg_case {
    char name[64], image[64], dtype[16];
    int n_kv;
    char key[8][32], value[8][32];
} seg_case;

/* Read all cases of an area (at most max); returns the count, or -1. */
static inline int seg_cases_read(const char *area, seg_case *cases, int max)
{
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/%s/cases.txt", seg_fixture_root(), area);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        seg_case *c = &cases[n];
        memset(c, 0, sizeof *c);
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        snprintf(c->name, sizeof c->name, "%s", tok);
        if (!(tok = strtok_r(NULL, " \n", &save)))
            continue;
        snprintf(c->image, sizeof c->image, "%s", tok);
        if (!(tok = strtok_r(NULL, " \n", &save)))
            continue;
        snprintf(c->dtype, sizeof c->dtype, "%s", tok);
        while (c->n_kv < 8 && (tok = strtok_r(NULL, " \n", &save))) {
            char *eq = strchr(tok, '=');
            if (!eq)
                continue;
            *eq = 0;
            snprintf(c->key[c->n_kv], sizeof c->key[0], "%s", tok);
            snprintf(c->value[c->n_kv], sizeof c->value[0], "%s", eq + 1);
            c->n_kv++;
        }
        n++;
    }
    fclose(f);
    return n;
}

/* The input of a case from the stored uint8 image: u8 and u8x1 as stored, f32 as
 * float32(v) / float32(255) (what the fixture script passes). */
static inline anchor_image *seg_case_input(const char *area, const seg_case *c)
{
    char name[128];
    snprintf(name, sizeof name, "img_%s", c->image);
    anchor_image *u8 = seg_fixture_load(area, name);
    if (!u8 || strcmp(c->dtype, "f32") != 0)
        return u8;
    anchor_image *f = NULL;
    anchor_error err = {0};
    if (anchor_image_create(&f, 1, anchor_image_height(u8), anchor_image_width(u8), anchor_image_channels(u8),
                            ANCHOR_DTYPE_F32, &err) == ANCHOR_OK) {
        const uint8_t *s = anchor_image_cdata(u8);
        float *d = anchor_image_data(f);
        for (size_t i = 0; i < anchor_image_nbytes(u8); i++)
            d[i] = (float)s[i] / 255.0f;
    }
    anchor_image_destroy(u8);
    return f;
}

/* Share of equal int32 labels, in percent (0 when the shapes differ). */
static inline double seg_labels_agreement(const anchor_image *a, const anchor_image *b)
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

static inline int32_t seg_labels_max(const anchor_image *a)
{
    size_t n = (size_t)(anchor_image_height(a) * anchor_image_width(a));
    const int32_t *x = anchor_image_cdata(a);
    int32_t m = -1;
    for (size_t i = 0; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

#endif
