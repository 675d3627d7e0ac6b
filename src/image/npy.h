/* SPDX-License-Identifier: Apache-2.0 */
/* NumPy .npy format, for files and for the predictor pipe (private interface).
 *
 * Format: the magic "\x93NUMPY", a major/minor version byte pair (1.0 or 2.0), a
 * little-endian header length (2 bytes in 1.0, 4 in 2.0), then an ASCII Python dict
 * literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces and
 * a final '\n' so the data starts on a 64-byte boundary, then the raw C-order data. */
#ifndef ANCHOR_IMAGE_NPY_H
#define ANCHOR_IMAGE_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/image.h"

#define ANCHOR_NPY_MAX_NDIM 8
#define ANCHOR_NPY_MAX_HEADER (1 << 16)

typedef struct anchor_npy_header {
    anchor_dtype dtype;
    int is_bool; /* '|b1' read as uint8 */
    int ndim;
    int64_t shape[ANCHOR_NPY_MAX_NDIM];
    int64_t count;  /* product of shape */
    size_t nbytes;  /* count * element size */
} anchor_npy_header;

/* A byte source: must fill buf completely, or fail with a message (EOF is an error). */
typedef anchor_status (*anchor_npy_reader)(void *ctx, void *buf, size_t n, anchor_error *err);

/* Read the preamble and header (not the data). Rejects Fortran order, big-endian and
 * unknown dtypes, and arrays larger than max_bytes. */
anchor_status anc_npy_read_header(anchor_npy_reader read, void *ctx, size_t max_bytes,
                                     anchor_npy_header *h, anchor_error *err);

/* Format a version-1.0 preamble+header for (dtype, shape) into buf (cap >= 256 is always
 * enough for ndim <= 8). Returns its length, a multiple of 64. */
size_t anc_npy_format_header(char *buf, size_t cap, anchor_dtype dtype, int ndim,
                                const int64_t *shape);

/* Parse a whole .npy held in memory. *data points into bytes. */
anchor_status anc_npy_parse(const unsigned char *bytes, size_t size, anchor_npy_header *h,
                               const unsigned char **data, anchor_error *err);

/* A whole .npy held in memory as an image: (H,W) and (H,W,C) are one image, (N,H,W,C) a
 * batch. Messages start with `name`. */
anchor_status anc_npy_decode_image(anchor_image **out, const unsigned char *bytes, size_t size, const char *name,
                                  anchor_error *err);

#endif
