/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's default_rng(seed) in C, for skimage's quickshift tie-breaking noise.
 *
 * skimage 0.19.3 quickshift adds numpy.random.default_rng(random_seed).normal(scale=1e-5,
 * size=(H, W)) to its densities, so equal labels need the very same draws: SeedSequence
 * entropy mixing, the PCG64 (XSL-RR 128/64) generator and numpy's ziggurat normal sampler.
 * The generator is a plain value owned by its caller: no global state. */
#ifndef ANCHOR_NUMPY_NP_PCG64_H
#define ANCHOR_NUMPY_NP_PCG64_H

#include <stddef.h>
#include <stdint.h>

typedef struct np_pcg64 {
    uint64_t state_hi, state_lo; /* 128-bit LCG state */
    uint64_t inc_hi, inc_lo;     /* 128-bit odd increment */
} np_pcg64;

/* numpy.random.SeedSequence(entropy).generate_state(n_words, np.uint32) for a non-negative
 * integer entropy (split into 32-bit words, lowest first; pool size 4, no spawn key). */
void anc_np_seedseq_generate_u32(uint64_t entropy, uint32_t *out, size_t n_words);

/* The state of numpy.random.PCG64(seed), i.e. of default_rng(seed). */
void anc_np_pcg64_seed(np_pcg64 *g, uint64_t seed);
/* PCG64.random_raw(): the next 64-bit output. */
uint64_t anc_np_pcg64_next64(np_pcg64 *g);
/* Generator.random(): 53 random bits scaled to [0, 1). */
double anc_np_pcg64_next_double(np_pcg64 *g);
/* Generator.standard_normal(): numpy's 256-layer ziggurat. */
double anc_np_pcg64_standard_normal(np_pcg64 *g);

#endif
