/* SPDX-License-Identifier: Apache-2.0 */
/* bf16 against fp32 on what the explainer actually sends: the real SqueezeNet 1.1 on the
 * shared photos with random superpixels replaced by their mean colour (alibi's default
 * perturbation: slic with alibi's parameters but 40 segments, each superpixel kept with probability 0.5).
 * fp32 itself is held to PyTorch by predict_onnx_squeezenet; here bf16 must give fp32's
 * top-1 on >= 99 % of the perturbed images (issue 9). bf16 alone gave 986 of 1002
 * (ANCHOR_BF16_PER_IMAGE=334), all misses near ties; the engine now runs rows near a tie
 * again in fp32 (model.c, RECHECK_MARGIN = 0.25 of the row's largest score), which gives
 * 1002 of 1002 with 23 % of the rows re-checked. The test also holds that margin to the
 * error it was derived from: on rows kept in bf16 no score may be further than 0.125 of
 * the row's largest from fp32's (measured 0.090), and that the re-check is a minority of
 * the rows (else bf16 buys nothing). Skips (77) on a CPU without
 * native bfloat16. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "anchor/anchor.h"
#include "harness.h"

/* perturbations per photo; ANCHOR_BF16_PER_IMAGE raises it for a longer measurement */
static int PER_IMAGE = 100;
#define N_IMAGES 3

/* The test's own generator (SplitMix64): masks do not depend on the library's sampler. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t argmax(const double *p, int64_t k)
{
    int64_t b = 0;
    for (int64_t i = 1; i < k; i++)
        if (p[i] > p[b])
            b = i;
    return b;
}

/* PER_IMAGE perturbations of `img` (224 x 224 x 3 uint8) appended to `dst`. */
static int perturb(const anchor_image *img, uint8_t *dst, uint64_t *rng)
{
    anchor_error err;
    anchor_slic_params sp;
    anchor_slic_params_alibi(&sp);
    sp.n_segments = 40; /* alibi's 10 gives 3 to 9 superpixels here: too few distinct masks */
    anchor_image *labels = NULL;
    if (anchor_slic(img, &sp, &labels, &err) || anchor_image_dtype(labels) != ANCHOR_DTYPE_I32) {
        fprintf(stderr, "slic: %s\n", labels ? "labels are not int32" : err.message);
        anchor_image_destroy(labels);
        return 0;
    }
    const int32_t *lab = anchor_image_cdata(labels);
    const uint8_t *px = anchor_image_cdata(img);
    int64_t hw = 224 * 224, nseg = 0;
    for (int64_t i = 0; i < hw; i++)
        nseg = lab[i] + 1 > nseg ? lab[i] + 1 : nseg;
    if (nseg < 2 || nseg > 256) {
        anchor_image_destroy(labels);
        return 0;
    }
    double mean[256][3] = {{0}}, cnt[256] = {0};
    for (int64_t i = 0; i < hw; i++) {
        cnt[lab[i]]++;
        for (int c = 0; c < 3; c++)
            mean[lab[i]][c] += px[i * 3 + c];
    }
    for (int64_t s = 0; s < nseg; s++)
        for (int c = 0; c < 3; c++)
            mean[s][c] /= cnt[s] ? cnt[s] : 1;
    for (int k = 0; k < PER_IMAGE; k++) {
        uint64_t keep = next_u64(rng); /* bit s: superpixel s kept */
        uint8_t *o = dst + (size_t)k * (size_t)hw * 3;
        for (int64_t i = 0; i < hw; i++)
            for (int c = 0; c < 3; c++)
                o[i * 3 + c] = (keep >> (lab[i] % 64)) & 1 ? px[i * 3 + c] : (uint8_t)mean[lab[i]][c];
    }
    printf("%lld superpixels\n", (long long)nseg);
    anchor_image_destroy(labels);
    return 1;
}

int main(void)
{
    const char *shared = harness_shared_or_skip();
    if (getenv("ANCHOR_BF16_PER_IMAGE"))
        PER_IMAGE = atoi(getenv("ANCHOR_BF16_PER_IMAGE"));
    if (PER_IMAGE < 1 || PER_IMAGE > 10000)
        PER_IMAGE = 100;
    char path[4096];
    snprintf(path, sizeof path, "%s/models/squeezenet1.1_fp32_from_winml_fp16.onnx", shared);
    anchor_error err;
    anchor_onnx_options o32, o16;
    anchor_onnx_options_default(&o32);
    anchor_onnx_options_default(&o16);
    o16.precision = ANCHOR_PRECISION_BF16;
    anchor_model *m32 = NULL, *m16 = NULL;
    if (anchor_model_load(path, &o32, &m32, &err) || anchor_model_load(path, &o16, &m16, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    CHECK(anchor_model_precision(m32) == ANCHOR_PRECISION_FP32);
    if (anchor_model_precision(m16) != ANCHOR_PRECISION_BF16) {
        printf("SKIP: this CPU has no native bfloat16 (oneDNN ISA %s)\n", anchor_model_isa(m16));
        anchor_model_destroy(m32);
        anchor_model_destroy(m16);
        return 77;
    }
    printf("oneDNN ISA %s\n", anchor_model_isa(m16));
    const char *names[N_IMAGES] = {"chelsea", "coffee", "astronaut"};
    anchor_image *batch = NULL;
    if (anchor_image_create(N_IMAGES * PER_IMAGE, 224, 224, 3, ANCHOR_DTYPE_U8, &batch, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    uint64_t rng = 20261201;
    for (int i = 0; i < N_IMAGES; i++) {
        anchor_image *img = NULL, *sized = NULL;
        snprintf(path, sizeof path, "%s/images/%s.png", shared, names[i]);
        anchor_status st = anchor_image_load(path, ANCHOR_COLOR_RGB, &img, &err);
        if (!st)
            st = anchor_resize(img, 224, 224, ANCHOR_RESIZE_BICUBIC, &sized, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
        if (!st)
            CHECK(perturb(sized, (uint8_t *)anchor_image_data(batch) + (size_t)i * PER_IMAGE * 224 * 224 * 3, &rng));
        anchor_image_destroy(img);
        anchor_image_destroy(sized);
    }
    anchor_prediction *p32 = NULL, *p16 = NULL;
    anchor_status st = anchor_prediction_create(&p32, &err);
    if (!st)
        st = anchor_prediction_create(&p16, &err);
    if (!st)
        st = anchor_model_predict(m32, batch, p32, &err);
    if (!st)
        st = anchor_model_predict(m16, batch, p16, &err);
    CHECKF(st == ANCHOR_OK, "%s", err.message);
    if (!st) {
        int64_t k = anchor_prediction_classes(p32), n = N_IMAGES * PER_IMAGE, same = 0;
        const double *a = anchor_prediction_scores(p32), *b = anchor_prediction_scores(p16);
        double maxd = 0, worst_gap = 0, max_rel = 0;
        int differs = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t ta = argmax(a + i * k, k), tb = argmax(b + i * k, k);
            same += ta == tb;
            if (ta != tb && a[i * k + ta] - a[i * k + tb] > worst_gap)
                worst_gap = a[i * k + ta] - a[i * k + tb];
            if (ta != tb)
                printf("image %lld: fp32 top-1 %lld (%.4f, bf16 %.4f), bf16 top-1 %lld (%.4f, fp32 %.4f)\n", (long long)i,
                       (long long)ta, a[i * k + ta], b[i * k + ta], (long long)tb, b[i * k + tb], a[i * k + tb]);
            double big = 0, row_d = 0;
            for (int64_t j = 0; j < k; j++) {
                double d = a[i * k + j] - b[i * k + j];
                big = fabs(a[i * k + j]) > big ? fabs(a[i * k + j]) : big;
                row_d = fabs(d) > row_d ? fabs(d) : row_d;
                d = d < 0 ? -d : d;
                maxd = d > maxd ? d : maxd;
                differs |= d > 0;
            }
            if (big > 0 && row_d / big > max_rel)
                max_rel = row_d / big;
        }
        printf("bf16 top-1 equals fp32's on %lld of %lld perturbed images; max abs probability diff %.4f\n",
               (long long)same, (long long)n, maxd);
        printf("max |bf16 - fp32| / row's largest |fp32|: %.4f\n", max_rel);
        int64_t re = anchor_model_rechecked(m16);
        printf("re-checked in fp32: %lld of %lld (%.1f %%)\n", (long long)re, (long long)n, 100.0 * (double)re / (double)n);
        printf("largest fp32 margin bf16 overturned: %.4f\n", worst_gap);
        CHECKF(same * 100 >= n * 99, "top-1 agreement %lld / %lld is below 99%%", (long long)same, (long long)n);
        CHECKF(max_rel <= 0.125, "bf16 scores %.4f of the row's largest from fp32's: more than half the re-check margin",
               max_rel);
        CHECKF(re > 0 && re * 2 < n, "%lld of %lld rows re-checked in fp32", (long long)re, (long long)n);
        CHECKF(worst_gap <= 0.03, "bf16 overturned an fp32 top-1 that led by %.4f", worst_gap);
        /* bf16 really ran: its probabilities are not fp32's bit for bit */
        CHECK(differs);
    }
    anchor_prediction_destroy(p32);
    anchor_prediction_destroy(p16);
    anchor_image_destroy(batch);
    anchor_model_destroy(m32);
    anchor_model_destroy(m16);
    return harness_finish();
}
