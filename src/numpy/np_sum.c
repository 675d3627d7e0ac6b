/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's pairwise summation and the float32 mean built on it, bit for bit (SPEC §9.5).
 *
 * Why: without background images alibi replaces a perturbed superpixel by its mean colour,
 * computed per channel with np.mean in the image's dtype. For a float32 image that mean
 * is a float32 sum, and a plain sequential or double sum differs in the last bit for about
 * a third of the channels, which changes the perturbed pixels and can flip a label. scipy's
 * Gaussian kernel is normalised by phi.sum(), the same algorithm in float64, and its last
 * bit reaches every smoothed pixel (segment/gaussian.c).
 *
 * numpy's pairwise sum adds fewer than 8 values sequentially from 0; up to 128 values with
 * eight interleaved running sums combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the
 * tail sequentially; larger blocks split at n/2 rounded down to a multiple of 8 and
 * recurse. It is written once below and instantiated for float and double, so the two
 * precisions cannot drift apart. add.reduce feeds it buffers of 8192 elements: acc = 0,
 * then acc += pairwise(chunk). The mean divides the float32 sum by the count in float32. */
#include "numpy/np_sum.h"

#define NP_BUFSIZE 8192
#define NP_PW_BLOCK 128

#define NP_PAIRWISE_DEFINE(NAME, T)                                                      \
    T NAME(const T *a, int64_t n)                                                        \
    {                                                                                    \
        if (n < 8) {                                                                     \
            T res = 0;                                                                   \
            for (int64_t i = 0; i < n; i++)                                              \
                res += a[i];                                                             \
            return res;                                                                  \
        }                                                                                \
        if (n <= NP_PW_BLOCK) {                                                          \
            T r[8];                                                                      \
            for (int j = 0; j < 8; j++)                                                  \
                r[j] = a[j];                                                             \
            int64_t i;                                                                   \
            for (i = 8; i < n - (n % 8); i += 8)                                         \
                for (int j = 0; j < 8; j++)                                              \
                    r[j] += a[i + j];                                                    \
            T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));  \
            for (; i < n; i++)                                                           \
                res += a[i];                                                             \
            return res;                                                                  \
        }                                                                                \
        int64_t n2 = n / 2;                                                              \
        n2 -= n2 % 8;                                                                    \
        return NAME(a, n2) + NAME(a + n2, n - n2);                                       \
    }

NP_PAIRWISE_DEFINE(anc_np_pairwise_sum_f32, float)
NP_PAIRWISE_DEFINE(anc_np_pairwise_sum_f64, double)

float anc_np_sum_f32(const float *a, int64_t n)
{
    float acc = 0.0f;
    for (int64_t at = 0; at < n; at += NP_BUFSIZE) {
        int64_t len = n - at < NP_BUFSIZE ? n - at : NP_BUFSIZE;
        acc += anc_np_pairwise_sum_f32(a + at, len);
    }
    return acc;
}

float anc_np_mean_f32(const float *a, int64_t n) { return anc_np_sum_f32(a, n) / (float)n; }
