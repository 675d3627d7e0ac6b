/* SPDX-License-Identifier: Apache-2.0 */
/* The zoo bar of issue 9: every model of a zoo folder (tools/export_zoo.py's torchvision 0.14
 * architectures, or the tiny ViT/Swin/ConvNeXt fixtures of tools/make_onnx_tiny_zoo.py) must
 * load, and on the folder's photo batch give PyTorch's top-5 classes in order for every image
 * with a max abs error at most 1e-4 of the output's largest magnitude (random weights make
 * near-ties, so the order is the strict test and the error bound says how far we are from
 * breaking it).
 *
 * The folder holds ZOO ("ARCH<TAB>OPSET" per row), ARCH.in.npy (N images, the model's layout,
 * already preprocessed), ARCH.out.npy (PyTorch's N x classes) and ARCH_opOPSET.onnx, or
 * ARCH_opOPSET.failed when torch.onnx could not export it. Every row is printed, refused
 * and failed ones too (a refusal fails the bar but must not hide the rows after it), as a
 * Markdown table: load time, error, and milliseconds per image at batch 1 and at batch N,
 * both warm (the first run of a batch size plans it; that is load time, not run time).
 *
 * Usage: test_onnx_zoo DIR [MIN_ROWS] (the count guards against a generator that wrote
 * fewer rows than it should). Exit 1 when any row misses the bar. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor/onnx.h"
#include "harness.h"
#include "onnx_test_util.h"
#include "predict/onnx/onnx_internal.h"

enum { TOP = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The TOP largest of row[0..n) in order, ties to the lower index (as a stable argsort). */
static void top_classes(const float *row, int64_t n, int64_t *top)
{
    for (int k = 0; k < TOP; k++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++) {
            int taken = 0;
            for (int j = 0; j < k; j++)
                taken |= top[j] == i;
            if (!taken && (best < 0 || row[i] > row[best]))
                best = i;
        }
        top[k] = best;
    }
}

/* Warm milliseconds per image at batch n: the fastest of a few runs, the first of which
 * (planning batch n, when new) is not counted. */
static double ms_per_image(anchor_model *m, const float *in, int64_t n, float *out, anchor_error *err)
{
    if (anc_model_run_tensor(m, in, n, out, err))
        return -1;
    double best = 1e30, spent = 0;
    for (int r = 0; r < 3 && spent < 1.0; r++) {
        double t0 = now();
        if (anc_model_run_tensor(m, in, n, out, err))
            return -1;
        double dt = now() - t0;
        spent += dt;
        best = dt < best ? dt : best;
    }
    return 1e3 * best / (double)n;
}

/* The message without the leading "PATH: " (the table names the model already). */
static const char *after_path(const char *message, const char *path)
{
    size_t n = strlen(path);
    return !strncmp(message, path, n) && !strncmp(message + n, ": ", 2) ? message + n + 2 : message;
}

/* One row of the table; returns 1 when the model meets the bar. */
static int zoo_row(const char *dir, const char *arch, const char *opset)
{
    char path[4096], line[512];
    printf("| %-20s | %2s ", arch, opset);
    snprintf(path, sizeof path, "%s/%s_op%s.failed", dir, arch, opset);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
        line[strcspn(line, "\n")] = 0;
        printf("| export failed: %s | | | | | |\n", line);
        return 0;
    }
    int ndi, ndo;
    int64_t si[8], so[8];
    snprintf(path, sizeof path, "%s/%s.in.npy", dir, arch);
    float *in = test_load_npy(path, &ndi, si);
    snprintf(path, sizeof path, "%s/%s.out.npy", dir, arch);
    float *ref = test_load_npy(path, &ndo, so);
    snprintf(path, sizeof path, "%s/%s_op%s.onnx", dir, arch, opset);
    anchor_model *m = NULL;
    anchor_error err = {0};
    float *out = NULL;
    int ok = 0;
    double t0 = now();
    if (!in || !ref || ndo != 2 || ndi < 1 || si[0] != so[0]) {
        printf("| no data: %s.in.npy / %s.out.npy missing or mismatched | | | | | |\n", arch, arch);
    } else if (anchor_model_load(path, NULL, &m, &err)) {
        printf("| refused: %s | | | | | |\n", after_path(err.message, path));
    } else if (anchor_model_num_classes(m) != so[1]) {
        printf("| %lld classes, PyTorch has %lld | | | | | |\n", (long long)anchor_model_num_classes(m),
               (long long)so[1]);
    } else {
        int64_t n = si[0], classes = so[1], total = n * classes;
        out = calloc((size_t)total, sizeof *out);
        if (!out || anc_model_run_tensor(m, in, n, out, &err)) {
            printf("| refused at run: %s | | | | | |\n", out ? after_path(err.message, path) : "out of memory");
        } else {
            double load_s = now() - t0, big = 0, d = test_max_abs_diff(out, ref, total);
            for (int64_t i = 0; i < total; i++)
                big = fabs(ref[i]) > big ? fabs(ref[i]) : big;
            double rel = big > 0 ? d / big : d;
            int top_ok = 0;
            for (int64_t i = 0; i < n; i++) {
                int64_t a[TOP], b[TOP];
                top_classes(ref + i * classes, classes, a);
                top_classes(out + i * classes, classes, b);
                top_ok += !memcmp(a, b, sizeof a);
            }
            /* timing reruns overwrite `out`, after the check */
            double ms1 = ms_per_image(m, in, 1, out, &err), msn = ms_per_image(m, in, n, out, &err);
            ok = top_ok == n && rel <= 1e-4;
            printf("| %s | %.1e | %lld/%lld | %.1f | %.2f | %.2f |\n", ok ? "yes" : "WRONG", rel, (long long)top_ok,
                   (long long)n, load_s, ms1, msn);
        }
    }
    fflush(stdout);
    anchor_model_destroy(m);
    free(out);
    free(in);
    free(ref);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_onnx_zoo DIR [MIN_ROWS]\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/ZOO", dir);
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "cannot open %s", path);
    if (!f)
        return harness_finish();
    printf("| arch                 | opset | runs | rel error | top-5 in order | load+plan+first run s | "
           "ms/image batch 1 | ms/image batch N |\n|---|---|---|---|---|---|---|---|\n");
    int rows = 0, pass = 0;
    double t0 = now();
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *arch = strtok(line, "\t"), *opset = strtok(NULL, "\t");
        if (!arch || !opset)
            continue;
        rows++;
        int ok = zoo_row(dir, arch, opset);
        pass += ok;
        CHECKF(ok, "%s at opset %s misses the bar (see its row)", arch, opset);
    }
    fclose(f);
    printf("%d of %d rows meet the bar (top-5 in order, max abs error <= 1e-4 of the largest output) in %.0f s\n",
           pass, rows, now() - t0);
    int min_rows = argc > 2 ? atoi(argv[2]) : 1;
    CHECKF(rows >= min_rows, "%d rows in %s, expected at least %d", rows, path, min_rows);
    return harness_finish();
}
