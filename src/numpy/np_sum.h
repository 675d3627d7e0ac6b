/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's sums, to the bit: the pairwise summation behind np.sum and np.mean. */
#ifndef ANCHOR_NUMPY_NP_SUM_H
#define ANCHOR_NUMPY_NP_SUM_H

#include <stdint.h>

/* numpy's pairwise_sum on one contiguous block (the inner loop of add.reduce), float32
 * and float64: what np.sum gives for arrays of up to 8192 elements. */
float anc_np_pairwise_sum_f32(const float *a, int64_t n);
double anc_np_pairwise_sum_f64(const double *a, int64_t n);

/* Sum of a contiguous float32 array the way numpy's add.reduce does it: the pairwise sum
 * of each 8192-element buffer, added to a running float32 total. */
float anc_np_sum_f32(const float *a, int64_t n);
/* np.mean of n float32 values: anc_np_sum_f32 / n in float32. */
float anc_np_mean_f32(const float *a, int64_t n);

#endif
