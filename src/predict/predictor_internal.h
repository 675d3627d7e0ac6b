/* SPDX-License-Identifier: Apache-2.0 */
/* Private: the predictor handle is a callback plus its owned state; the pipe and ONNX
 * predictors are built on anchor_predictor_create_callback. */
#ifndef ANCHOR_PREDICTOR_INTERNAL_H
#define ANCHOR_PREDICTOR_INTERNAL_H

#include <stdbool.h>

#include "anchor/predict.h"

struct anchor_predictor {
    anchor_predict_fn fn;
    void *user;
    void (*destroy_user)(void *user);
    /* fixed by the first answer: a model does not change its number of classes */
    bool answered;
    int64_t n_classes; /* 0 = labels */
};

struct anchor_prediction {
    int64_t n;
    int64_t n_classes; /* 0 = labels */
    double *scores;
    int64_t *labels;
    size_t cap_scores, cap_labels;
};

#endif
