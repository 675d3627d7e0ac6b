/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's legacy MT19937 stream and the derived draws alibi uses (SPEC §9.2).
 *
 * Why: alibi seeds numpy's global RandomState and draws every mask (choice over {0, 1}
 * with probabilities) and every background index (choice over range(B)) from it. An exact
 * port must consume the same 32-bit outputs in the same way:
 *   - seeding is Matsumoto-Nishimura init_genrand; the state is regenerated lazily, so the
 *     first draw after seeding runs the twist;
 *   - a double takes two outputs a, b: ((a >> 5) * 2^26 + (b >> 6)) / 2^53;
 *   - choice with p searches the normalised cdf with side='right', so entry 0 is chosen
 *     iff u < cdf[0] = p0 / (p0 + (1 - p0));
 *   - randint on a range below 2^32 masks each 32-bit output to the smallest all-ones
 *     mask covering the range and rejects values above it. */
#include "numpy/np_random.h"

#define MT_N 624
#define MT_M 397

void anc_np_mt_seed(np_mt19937 *mt, uint32_t seed)
{
    mt->key[0] = seed;
    for (int i = 1; i < MT_N; i++)
        mt->key[i] = 1812433253u * (mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) + (uint32_t)i;
    mt->pos = MT_N;
}

void anc_np_mt_twist(np_mt19937 *mt)
{
    uint32_t *k = mt->key;
    int i;
#define MT_MIX(a, b) (((a) & 0x80000000u) | ((b) & 0x7fffffffu))
#define MT_STEP(y) (((y) >> 1) ^ (((y) & 1u) ? 0x9908b0dfu : 0u))
    for (i = 0; i < MT_N - MT_M; i++)
        k[i] = k[i + MT_M] ^ MT_STEP(MT_MIX(k[i], k[i + 1]));
    for (; i < MT_N - 1; i++)
        k[i] = k[i + MT_M - MT_N] ^ MT_STEP(MT_MIX(k[i], k[i + 1]));
    k[MT_N - 1] = k[MT_M - 1] ^ MT_STEP(MT_MIX(k[MT_N - 1], k[0]));
#undef MT_MIX
#undef MT_STEP
    mt->pos = 0;
}

double anc_np_choice01_cut(double p0)
{
    double p1 = 1.0 - p0;
    double last = p0 + p1; /* cumsum, then divided by its last entry */
    return p0 / last;
}

int64_t anc_np_randint(np_mt19937 *mt, int64_t bound)
{
    if (bound <= 1)
        return 0;
    uint32_t rng = (uint32_t)(bound - 1);
    uint32_t mask = rng;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t v;
    do
        v = np_mt_next_u32(mt) & mask;
    while (v > rng);
    return v;
}
