/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's half of ONNX's node tests (tools/run_onnx_node_tests.py writes the cases and
 * judges the answers). For each case named in DIR/CASES (one name a line, from line FIRST
 * on), it loads NAME.onnx, plans it at the batch its input declares, feeds NAME.in.npy and
 * writes the raw float32 output to NAME.got, then prints one tab-separated line:
 *   NAME  OK       COUNT              the output has COUNT floats (NAME.got)
 *   NAME  REFUSED  STATUS  MESSAGE    loading, planning or running failed, with our message
 * Lines are flushed one by one, so that the driver knows which case a crash interrupted
 * and can restart the runner after it.
 *
 * Why plan at the declared batch and not through anc_model_run_tensor: that one cuts a
 * batch into power-of-two runs, which is right for images but would split an operator that
 * mixes rows of dimension 0 (Softmax on axis 0, a reduction over it) and judge the batching
 * policy instead of the operator. The plan is the one anchor_model_load already made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/onnx.h"
#include "onnx_test_util.h"
#include "predict/onnx/onnx_internal.h"

static void run_case(const char *dir, const char *name)
{
    char path[4096];
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.threads = 1; /* one case is tiny; a team of threads only adds spin time */
    anchor_error err = {0};
    anchor_model *m = NULL;
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    anchor_status st = anchor_model_load(path, &opt, &m, &err);
    int ndi = 0;
    int64_t si[OX_MAX_DIMS] = {0};
    snprintf(path, sizeof path, "%s/%s.in.npy", dir, name);
    float *in = st ? NULL : test_load_npy(path, &ndi, si);
    if (!st && !in)
        st = anchor_error_set(&err, ANCHOR_ERR_IO, "%s: cannot read", path);
    ox_plan *p = NULL;
    int64_t batch = ndi > 0 ? si[0] : 0;
    if (!st && (ndi < 1 || batch < 1))
        st = anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: the input has no batch dimension", name);
    if (!st)
        st = anc_ox_model_plan(m, batch, &p, &err);
    if (!st) {
        memcpy(anc_ox_plan_input(p), in, (size_t)test_count(ndi, si) * sizeof(float));
        st = anc_ox_plan_run(p, &err);
    }
    if (st) {
        printf("%s\tREFUSED\t%s\t%s\n", name, anchor_status_name(st), err.message);
    } else {
        int64_t count = batch * anc_ox_plan_output_count(p);
        snprintf(path, sizeof path, "%s/%s.got", dir, name);
        FILE *f = fopen(path, "wb");
        size_t wrote = f ? fwrite(anc_ox_plan_output(p), sizeof(float), (size_t)count, f) : 0;
        if (!f || fclose(f) || wrote != (size_t)count)
            printf("%s\tREFUSED\tIO\tcannot write %s\n", name, path);
        else
            printf("%s\tOK\t%lld\n", name, (long long)count);
    }
    fflush(stdout);
    free(in);
    anchor_model_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_onnx_nodes DIR [FIRST]\n");
        return 2;
    }
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/CASES", argv[1]);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    long first = argc > 2 ? atol(argv[2]) : 0;
    for (long i = 0; fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\t\n")] = 0;
        if (i >= first && line[0])
            run_case(argv[1], line);
    }
    fclose(f);
    return 0;
}
