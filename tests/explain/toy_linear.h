/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only C port of ../shared/predictors/toy_linear.py (ToyLinearSoftmax). */
#ifndef ANCHOR_TEST_TOY_LINEAR_H
#define ANCHOR_TEST_TOY_LINEAR_H

#include "anchor/predict.h"

typedef struct toy_linear {
    int grid, classes;
    double gain, centre, bias_scale;
} toy_linear;

void toy_linear_default(toy_linear *m);
/* Scores (n x classes, float64) of a batch; returns 0, or -1 when the image is smaller
 * than the grid or memory runs out. */
int toy_linear_scores(const toy_linear *m, const anchor_image *batch, double *scores);
/* Logits only (n x classes). */
int toy_linear_logits(const toy_linear *m, const anchor_image *batch, double *logits);
/* An anchor_predict_fn with user = toy_linear*. */
anchor_status toy_linear_predict(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err);

#endif
