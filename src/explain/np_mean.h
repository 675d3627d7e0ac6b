/* numpy's np.mean of a float32 vector, to the bit (pairwise float32 summation). */
#ifndef ANCHOR_EXPLAIN_NP_MEAN_H
#define ANCHOR_EXPLAIN_NP_MEAN_H

#include <stdint.h>

/* Sum of a contiguous float32 array the way numpy's add.reduce does it. */
float np_sum_f32(const float *a, int64_t n);
/* np.mean of n float32 values: np_sum_f32 / n in float32. */
float np_mean_f32(const float *a, int64_t n);

#endif
