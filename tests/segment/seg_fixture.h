/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers for the quickshift/felzenszwalb fixtures (tests/fixtures/<area>, made by
 * tools/make_segment_fixtures.py): the cases.txt table and each case's input; the .npy
 * loading and label comparison are tests/fixture_npy.h's. */
#ifndef ANCHOR_TEST_SEG_FIXTURE_H
#define ANCHOR_TEST_SEG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/image.h"
#include "anchor/segment.h"
#include "fixture_npy.h"

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
    snprintf(path, sizeof path, "%s/%s/cases.txt", fixture_root(), area);
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
    anchor_image *u8 = fixture_npy_load(area, name);
    if (!u8 || strcmp(c->dtype, "f32") != 0)
        return u8;
    anchor_image *f = NULL;
    anchor_error err = {0};
    if (anchor_image_create(1, anchor_image_height(u8), anchor_image_width(u8), anchor_image_channels(u8),
                            ANCHOR_DTYPE_F32, &f, &err) == ANCHOR_OK) {
        const uint8_t *s = anchor_image_cdata(u8);
        float *d = anchor_image_data(f);
        for (size_t i = 0; i < anchor_image_nbytes(u8); i++)
            d[i] = (float)s[i] / 255.0f;
    }
    anchor_image_destroy(u8);
    return f;
}

/* Run a case through the segmenter front end (the path `anchor segment` takes): METHOD with
 * the case's key=value parameters, on IMG. */
static inline anchor_status seg_case_segment(const char *method, const seg_case *c, const anchor_image *img,
                                             anchor_image **got, anchor_error *err)
{
    anchor_segmenter *s = NULL;
    anchor_status st = anchor_segmenter_create(method, &s, err);
    for (int k = 0; !st && k < c->n_kv; k++)
        st = anchor_segmenter_set(s, c->key[k], c->value[k], err);
    if (!st)
        st = anchor_segmenter_run(s, img, got, err);
    anchor_segmenter_destroy(s);
    return st;
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
