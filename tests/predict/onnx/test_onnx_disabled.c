/* SPDX-License-Identifier: Apache-2.0 */
/* A build without the ONNX engine keeps onnx.h's functions (one ABI) but each call that
 * needs the engine fails with ANCHOR_ERR_UNSUPPORTED and the message naming the build
 * option; options keep their defaults and a NULL model is harmless. */
#include <string.h>

#include "anchor/anchor.h"
#include "harness.h"

static const char *const want = "this build of anchor has no ONNX support (built with -DANCHOR_WITH_ONNX=OFF)";

int main(void)
{
    anchor_error err;
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    CHECK(!strcmp(opt.preprocess, "raw") && opt.softmax == 0 && opt.threads == 0 && opt.max_batch == 0);

    anchor_model *m = (anchor_model *)&err; /* must be overwritten with NULL */
    anchor_error_clear(&err);
    CHECK(anchor_model_load("model.onnx", &opt, &m, &err) == ANCHOR_ERR_UNSUPPORTED);
    CHECK(m == NULL);
    CHECK(err.status == ANCHOR_ERR_UNSUPPORTED && !strcmp(err.message, want));

    anchor_predictor *p = (anchor_predictor *)&err;
    anchor_error_clear(&err);
    CHECK(anchor_predictor_create_model(NULL, &p, &err) == ANCHOR_ERR_UNSUPPORTED);
    CHECK(p == NULL && !strcmp(err.message, want));

    anchor_error_clear(&err);
    CHECK(anchor_model_predict(NULL, NULL, NULL, &err) == ANCHOR_ERR_UNSUPPORTED && !strcmp(err.message, want));
    CHECK(anchor_model_input_height(NULL) == 0 && anchor_model_num_classes(NULL) == 0);
    anchor_model_destroy(NULL);
    return harness_finish();
}
