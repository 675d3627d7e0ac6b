/* SPDX-License-Identifier: Apache-2.0 */
/* numpy's default_rng emulation (src/segment/np_pcg64.c) against numpy 1.24: raw PCG64
 * words, a hash of 2 million standard normals (which reach the ziggurat's wedge and tail
 * branches thousands of times) and the scale=1e-5 draws quickshift uses. Reference:
 * tests/fixtures/quickshift/rng.txt from tools/make_segment_fixtures.py. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_npy.h"
#include "harness.h"
#include "numpy/np_pcg64.h"

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

int main(void)
{
    char path[4096], line[2048];
    snprintf(path, sizeof path, "%s/quickshift/rng.txt", fixture_root());
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "%s: cannot open", path);
    if (!f)
        return harness_finish();
    int seeds = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        uint64_t seed, count, raw[3], hash;
        char *p = line, *end;
        seed = strtoull(p, &end, 10), p = end;
        count = strtoull(p, &end, 10), p = end;
        for (int i = 0; i < 3; i++)
            raw[i] = strtoull(p, &end, 16), p = end;
        hash = strtoull(p, &end, 16), p = end;
        double first[4], noise[5];
        for (int i = 0; i < 4; i++)
            first[i] = strtod(p, &end), p = end;
        for (int i = 0; i < 5; i++)
            noise[i] = strtod(p, &end), p = end;

        np_pcg64 g;
        anc_np_pcg64_seed(&g, seed);
        for (int i = 0; i < 3; i++) {
            uint64_t got = anc_np_pcg64_next64(&g);
            CHECKF(got == raw[i], "seed %" PRIu64 " raw[%d] = %016" PRIx64 ", numpy %016" PRIx64, seed, i, got, raw[i]);
        }
        anc_np_pcg64_seed(&g, seed);
        uint64_t h = 0, tails = 0;
        for (uint64_t i = 0; i < count; i++) {
            double z = anc_np_pcg64_standard_normal(&g);
            if (i < 4)
                CHECKF(z == first[i], "seed %" PRIu64 " normal[%d] = %a, numpy %a", seed, (int)i, z, first[i]);
            tails += fabs(z) > 3.6541528853610088;
            h += bits_of(z) * (2 * i + 1);
        }
        CHECKF(h == hash, "seed %" PRIu64 ": hash of %" PRIu64 " normals %016" PRIx64 ", numpy %016" PRIx64, seed,
               count, h, hash);
        CHECK(tails > 100); /* the tail branch was exercised */
        anc_np_pcg64_seed(&g, seed);
        for (int i = 0; i < 5; i++) {
            double z = 0.0 + 1e-05 * anc_np_pcg64_standard_normal(&g);
            CHECKF(z == noise[i], "seed %" PRIu64 " noise[%d] = %a, numpy %a", seed, i, z, noise[i]);
        }
        seeds++;
    }
    fclose(f);
    CHECK(seeds >= 5);
    return harness_finish();
}
