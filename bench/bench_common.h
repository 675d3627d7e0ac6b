/* SPDX-License-Identifier: Apache-2.0 */
/* Shared part of the bench drivers (bench_segmenters.c, bench_slic.c): CPU time, and a
 * segmenter set up from key=value arguments through the same front end as `anchor segment`. */
#ifndef ANCHOR_BENCH_COMMON_H
#define ANCHOR_BENCH_COMMON_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "anchor/segment.h"

/* CPU time, not wall time: on a shared machine a busy neighbour then slows the run but
 * does not add the time spent waiting for a core. */
static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Loads the .npy image at PATH and creates METHOD's segmenter with the parameters in
 * kv[0..n_kv-1] ("key=value", skimage's names; the strings are cut at '=').
 * Returns 0, or the exit code (1 error, 2 usage) after a message on stderr. */
static int bench_setup(const char *path, const char *method, char **kv, int n_kv, anchor_image **img,
                       anchor_segmenter **s)
{
    anchor_error err = {0};
    if (anchor_npy_load(path, img, &err) || anchor_segmenter_create(method, s, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    for (int i = 0; i < n_kv; i++) {
        char *eq = strchr(kv[i], '=');
        if (!eq) {
            fprintf(stderr, "%s: expected key=value\n", kv[i]);
            return 2;
        }
        *eq = 0;
        if (anchor_segmenter_set(*s, kv[i], eq + 1, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
    }
    return 0;
}

#endif
