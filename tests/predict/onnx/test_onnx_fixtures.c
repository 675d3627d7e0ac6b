/* SPDX-License-Identifier: Apache-2.0 */
/* Every tiny model of tests/fixtures/onnx (one per operator and attribute variant, plus
 * small nets; made by tools/make_onnx_fixtures.py) against PyTorch 1.13's output: max abs
 * diff <= 1e-4, for the whole batch and for the first image alone (another plan). */
#include <stdio.h>

#include "anchor/onnx.h"
#include "harness.h"
#include "onnx_test_util.h"
#include "predict/onnx/onnx_internal.h"

int main(void)
{
    const char *fx = getenv("ANCHOR_FIXTURES");
    char path[4096], name[256];
    snprintf(path, sizeof path, "%s/onnx/MANIFEST", fx ? fx : "tests/fixtures");
    FILE *mf = fopen(path, "r");
    CHECKF(mf != NULL, "cannot open %s", path);
    if (!mf)
        return harness_finish();
    int count = 0;
    double worst = 0;
    while (fscanf(mf, "%255s", name) == 1) {
        count++;
        int ndi, ndo;
        int64_t si[8], so[8];
        snprintf(path, sizeof path, "%s/onnx/%s.in.npy.gz", fx, name);
        float *in = test_load_npy(path, &ndi, si);
        snprintf(path, sizeof path, "%s/onnx/%s.out.npy.gz", fx, name);
        float *ref = test_load_npy(path, &ndo, so);
        CHECKF(in && ref, "%s: missing data", name);
        snprintf(path, sizeof path, "%s/onnx/%s.onnx", fx, name);
        anchor_model *m = NULL;
        anchor_error err = {0};
        anchor_status st = in && ref ? anchor_model_load(path, NULL, &m, &err) : ANCHOR_ERR_IO;
        CHECKF(st == ANCHOR_OK, "%s: %s", name, err.message);
        if (!st) {
            int64_t n = si[0], total = test_count(ndo, so);
            CHECKF(n * anchor_model_num_classes(m) == total, "%s: %lld outputs per image, reference has %lld in all",
                   name, (long long)anchor_model_num_classes(m), (long long)total);
            float *out = calloc((size_t)(n * anchor_model_num_classes(m) + 1), sizeof *out);
            st = anc_model_run_tensor(m, in, n, out, &err);
            CHECKF(st == ANCHOR_OK, "%s: %s", name, err.message);
            double d = st ? 1e9 : test_max_abs_diff(out, ref, total);
            int64_t per = total / n;
            st = anc_model_run_tensor(m, in, 1, out, &err);
            CHECKF(st == ANCHOR_OK, "%s (one image): %s", name, err.message);
            double d1 = st ? 1e9 : test_max_abs_diff(out, ref, per);
            printf("%-32s max abs diff %.3g (batch %lld), %.3g (one image)\n", name, d, (long long)n, d1);
            CHECKF(d <= 1e-4 && d1 <= 1e-4, "%s: max abs diff %g / %g", name, d, d1);
            worst = d > worst ? d : worst;
            worst = d1 > worst ? d1 : worst;
            free(out);
        }
        anchor_model_destroy(m);
        free(in);
        free(ref);
    }
    fclose(mf);
    printf("%d fixtures, worst max abs diff %.3g\n", count, worst);
    CHECK(count >= 50);
    return harness_finish();
}
