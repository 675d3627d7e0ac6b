/* SPDX-License-Identifier: Apache-2.0 */
/* Bench driver for bench_slic.sh: SLIC on a .npy image through the segmenter front end
 * (the path `anchor segment` takes), printing the best CPU time of RUNS runs after one
 * warm-up run, and the number of segments. Loading the image is not timed. CPU time, not
 * wall time: on a shared machine a busy neighbour then slows the run but does not add
 * the time spent waiting for a core.
 *   bench_slic IMAGE.npy RUNS [key=value ...] */
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s IMAGE.npy RUNS [key=value ...]\n", argv[0]);
        return 2;
    }
    anchor_error err = {0};
    anchor_image *img = NULL, *labels = NULL, *norm = NULL;
    anchor_segmenter *s = NULL;
    int rc = bench_setup(argv[1], "slic", argv + 3, argc - 3, &img, &s);
    if (rc)
        return rc;
    int runs = atoi(argv[2]);
    double best = 1e30;
    for (int r = -1; r < (runs > 0 ? runs : 1); r++) {
        anchor_image_destroy(labels);
        labels = NULL;
        double t0 = bench_now();
        if (anchor_segmenter_run(s, img, &labels, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t = bench_now() - t0;
        if (r >= 0 && t < best)
            best = t;
    }
    int k = 0;
    if (anchor_labels_normalize(labels, &k, NULL, &norm, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("%.6f %d\n", best, k);
    anchor_image_destroy(norm);
    anchor_image_destroy(labels);
    anchor_image_destroy(img);
    anchor_segmenter_destroy(s);
    return 0;
}
