/* Bench driver for bench_segmenters.sh: run one segmenter on a .npy image and print the
 * best CPU time of N runs (single-threaded, so fair on a busy machine) and the number of segments.
 *   bench_segmenters METHOD IMAGE.npy RUNS [key=value ...]
 * Parameters use skimage's names, through the same front end as `anchor segment`. With
 * BENCH_LABELS set, the labels of the last run are saved there (.npy) for comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor/segment.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: fair on a busy machine */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s METHOD IMAGE.npy RUNS [key=value ...]\n", argv[0]);
        return 2;
    }
    anchor_error err = {0};
    anchor_image *img = NULL, *labels = NULL;
    anchor_segmenter *s = NULL;
    if (anchor_npy_load(&img, argv[2], &err) || anchor_segmenter_create(&s, argv[1], &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "%s: expected key=value\n", argv[i]);
            return 2;
        }
        *eq = 0;
        if (anchor_segmenter_set(s, argv[i], eq + 1, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
    }
    int runs = atoi(argv[3]);
    double best = 1e30;
    int32_t k = 0;
    for (int r = 0; r < (runs > 0 ? runs : 1); r++) {
        double t0 = now();
        if (anchor_segmenter_run(s, img, &labels, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t = now() - t0;
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
