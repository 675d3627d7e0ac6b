/* SPDX-License-Identifier: Apache-2.0 */
/* Private image filters shared by the segmenters, each reproducing the reference
 * implementation skimage 0.19.3 relies on. Implemented in colour.c and gaussian.c.
 *
 * Bit-exactness note: numpy on an AVX-512 machine evaluates exp, pow and cbrt with SVML,
 * which differs from glibc's libm in the last bit for a good share of arguments. On AVX2
 * machines (and with NPY_DISABLE_CPU_FEATURES set to the AVX512 features) numpy calls
 * libm, and so do we: our filters equal scipy/skimage computed that way, bit for bit. */
#ifndef ANCHOR_SEGMENT_FILTERS_H
#define ANCHOR_SEGMENT_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/status.h"

/* scipy.ndimage.gaussian_filter on an H x W x C interleaved array, in place: sigma_y along
 * rows, sigma_x along columns, 0 along channels, mode 'reflect', truncate 4.0. The _f32
 * variant rounds to float32 after each axis pass as scipy does for float32 input. Sigmas
 * are Python floats (what quickshift and felzenszwalb pass). A pass is skipped when its
 * sigma is <= 1e-15, as scipy does. */
anchor_status anc_seg_gaussian_f64(double *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err);
anchor_status anc_seg_gaussian_f32(float *img, int64_t h, int64_t w, int64_t c, double sigma_y, double sigma_x,
                               anchor_error *err);

/* The same on skimage.slic's 1 x H x W x C volume: sigma_zyx[0] filters the depth axis of
 * length 1 (which only rescales each value by the kernel's sum, with rounding), then rows,
 * then columns. sigma_is_f32: the sigmas are numpy float32 scalars (slic on a float32
 * image), so scipy's kernel squares sigma in float32. */
anchor_status anc_seg_gaussian_zyx_f64(double *img, int64_t h, int64_t w, int64_t c, const double sigma_zyx[3],
                                   int sigma_is_f32, anchor_error *err);
anchor_status anc_seg_gaussian_zyx_f32(float *img, int64_t h, int64_t w, int64_t c, const double sigma_zyx[3],
                                   int sigma_is_f32, anchor_error *err);

/* scipy's 1-D Gaussian kernel (ndimage._gaussian_kernel1d, order 0) for a sigma, with its
 * radius int(4 * sigma + 0.5): writes 2 * radius + 1 weights to *weights (malloc'd) and
 * returns the radius, or -1 when out of memory or the radius is absurd. For tests. */
int64_t anc_seg_gaussian_kernel(double sigma, int sigma_is_f32, double **weights);

/* skimage.color.rgb2lab (sRGB, D65, 2 degree observer) on npix interleaved RGB triples in
 * [0, 1], in place, in the precision of the array. */
void anc_seg_rgb2lab_f64(double *rgb, size_t npix);
void anc_seg_rgb2lab_f32(float *rgb, size_t npix);
/* The float64 conversion of a uint8 RGB image whose byte v stands for value[v] (slic's
 * rescaled img_as_float): writes L, a and b to the planes lab[0..2] (npix each). Equal to
 * anc_seg_rgb2lab_f64 on the expanded values, faster (each distinct colour is converted
 * once). */
void anc_seg_rgb2lab_u8_f64(const uint8_t *rgb, size_t npix, const double value[256], double *const lab[3]);

#endif
