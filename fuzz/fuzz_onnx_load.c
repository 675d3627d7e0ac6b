/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: an ONNX file from the fuzzer is loaded and planned (as anchor_model_load
 * does, from memory), then, when it is small enough to run quickly, run once on one input.
 *
 * Why: a model file is user input (issue 9: a server loads them), so no byte string may
 * crash the process, hang it, or make it allocate gigabytes. The loader already refuses
 * what would; the run guards here only keep each execution short (a valid model with
 * 10^10 multiply-adds is not a bug, just slow). Seeds: fuzz/onnx_corpus.sh DIR; words:
 * fuzz/onnx.dict. Built by fuzz/CMakeLists.txt (-DANCHOR_FUZZ=ON, CC=clang), or by hand:
 *   CC=clang cmake -S . -B bf -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,address,undefined
 *   cmake --build bf --target anchor
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Ibf/src/predict/onnx/gen \
 *     fuzz/fuzz_onnx_load.c bf/libanchor.a -lomp -lcjson -ldnnl -ljpeg -lpng16 -lprotobuf-c -lz -lm
 *   ./a.out -dict=fuzz/onnx.dict -rss_limit_mb=2048 -timeout=10 CORPUS SEEDS */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/onnx.h"
#include "predict/onnx/onnx_internal.h"

#define FUZZ_MAX_INPUT_VALUES (1 << 20)
#define FUZZ_MAX_FLOPS 2e8
/* Pad, Tile, Expand or Resize can ask for 150 MB of activations within the loader's budget
 * and without a multiply-add: legitimate, and a second of memset under the sanitizers. */
#define FUZZ_MAX_PLAN_BYTES ((int64_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.threads = 1;
    opt.max_batch = 1;
    anchor_model *m = NULL;
    anchor_error err = {0};
    if (anc_ox_model_load_bytes(&m, data, size, "fuzz.onnx", &opt, &err) != ANCHOR_OK)
        return 0;
    ox_shape one = m->graph.input_shape;
    one.d[0] = 1;
    int64_t values = anc_ox_shape_elems(&one), classes = anchor_model_num_classes(m);
    ox_plan *p = NULL;
    if (values > 0 && values <= FUZZ_MAX_INPUT_VALUES && classes > 0 && classes <= FUZZ_MAX_INPUT_VALUES &&
        anc_ox_model_plan(m, 1, &p, &err) == ANCHOR_OK && anc_ox_plan_flops(p) <= FUZZ_MAX_FLOPS &&
        anc_ox_plan_bytes(p) <= FUZZ_MAX_PLAN_BYTES) {
        float *in = malloc((size_t)values * sizeof *in), *out = malloc((size_t)classes * sizeof *out);
        if (in && out) {
            for (int64_t i = 0; i < values; i++) /* varied, finite, both signs */
                in[i] = (float)((i * 37 % 101) - 50) / 25.0f;
            anc_model_run_tensor(m, in, 1, out, &err);
        }
        free(in);
        free(out);
    }
    anchor_model_destroy(m);
    return 0;
}
