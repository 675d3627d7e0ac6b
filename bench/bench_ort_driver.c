/* SPDX-License-Identifier: Apache-2.0 */
/* Bench driver for bench_ort.sh: our ONNX engine's side, timed exactly as ort_bench.mjs times
 * ONNX Runtime, so the two figures compare the engines and nothing else.
 *   bench_ort_driver MODEL --shape
 *       prints the per-image input shape in the model's layout, e.g. 3x224x224, or
 *       "refused: MESSAGE" (exit 3) when the engine does not load the model
 *   bench_ort_driver MODEL INPUT.f32 BATCH THREADS SECONDS [OUT.f32 [fp32|bf16]]
 *       the batch is the first BATCH images of INPUT.f32 (float32, model layout, already
 *       preprocessed), repeated when the file holds fewer; one warm-up run (plan, oneDNN
 *       JIT), then batches until SECONDS have passed and at least 3 runs. Prints
 *       img_per_s best_img_per_s peak_rss_mib precision isa, and writes the last run's
 *       scores to OUT.f32 ("-": not written). precision is what the model got (bf16 falls
 *       back to fp32 on a CPU without native bfloat16), isa is what oneDNN chose.
 * The raw tensor goes straight to the engine (anc_model_run_tensor, the internal entry
 * the tests use) because ORT is handed the same tensor: no preprocessing on either side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static float *read_floats(const char *path, int64_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *v = size > 0 ? malloc((size_t)size) : NULL;
    if (v && fread(v, 1, (size_t)size, f) != (size_t)size) {
        free(v);
        v = NULL;
    }
    fclose(f);
    *count = size / (long)sizeof(float);
    return v;
}

int main(int argc, char **argv)
{
    int shape_only = argc == 3 && !strcmp(argv[2], "--shape");
    if (!shape_only && (argc < 6 || argc > 8)) {
        fprintf(stderr, "usage: %s MODEL --shape | MODEL INPUT.f32 BATCH THREADS SECONDS [OUT.f32 [fp32|bf16]]\n",
                argv[0]);
        return 2;
    }
    int64_t batch = shape_only ? 1 : atoll(argv[3]);
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.threads = shape_only ? 1 : atoi(argv[4]);
    opt.max_batch = batch;
    if (argc == 8 && !strcmp(argv[7], "bf16"))
        opt.precision = ANCHOR_PRECISION_BF16;
    anchor_model *m;
    anchor_error err;
    if (anchor_model_load(argv[1], &opt, &m, &err)) {
        printf("refused: %s\n", err.message);
        return 3;
    }
    int64_t h = anchor_model_input_height(m), w = anchor_model_input_width(m), c = anchor_model_input_channels(m);
    if (shape_only) {
        if (m->nhwc)
            printf("%lldx%lldx%lld\n", (long long)h, (long long)w, (long long)c);
        else
            printf("%lldx%lldx%lld\n", (long long)c, (long long)h, (long long)w);
        anchor_model_destroy(m);
        return 0;
    }
    double seconds = atof(argv[5]);
    int64_t per = h * w * c, k = anchor_model_num_classes(m), have;
    float *src = read_floats(argv[2], &have);
    have /= per;
    if (!src || have < 1) {
        fprintf(stderr, "%s: cannot read, or holds no %lld-float image\n", argv[2], (long long)per);
        return 1;
    }
    float *in = malloc((size_t)(batch * per) * sizeof *in), *out = malloc((size_t)(batch * k) * sizeof *out);
    for (int64_t i = 0; i < batch; i++)
        memcpy(in + i * per, src + (i % have) * per, (size_t)per * sizeof *in);
    if (anc_model_run_tensor(m, in, batch, out, &err)) { /* warm-up: plan + JIT */
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
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
    if (argc >= 7 && strcmp(argv[6], "-")) {
        FILE *f = fopen(argv[6], "wb");
        if (!f || fwrite(out, sizeof *out, (size_t)(batch * k), f) != (size_t)(batch * k) || fclose(f)) {
            fprintf(stderr, "%s: cannot write\n", argv[6]);
            return 1;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.3f %.3f %.0f %s %s\n", (double)runs * (double)batch / total, (double)batch / best,
           (double)ru.ru_maxrss / 1024.0, anchor_model_precision(m) == ANCHOR_PRECISION_BF16 ? "bf16" : "fp32",
           anchor_model_isa(m));
    anchor_model_destroy(m);
    free(src);
    free(in);
    free(out);
    return 0;
}
