/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's default_rng(seed) reproduced draw for draw (see np_pcg64.h for why).
 *
 * Seeding. SeedSequence hashes the seed's 32-bit words into a pool of four words with two
 * multiplicative hashes (hashmix: xor with a running constant, multiply by the constant
 * after it is itself multiplied, fold the high half into the low half) and cross-mixes
 * every pool word with every other (mix: L*x - R*y, folded). generate_state then cycles
 * the pool through a second hash to produce the words asked for; PCG64 asks for 4 uint64
 * (8 uint32 read pairwise little-endian): the first two are the 128-bit initial state (high
 * word first), the last two the stream selector.
 *
 * PCG64. A 128-bit LCG, state = state * M + inc, with inc = 2 * stream + 1; seeding is
 * state = 0, step, state += initstate, step. Each draw steps first, then outputs
 * rotr64(hi ^ lo, hi >> 58) of the new state (XSL-RR).
 *
 * Normal sampler. One 64-bit draw gives the layer (low 8 bits), a sign bit and a 52-bit
 * magnitude; x = magnitude * w[layer] is accepted at once when magnitude < k[layer] (99%);
 * otherwise the base layer samples the tail past r by Marsaglia's exponential method and
 * the other layers accept x by comparing a uniform point in the wedge against exp(-x^2/2).
 * The constants are numpy's (np_ziggurat_tables.h). */
#include "numpy/np_pcg64.h"

#include <math.h>

#include "numpy/np_ziggurat_tables.h"

/* ---- SeedSequence --------------------------------------------------------------------- */

enum { POOL_SIZE = 4 };
#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_L 0xca01f9ddu
#define SS_MIX_R 0x4973f715u

static uint32_t ss_hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= SS_MULT_A;
    value *= *hash_const;
    value ^= value >> 16;
    return value;
}

static uint32_t ss_mix(uint32_t x, uint32_t y)
{
    uint32_t r = SS_MIX_L * x - SS_MIX_R * y;
    return r ^ (r >> 16);
}

void anc_np_seedseq_generate_u32(uint64_t entropy, uint32_t *out, size_t n_words)
{
    /* the integer as 32-bit words, lowest first; 0 is one word */
    uint32_t words[2];
    size_t n_entropy = 0;
    do {
        words[n_entropy++] = (uint32_t)entropy;
        entropy >>= 32;
    } while (entropy);

    uint32_t pool[POOL_SIZE];
    uint32_t hc = SS_INIT_A;
    for (size_t i = 0; i < POOL_SIZE; i++)
        pool[i] = ss_hashmix(i < n_entropy ? words[i] : 0u, &hc);
    for (size_t src = 0; src < POOL_SIZE; src++)
        for (size_t dst = 0; dst < POOL_SIZE; dst++)
            if (src != dst)
                pool[dst] = ss_mix(pool[dst], ss_hashmix(pool[src], &hc));
    /* (entropy longer than the pool would be mixed in here; two words never are) */

    uint32_t hb = SS_INIT_B;
    for (size_t i = 0; i < n_words; i++) {
        uint32_t v = pool[i % POOL_SIZE];
        v ^= hb;
        hb *= SS_MULT_B;
        v *= hb;
        v ^= v >> 16;
        out[i] = v;
    }
}

/* ---- PCG64 ------------------------------------------------------------------------------ */

#define PCG_MULT_HI 0x2360ed051fc65da4ull
#define PCG_MULT_LO 0x4385df649fccf645ull

/* full 64 x 64 -> 128 product, portable */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static void pcg_step(np_pcg64 *g)
{
    uint64_t hi, lo;
    mul_64x64(g->state_lo, PCG_MULT_LO, &hi, &lo);
    hi += g->state_hi * PCG_MULT_LO + g->state_lo * PCG_MULT_HI;
    uint64_t nlo = lo + g->inc_lo;
    g->state_hi = hi + g->inc_hi + (nlo < lo);
    g->state_lo = nlo;
}

void anc_np_pcg64_seed(np_pcg64 *g, uint64_t seed)
{
    uint32_t w[8];
    anc_np_seedseq_generate_u32(seed, w, 8);
    uint64_t s_hi = (uint64_t)w[0] | (uint64_t)w[1] << 32, s_lo = (uint64_t)w[2] | (uint64_t)w[3] << 32;
    uint64_t i_hi = (uint64_t)w[4] | (uint64_t)w[5] << 32, i_lo = (uint64_t)w[6] | (uint64_t)w[7] << 32;
    g->state_hi = g->state_lo = 0;
    g->inc_hi = (i_hi << 1) | (i_lo >> 63);
    g->inc_lo = (i_lo << 1) | 1u;
    pcg_step(g);
    uint64_t lo = g->state_lo + s_lo;
    g->state_hi += s_hi + (lo < s_lo);
    g->state_lo = lo;
    pcg_step(g);
}

uint64_t anc_np_pcg64_next64(np_pcg64 *g)
{
    pcg_step(g);
    uint64_t x = g->state_hi ^ g->state_lo;
    unsigned rot = (unsigned)(g->state_hi >> 58);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}

double anc_np_pcg64_next_double(np_pcg64 *g)
{
    return (double)(anc_np_pcg64_next64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the ziggurat normal sampler ---------------------------------------------------------- */

double anc_np_pcg64_standard_normal(np_pcg64 *g)
{
    for (;;) {
        uint64_t r = anc_np_pcg64_next64(g);
        int layer = (int)(r & 0xff);
        r >>= 8;
        int negative = (int)(r & 1u);
        uint64_t mag = (r >> 1) & 0x000fffffffffffffull;
        double x = (double)mag * zig_w[layer];
        if (negative)
            x = -x;
        if (mag < zig_k[layer])
            return x;
        if (layer == 0) {
            /* the tail beyond r: numpy draws 1 - U so that log never sees 0 */
            for (;;) {
                double xx = -zig_nor_inv_r * log1p(-anc_np_pcg64_next_double(g));
                double yy = -log1p(-anc_np_pcg64_next_double(g));
                if (yy + yy > xx * xx)
                    return ((mag >> 8) & 1u) ? -(zig_nor_r + xx) : zig_nor_r + xx;
            }
        }
        if ((zig_f[layer - 1] - zig_f[layer]) * anc_np_pcg64_next_double(g) + zig_f[layer] < exp(-0.5 * x * x))
            return x;
    }
}
