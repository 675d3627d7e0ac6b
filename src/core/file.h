/* SPDX-License-Identifier: Apache-2.0 */
/* File helpers shared by every stage: whole-file reads with a size bound, and atomic
 * writes (temporary file beside the target, renamed into place on success), so that a
 * failed run never leaves a half-written output behind. */
#ifndef ANCHOR_CORE_FILE_H
#define ANCHOR_CORE_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "anchor/status.h"

typedef struct anchor_atomic_file {
    FILE *fp;
    char *tmp_path;
    char *final_path;
} anchor_atomic_file;

anchor_status anc_atomic_open(anchor_atomic_file *f, const char *path, anchor_error *err);
/* Flush, close and rename into place. On failure the temporary file is removed. */
anchor_status anc_atomic_commit(anchor_atomic_file *f, anchor_error *err);
/* Discard: close and remove the temporary file. Safe to call twice or after commit. */
void anc_atomic_abort(anchor_atomic_file *f);

/* Read a whole file into a malloc'd buffer (NUL-terminated for convenience), refusing
 * files larger than max_bytes and anything but a regular file; "-" reads standard input
 * (same bound). */
anchor_status anc_read_file(const char *path, unsigned char **bytes, size_t *size,
                               size_t max_bytes, anchor_error *err);

/* Open `path` for reading only if it is a regular file of at most max_bytes (checked with
 * fstat on the descriptor, never blocking on a FIFO). *size gets its size (may be NULL). */
anchor_status anc_file_open_regular(const char *path, int *fd, size_t *size, size_t max_bytes,
                                    anchor_error *err);

#endif
