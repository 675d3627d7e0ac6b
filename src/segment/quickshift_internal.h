/* SPDX-License-Identifier: Apache-2.0 */
/* quickshift's code paths, for tests (private). */
#ifndef ANCHOR_SEGMENT_QUICKSHIFT_INTERNAL_H
#define ANCHOR_SEGMENT_QUICKSHIFT_INTERNAL_H

#include "anchor/segment.h"

/* The widest vector kernels anchor_quickshift may use: 0 portable C, 1 AVX2 + FMA,
 * 2 AVX-512F (each also limited by what the CPU has). All give the same labels.
 * Or'ed with SEG_QS_EXACT (float64 images): every density comparison is decided by
 * skimage's exact sums, as if no bracket were ever narrow enough (slow; for tests). */
enum { SEG_QS_PORTABLE = 0, SEG_QS_AVX2 = 1, SEG_QS_AVX512 = 2, SEG_QS_EXACT = 16 };
anchor_status anc_seg_quickshift_with(const anchor_image *image, const anchor_quickshift_params *p, int max_kernels,
                                  anchor_image **labels, anchor_error *err);

#endif
