/* SPDX-License-Identifier: Apache-2.0 */
/* felzenszwalb sorts edges with a fast radix sort and switches to numpy's introsort only
 * when the order of equal weights could change the result. This test makes hundreds of
 * small tie-heavy images (few grey levels, no or little smoothing, various scales and
 * min_size) and checks that both orders give the same labels, and that both the fast path
 * and the fallback are exercised. (Labels equal to skimage: test_felzenszwalb.) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"
#include "segment/felzenszwalb_internal.h"

static uint32_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

int main(void)
{
    uint64_t seed = 12345;
    int fast = 0, fallback = 0, differ = 0;
    for (int iter = 0; iter < 600; iter++) {
        int64_t h = 4 + next(&seed) % 20, w = 4 + next(&seed) % 20, c = next(&seed) % 2 ? 3 : 1;
        int levels = 2 + next(&seed) % 4;
        anchor_image *img = NULL, *a = NULL, *b = NULL;
        anchor_error err = {0};
        if (anchor_image_create(1, h, w, c, ANCHOR_DTYPE_U8, &img, &err)) {
            CHECK(0);
            break;
        }
        uint8_t *px = anchor_image_data(img);
        /* blocks of flat colour with some noise: many equal weights */
        int block = 1 + next(&seed) % 4;
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++)
                for (int64_t k = 0; k < c; k++) {
                    uint32_t v = ((uint32_t)(y / block) * 7u + (uint32_t)(x / block) * 13u + (uint32_t)k) % (uint32_t)levels;
                    if (next(&seed) % 8 == 0)
                        v = next(&seed) % (uint32_t)levels;
                    px[(y * w + x) * c + k] = (uint8_t)(v * (255 / (levels - 1)));
                }
        static const double scales[] = {0.5, 1, 10, 100, 1000};
        static const double sigmas[] = {0, 0, 0, 0.3, 0.8};
        anchor_felzenszwalb_params p = {scales[next(&seed) % 5], sigmas[next(&seed) % 5], (int)(next(&seed) % 12)};
        int used_fallback = 0;
        CHECK(anc_seg_felzenszwalb_sorted(img, &p, 0, &a, &used_fallback, &err) == ANCHOR_OK);
        CHECK(anc_seg_felzenszwalb_sorted(img, &p, 1, &b, NULL, &err) == ANCHOR_OK);
        if (a && b) {
            int same = memcmp(anchor_image_cdata(a), anchor_image_cdata(b), anchor_image_nbytes(a)) == 0;
            if (!same && differ++ < 5)
                fprintf(stderr, "iter %d: %lldx%lldx%lld scale %g sigma %g min_size %d: orders disagree\n", iter,
                        (long long)h, (long long)w, (long long)c, p.scale, p.sigma, p.min_size);
            CHECK(same);
        }
        fast += !used_fallback;
        fallback += used_fallback;
        anchor_image_destroy(img);
        anchor_image_destroy(a);
        anchor_image_destroy(b);
    }
    printf("%d images on the fast path, %d fell back to numpy's introsort, %d disagreements\n", fast, fallback,
           differ);
    CHECK(fast > 100 && fallback > 20);
    return harness_finish();
}
