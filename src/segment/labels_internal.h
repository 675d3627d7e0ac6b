/* SPDX-License-Identifier: Apache-2.0 */
/* Private: a user label map held in memory (the loader's core, also fuzzed on its own). */
#ifndef ANCHOR_SEGMENT_LABELS_INTERNAL_H
#define ANCHOR_SEGMENT_LABELS_INTERNAL_H

#include <stddef.h>

#include "anchor/image.h"

/* A .npy or gray PNG label map as an H x W integer image; messages start with `path`. */
anchor_status anc_labels_decode(anchor_image **labels, const unsigned char *bytes, size_t size, const char *path,
                                anchor_error *err);

#endif
