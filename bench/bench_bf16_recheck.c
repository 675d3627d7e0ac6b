/* SPDX-License-Identifier: Apache-2.0 */
/* What bf16's fp32 re-check of near ties (src/predict/onnx/model.c) costs on realistic
 * input: ROUNDS batches of BATCH perturbed shared photos (an 8 x 8 grid of 28-pixel blocks,
 * each kept or greyed with probability 1/2, a cheap stand-in for superpixels) through
 * anchor_model_predict, twice over the same images: the first pass includes making the
 * fp32 plans the re-check needs, the second is the steady state of a long explain run.
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/bench_bf16_recheck.c build/libanchor.a \
 *      -ldnnl $(pkg-config --libs libprotobuf-c libpng libjpeg libcjson zlib) -fopenmp -lm -o recheck
 *   ./recheck MODEL(224x224, raw) SHARED_DIR BATCH ROUNDS fp32|bf16
 * Prints ms per batch for both passes and how many images were re-checked in fp32. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "anchor/anchor.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next_u64(uint64_t *s) /* SplitMix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s MODEL SHARED_DIR BATCH ROUNDS fp32|bf16\n", argv[0]);
        return 2;
    }
    int batch_n = atoi(argv[3]), rounds = atoi(argv[4]);
    anchor_error err;
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.threads = 2;
    anchor_model *m = NULL;
    anchor_image *photo[3] = {NULL, NULL, NULL}, *batch = NULL;
    anchor_prediction *pred = NULL;
    if (batch_n < 1 || rounds < 1 || anchor_precision_parse(argv[5], &opt.precision, &err) ||
        anchor_model_load(argv[1], &opt, &m, &err))
        goto fail;
    const char *names[3] = {"chelsea", "coffee", "astronaut"};
    for (int i = 0; i < 3; i++) {
        char path[4096];
        anchor_image *img = NULL;
        snprintf(path, sizeof path, "%s/images/%s.png", argv[2], names[i]);
        anchor_status st = anchor_image_load(path, ANCHOR_COLOR_RGB, &img, &err);
        if (!st)
            st = anchor_resize(img, 224, 224, ANCHOR_RESIZE_BICUBIC, &photo[i], &err);
        anchor_image_destroy(img);
        if (st)
            goto fail;
    }
    if (anchor_image_create(batch_n, 224, 224, 3, ANCHOR_DTYPE_U8, &batch, &err) ||
        anchor_prediction_create(&pred, &err) || anchor_model_predict(m, batch, pred, &err))
        goto fail;
    double ms[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        uint64_t rng = 7;
        for (int r = 0; r < rounds; r++) {
            uint8_t *d = anchor_image_data(batch);
            for (int b = 0; b < batch_n; b++) {
                const uint8_t *px = anchor_image_cdata(photo[(r * batch_n + b) % 3]);
                uint64_t keep = next_u64(&rng);
                for (int i = 0; i < 224 * 224; i++)
                    for (int c = 0; c < 3; c++)
                        d[((size_t)b * 224 * 224 + (size_t)i) * 3 + (size_t)c] =
                            (keep >> ((i / 224 / 28) * 8 + i % 224 / 28)) & 1 ? px[i * 3 + c] : 128;
            }
            double t0 = now();
            if (anchor_model_predict(m, batch, pred, &err))
                goto fail;
            ms[pass] += (now() - t0) * 1e3 / rounds;
        }
    }
    printf("%s batch %d: %.1f ms/batch first pass, %.1f ms/batch second; re-checked in fp32 %lld of %d images\n",
           anchor_precision_name(anchor_model_precision(m)), batch_n, ms[0], ms[1],
           (long long)anchor_model_rechecked(m), (2 * rounds + 1) * batch_n);
    anchor_prediction_destroy(pred);
    anchor_image_destroy(batch);
    for (int i = 0; i < 3; i++)
        anchor_image_destroy(photo[i]);
    anchor_model_destroy(m);
    return 0;
fail:
    fprintf(stderr, "%s\n", batch_n < 1 || rounds < 1 ? "BATCH and ROUNDS must be >= 1" : err.message);
    return 1;
}
