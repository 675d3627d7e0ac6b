/* Private image filters shared by the segmenters, each reproducing the reference
 * implementation skimage 0.19.3 relies on. Implemented in colour.c and gaussian.c. */
#ifndef ANCHOR_SEGMENT_FILTERS_H
#define ANCHOR_SEGMENT_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/status.h"

/* scipy.ndimage.gaussian_filter on an H x W x C interleaved array, in place: sigma_y along
 * rows, sigma_x along columns, 0 along channels, mode 'reflect', truncate 4.0. The _f32
 * variant rounds to float32 after each axis pass as scipy does for float32 input. */
anchor_status seg_gaussian_f64(double *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err);
anchor_status seg_gaussian_f32(float *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err);

/* skimage.color.rgb2lab (sRGB, D65, 2 degree observer) on npix interleaved RGB triples in
 * [0, 1], in place, in the precision of the array. */
void seg_rgb2lab_f64(double *rgb, size_t npix);
void seg_rgb2lab_f32(float *rgb, size_t npix);

#endif
