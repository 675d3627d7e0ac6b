/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the ONNX tests: float32 .npy arrays (plain or gzip'd) into memory. */
#ifndef ANCHOR_TEST_ONNX_UTIL_H
#define ANCHOR_TEST_ONNX_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image/npy.h"

/* Reads PATH (gzip'd or not: gzread passes plain files through). Returns a malloc'd float
 * array and its shape, or NULL. */
static inline float *test_load_npy(const char *path, int *ndim, int64_t *shape)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, size = 0;
    unsigned char *bytes = malloc(cap);
    int n;
    while (bytes && (n = gzread(f, bytes + size, (unsigned)(cap - size))) > 0) {
        size += (size_t)n;
        if (size == cap) {
            unsigned char *b = realloc(bytes, cap *= 2);
            if (!b) {
                free(bytes);
                bytes = NULL;
            }
            bytes = b;
        }
    }
    gzclose(f);
    if (!bytes)
        return NULL;
    anchor_npy_header h;
    const unsigned char *data;
    anchor_error err;
    float *out = NULL;
    if (!anc_npy_parse(bytes, size, &h, &data, &err) && h.dtype == ANCHOR_DTYPE_F32) {
        out = malloc(h.nbytes ? h.nbytes : 1);
        if (out)
            memcpy(out, data, h.nbytes);
        *ndim = h.ndim;
        for (int i = 0; i < h.ndim; i++)
            shape[i] = h.shape[i];
    } else {
        fprintf(stderr, "%s: %s\n", path, err.message);
    }
    free(bytes);
    return out;
}

static inline int64_t test_count(int ndim, const int64_t *shape)
{
    int64_t c = 1;
    for (int i = 0; i < ndim; i++)
        c *= shape[i];
    return c;
}

static inline double test_max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = d; /* NaN propagates as a failure */
    }
    return m;
}

#endif
