/* SPDX-License-Identifier: Apache-2.0 */
/* Bench driver for bench_onnx.sh: time anchor's ONNX engine on one model.
 *   bench_onnx_driver MODEL BATCH THREADS SECONDS [PRECISION]
 * Feeds a fixed pseudo-random input tensor (the model's own layout, no preprocessing),
 * warms up (plans, oneDNN JIT), then runs batches until SECONDS have passed and at least
 * 3 runs. Prints: img_per_s best_img_per_s gflop_per_image peak_rss_mib precision isa
 * (PRECISION fp32, the default, or bf16; the last two fields are what the model got). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "anchor/onnx.h"
#include "predict/onnx/onnx_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s MODEL BATCH THREADS SECONDS [fp32|bf16]\n", argv[0]);
        return 2;
    }
    int64_t batch = atoll(argv[2]);
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.threads = atoi(argv[3]);
    opt.max_batch = batch;
    double seconds = atof(argv[4]);
    anchor_model *m;
    anchor_error err;
    if (argc == 6 && anchor_precision_parse(argv[5], &opt.precision, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    if (anchor_model_load(argv[1], &opt, &m, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int64_t per = anchor_model_input_height(m) * anchor_model_input_width(m) * anchor_model_input_channels(m);
    int64_t k = anchor_model_num_classes(m);
    float *in = malloc((size_t)(batch * per) * sizeof *in), *out = malloc((size_t)(batch * k) * sizeof *out);
    uint32_t s = 12345;
    for (int64_t i = 0; i < batch * per; i++) {
        s = s * 1664525u + 1013904223u;
        in[i] = (float)(s >> 8) / 16777216.0f * 255.0f;
    }
    if (anc_model_run_tensor(m, in, batch, out, &err)) { /* warm-up: plan + JIT */
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    ox_plan *p;
    double gflop = 0;
    if (!anc_ox_model_plan(m, batch, &p, &err))
        gflop = anc_ox_plan_flops(p) / 1e9;
    int runs = 0;
    double best = 1e30, t0 = now();
    while (runs < 3 || now() - t0 < seconds) {
        double a = now();
        if (anc_model_run_tensor(m, in, batch, out, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double d = now() - a;
        best = d < best ? d : best;
        runs++;
    }
    double total = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.3f %.3f %.3f %.0f %s %s\n", (double)runs * (double)batch / total, (double)batch / best, gflop,
           (double)ru.ru_maxrss / 1024.0, anchor_precision_name(anchor_model_precision(m)), anchor_model_isa(m));
    anchor_model_destroy(m);
    free(in);
    free(out);
    return 0;
}
