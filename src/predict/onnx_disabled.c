/* SPDX-License-Identifier: Apache-2.0 */
/* The ONNX API of a build without the engine (cmake -DANCHOR_WITH_ONNX=OFF).
 *
 * A user who brings a C callback or a --predict-cmd program should not need oneDNN, OpenMP
 * or protobuf-c, yet a program written against anchor/onnx.h must still link and a
 * libanchor.so built either way must export the same functions (one ABI). So every call
 * exists here and the ones that would need the engine fail with ANCHOR_ERR_UNSUPPORTED and
 * a message saying how the library was built. Options keep their documented defaults, the
 * queries of a model (which can never exist here) answer 0, and destroy accepts NULL.
 * CMakeLists.txt compiles this file only when the engine is off. */
#include "anchor/onnx.h"

#include <stddef.h>

static anchor_status no_onnx(anchor_error *err)
{
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                            "this build of anchor has no ONNX support (built with -DANCHOR_WITH_ONNX=OFF)");
}

void anchor_onnx_options_default(anchor_onnx_options *opt)
{
    opt->preprocess = "raw";
    opt->softmax = false;
    opt->threads = 0;
    opt->max_batch = 0;
    opt->precision = ANCHOR_PRECISION_FP32;
}

anchor_status anchor_model_load(const char *path, const anchor_onnx_options *opt, anchor_model **out,
                                anchor_error *err)
{
    (void)path;
    (void)opt;
    if (out)
        *out = NULL;
    return no_onnx(err);
}

void anchor_model_destroy(anchor_model *m) { (void)m; }

int64_t anchor_model_input_height(const anchor_model *m)
{
    (void)m;
    return 0;
}

int64_t anchor_model_input_width(const anchor_model *m)
{
    (void)m;
    return 0;
}

int64_t anchor_model_input_channels(const anchor_model *m)
{
    (void)m;
    return 0;
}

int64_t anchor_model_num_classes(const anchor_model *m)
{
    (void)m;
    return 0;
}

anchor_precision anchor_model_precision(const anchor_model *m)
{
    (void)m;
    return ANCHOR_PRECISION_FP32;
}

const char *anchor_model_isa(const anchor_model *m)
{
    (void)m;
    return "none";
}

int64_t anchor_model_rechecked(const anchor_model *m)
{
    (void)m;
    return 0;
}

anchor_status anchor_model_predict(anchor_model *m, const anchor_image *batch, anchor_prediction *out,
                                   anchor_error *err)
{
    (void)m;
    (void)batch;
    (void)out;
    return no_onnx(err);
}

anchor_status anchor_predictor_create_model(anchor_model *model, anchor_predictor **out, anchor_error *err)
{
    (void)model;
    if (out)
        *out = NULL;
    return no_onnx(err);
}
