/* ONNX models as anchor predictors (include/anchor/onnx.h): stubs until the engine lands. */
#include <stdlib.h>

#include "anchor/onnx.h"

void anchor_onnx_options_default(anchor_onnx_options *opt)
{
    opt->preprocess = "raw";
    opt->softmax = 0;
    opt->threads = 0;
    opt->max_batch = 0;
}

anchor_status anchor_model_load(anchor_model **out, const char *path, const anchor_onnx_options *opt,
                                anchor_error *err)
{
    (void)opt;
    *out = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: ONNX models are not supported yet", path);
}

void anchor_model_destroy(anchor_model *m) { (void)m; }
int64_t anchor_model_input_height(const anchor_model *m) { (void)m; return 0; }
int64_t anchor_model_input_width(const anchor_model *m) { (void)m; return 0; }
int64_t anchor_model_input_channels(const anchor_model *m) { (void)m; return 0; }
int64_t anchor_model_num_classes(const anchor_model *m) { (void)m; return 0; }

anchor_status anchor_model_predict(anchor_model *m, const anchor_image *batch, anchor_prediction *out,
                                   anchor_error *err)
{
    (void)m;
    (void)batch;
    (void)out;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "ONNX models are not supported yet");
}

anchor_status anchor_predictor_create_model(anchor_predictor **out, anchor_model *model, anchor_error *err)
{
    (void)model;
    *out = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "ONNX models are not supported yet");
}
