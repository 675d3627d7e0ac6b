/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's legacy global generator (np.random.seed / RandomState), emulated bit for bit.
 * alibi seeds it once with np.random.seed(seed) and draws every mask and background index
 * from it; reproducing alibi therefore needs the same MT19937 stream and numpy 1.24's exact
 * derivations of doubles, choice() and randint() from it (SPEC §9.2). */
#ifndef ANCHOR_NUMPY_NP_RANDOM_H
#define ANCHOR_NUMPY_NP_RANDOM_H

#include <stdint.h>

typedef struct np_mt19937 {
    uint32_t key[624];
    int pos;
} np_mt19937;

/* np.random.seed(seed) for an int seed: MT19937 init_genrand. */
void anc_np_mt_seed(np_mt19937 *mt, uint32_t seed);
/* Regenerate the 624 words (called when they are used up). */
void anc_np_mt_twist(np_mt19937 *mt);

/* Inline: the coverage set alone takes coverage_samples * K doubles. */
static inline uint32_t np_mt_next_u32(np_mt19937 *mt)
{
    if (mt->pos >= 624)
        anc_np_mt_twist(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* random_sample(): 53-bit double from two outputs, the first giving the high 27 bits. */
static inline double np_mt_random_double(np_mt19937 *mt)
{
    uint32_t a = np_mt_next_u32(mt) >> 5;
    uint32_t b = np_mt_next_u32(mt) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}
/* choice([0, 1], n, p=[p0, 1 - p0]) draws one double u per entry and answers 0 iff
 * u < anc_np_choice01_cut(p0) (the normalised cdf's first entry). */
double anc_np_choice01_cut(double p0);
/* randint(0, bound) == choice(range(bound)): masked rejection on 32-bit outputs.
 * bound must be in [1, 2^32]; bound == 1 draws nothing. */
int64_t anc_np_randint(np_mt19937 *mt, int64_t bound);

#endif
