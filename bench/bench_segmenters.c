/* SPDX-License-Identifier: Apache-2.0 */
/* Bench driver for bench_segmenters.sh: run one segmenter on a .npy image and print the
 * best CPU time of N runs (single-threaded, so fair on a busy machine) and the number of segments.
 *   bench_segmenters METHOD IMAGE.npy RUNS [key=value ...]
 * Parameters use skimage's names, through the same front end as `anchor segment`. With
 * BENCH_LABELS set, the labels of the last run are saved there (.npy) for comparison. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s METHOD IMAGE.npy RUNS [key=value ...]\n", argv[0]);
        return 2;
    }
    anchor_error err = {0};
    anchor_image *img = NULL, *labels = NULL;
    anchor_segmenter *s = NULL;
    int rc = bench_setup(argv[2], argv[1], argv + 4, argc - 4, &img, &s);
    if (rc)
        return rc;
    int runs = atoi(argv[3]);
    double best = 1e30;
    int32_t k = 0;
    for (int r = 0; r < (runs > 0 ? runs : 1); r++) {
        double t0 = bench_now();
        if (anchor_segmenter_run(s, img, &labels, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t = bench_now() - t0;
        best = t < best ? t : best;
        const int32_t *l = anchor_image_cdata(labels);
        k = 0;
        for (int64_t i = 0; i < anchor_image_height(labels) * anchor_image_width(labels); i++)
            k = l[i] > k ? l[i] : k;
        const char *save = getenv("BENCH_LABELS");
        if (save && r == (runs > 0 ? runs : 1) - 1 && anchor_npy_save(labels, 2, save, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        anchor_image_destroy(labels);
    }
    printf("%.6f %d\n", best, k + 1);
    anchor_segmenter_destroy(s);
    anchor_image_destroy(img);
    return 0;
}
