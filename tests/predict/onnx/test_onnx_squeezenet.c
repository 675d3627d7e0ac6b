/* SPDX-License-Identifier: Apache-2.0 */
/* The real SqueezeNet 1.1 (shared models, fp32 and the fp16 original widened) against the
 * reference probabilities computed with PyTorch: the same top 5, max abs diff <= 1e-4. */
#include <stdio.h>

#include "anchor/onnx.h"
#include "harness.h"
#include "onnx_test_util.h"
#include "predict/onnx/onnx_internal.h"

static void top5(const float *p, int n, int *idx)
{
    for (int k = 0; k < 5; k++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            int used = 0;
            for (int j = 0; j < k; j++)
                used |= idx[j] == i;
            if (!used && (best < 0 || p[i] > p[best]))
                best = i;
        }
        idx[k] = best;
    }
}

int main(void)
{
    const char *shared = harness_shared_or_skip();
    const char *models[] = {"squeezenet1.1_fp32_from_winml_fp16.onnx", "squeezenet1.1_fp16_winml.onnx"};
    const char *images[] = {"chelsea", "coffee", "astronaut", "rocket"};
    for (int mi = 0; mi < 2; mi++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/models/%s", shared, models[mi]);
        anchor_model *m;
        anchor_error err;
        anchor_status st = anchor_model_load(path, NULL, &m, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
        if (st)
            continue;
        CHECK(anchor_model_num_classes(m) == 1000);
        CHECK(anchor_model_input_height(m) == 224 && anchor_model_input_width(m) == 224);
        CHECK(anchor_model_input_channels(m) == 3);
        float *all_in = malloc(4 * 3 * 224 * 224 * sizeof(float)), *all_ref = malloc(4 * 1000 * sizeof(float));
        for (int ii = 0; ii < 4; ii++) {
            int nd;
            int64_t sh[8];
            snprintf(path, sizeof path, "%s/models/reference/%s.input.npy", shared, images[ii]);
            float *in = test_load_npy(path, &nd, sh);
            snprintf(path, sizeof path, "%s/models/reference/%s.probs.npy", shared, images[ii]);
            float *ref = test_load_npy(path, &nd, sh);
            CHECK(in && ref);
            if (!in || !ref) {
                free(in);
                free(ref);
                continue;
            }
            memcpy(all_in + ii * 3 * 224 * 224, in, 3 * 224 * 224 * sizeof(float));
            memcpy(all_ref + ii * 1000, ref, 1000 * sizeof(float));
            float out[1000];
            st = anc_model_run_tensor(m, in, 1, out, &err);
            CHECKF(st == ANCHOR_OK, "%s", err.message);
            double d = test_max_abs_diff(out, ref, 1000);
            int a[5], b[5];
            top5(out, 1000, a);
            top5(ref, 1000, b);
            printf("%s %s: max abs diff %.3g, top5 ours %d %d %d %d %d (%.4f), ref %d %d %d %d %d (%.4f)\n", models[mi],
                   images[ii], d, a[0], a[1], a[2], a[3], a[4], out[a[0]], b[0], b[1], b[2], b[3], b[4], ref[b[0]]);
            CHECKF(d <= 1e-4, "%s: max abs diff %g", images[ii], d);
            CHECK(!memcmp(a, b, sizeof a));
            free(in);
            free(ref);
        }
        /* the four images as one batch give the same answers */
        float out4[4000];
        st = anc_model_run_tensor(m, all_in, 4, out4, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
        double d = test_max_abs_diff(out4, all_ref, 4000);
        printf("%s batch of 4: max abs diff %.3g\n", models[mi], d);
        CHECKF(d <= 1e-4, "batch: max abs diff %g", d);
        free(all_in);
        free(all_ref);
        anchor_model_destroy(m);
    }
    return harness_finish();
}
