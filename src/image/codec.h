/* SPDX-License-Identifier: Apache-2.0 */
/* Private codec entry points (PNG via libpng, JPEG via libjpeg-turbo). */
#ifndef ANCHOR_IMAGE_CODEC_H
#define ANCHOR_IMAGE_CODEC_H

#include "anchor/image.h"

/* A PNG exactly as stored, without Pillow's conversions: uint8 or uint16 samples (palette
 * expanded to RGB(A), sub-byte gray widened to 8 bits), 1 to 4 channels. Used for user
 * label maps, where 16-bit values must survive intact. */
anchor_status anc_png_load_raw(anchor_image **out, const char *path, anchor_error *err);

#endif
