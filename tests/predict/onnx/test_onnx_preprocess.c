/* SPDX-License-Identifier: Apache-2.0 */
/* Preprocessing presets and input layouts, through identity models (NCHW and NHWC): each
 * output value must be the preset's formula applied to the right pixel and channel. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "anchor/onnx.h"
#include "harness.h"

static float expected(const char *pre, int ch, float x)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    static const float caffe[3] = {103.939f, 116.779f, 123.68f};
    if (!strcmp(pre, "inception"))
        return x / 127.5f - 1.f;
    if (!strcmp(pre, "torch"))
        return (x / 255.f - mean[ch]) / sd[ch];
    if (!strcmp(pre, "caffe"))
        return x - caffe[ch];
    return x;
}

int main(void)
{
    const char *fx = getenv("ANCHOR_FIXTURES");
    const char *models[] = {"identity_nchw", "identity_nhwc"};
    const char *presets[] = {"raw", "raw-bgr", "inception", "caffe", "torch"};
    anchor_error err = {0};
    anchor_image *img;
    CHECK(anchor_image_create(2, 4, 5, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    uint8_t *px = anchor_image_data(img);
    for (int i = 0; i < 2 * 4 * 5 * 3; i++)
        px[i] = (uint8_t)(i * 37 % 256);
    for (int mi = 0; mi < 2; mi++)
        for (int pi = 0; pi < 5; pi++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/onnx/%s.onnx", fx ? fx : "tests/fixtures", models[mi]);
            anchor_onnx_options opt;
            anchor_onnx_options_default(&opt);
            opt.preprocess = presets[pi];
            anchor_model *m;
            anchor_status st = anchor_model_load(path, &opt, &m, &err);
            CHECKF(st == ANCHOR_OK, "%s", err.message);
            if (st)
                continue;
            CHECK(anchor_model_input_height(m) == 4 && anchor_model_input_width(m) == 5 &&
                  anchor_model_input_channels(m) == 3 && anchor_model_num_classes(m) == 60);
            anchor_prediction *pred;
            CHECK(anchor_prediction_create(&pred, &err) == ANCHOR_OK);
            st = anchor_model_predict(m, img, pred, &err);
            CHECKF(st == ANCHOR_OK, "%s", err.message);
            const double *y = anchor_prediction_scores(pred);
            int bad = 0;
            int bgr = !strcmp(presets[pi], "raw-bgr") || !strcmp(presets[pi], "caffe");
            for (int n = 0; n < 2 && !st; n++)
                for (int h = 0; h < 4; h++)
                    for (int w = 0; w < 5; w++)
                        for (int c = 0; c < 3; c++) {
                            int src_c = bgr ? 2 - c : c;
                            float x = px[((n * 4 + h) * 5 + w) * 3 + src_c];
                            int out = mi == 0 ? ((n * 3 + c) * 4 + h) * 5 + w : ((n * 4 + h) * 5 + w) * 3 + c;
                            bad += fabs(y[out] - expected(presets[pi], c, x)) > 1e-5;
                        }
            CHECKF(bad == 0, "%s with %s: %d values differ", models[mi], presets[pi], bad);
            anchor_prediction_destroy(pred);
            anchor_model_destroy(m);
        }
    anchor_image_destroy(img);
    return harness_finish();
}
