/* SPDX-License-Identifier: Apache-2.0 */
/* Private photo decoders shared by load.c (PNG and JPEG from bytes in memory).
 * `name` is the file name (or "<memory>") used in error messages. */
#ifndef ANCHOR_IMAGE_PHOTO_H
#define ANCHOR_IMAGE_PHOTO_H

#include <stddef.h>

#include "anchor/image.h"

/* Largest photo file we read whole into memory. */
#define ANCHOR_PHOTO_MAX_FILE_BYTES ((size_t)1 << 31)

int anc_png_sniff(const unsigned char *bytes, size_t size);
int anc_jpeg_sniff(const unsigned char *bytes, size_t size);

/* Decode with Pillow's conversions (see image.h). */
anchor_status anc_png_decode_photo(anchor_image **out, const unsigned char *bytes, size_t size,
                                      const char *name, anchor_color_mode mode, anchor_error *err);
anchor_status anc_jpeg_decode_photo(anchor_image **out, const unsigned char *bytes, size_t size,
                                       const char *name, anchor_color_mode mode, anchor_error *err);
/* Decode samples as stored (see anc_png_load_raw in codec.h). */
anchor_status anc_png_decode_raw(anchor_image **out, const unsigned char *bytes, size_t size,
                                    const char *name, anchor_error *err);

#endif
