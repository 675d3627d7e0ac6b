/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: the classifier, as the explainer sees it.
 *
 * A predictor takes a batch of N images (N x H x W x C, uint8 or float32) and answers
 * N x L scores (float32 or float64) or N labels. Three kinds exist behind one handle:
 * an in-process C callback, a program over a pipe (.npy in, .npy out), and the built-in
 * ONNX engine (anchor/onnx.h). The answer goes into an anchor_prediction owned by the
 * caller, so a callback never has to manage the caller's memory. */
#ifndef ANCHOR_PREDICT_H
#define ANCHOR_PREDICT_H

#include <stdbool.h>

#include "anchor/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The answer ---------------------------------------------------------------------- */
typedef struct anchor_prediction anchor_prediction;

ANCHOR_API anchor_status anchor_prediction_create(anchor_prediction **out, anchor_error *err);
ANCHOR_API void anchor_prediction_destroy(anchor_prediction *p);

/* Deliver N x L scores (dtype F32 or F64; copied and widened to float64). */
ANCHOR_API anchor_status anchor_prediction_set_scores(anchor_prediction *p, int64_t n, int64_t n_classes,
                                                      anchor_dtype dtype, const void *scores,
                                                      anchor_error *err);
/* Deliver N labels (copied). */
ANCHOR_API anchor_status anchor_prediction_set_labels(anchor_prediction *p, int64_t n, const int64_t *labels,
                                                      anchor_error *err);

ANCHOR_API int64_t anchor_prediction_count(const anchor_prediction *p);
/* L for scores; 0 when the predictor answered labels. */
ANCHOR_API int64_t anchor_prediction_classes(const anchor_prediction *p);
/* Row-major N x L float64 scores, or NULL for labels. */
ANCHOR_API const double *anchor_prediction_scores(const anchor_prediction *p);
/* The given labels, or NULL for scores. */
ANCHOR_API const int64_t *anchor_prediction_labels(const anchor_prediction *p);
/* The k best classes of image `row`, best first, as indices into its scores: descending
 * score, equal scores by ascending index (a stable sort of the negated scores). Writes
 * min(k, L) indices into `top` (room for k) and returns that count; 0 when the predictor
 * answered labels or `row` is not in 0..N-1. */
ANCHOR_API int64_t anchor_prediction_top_k(const anchor_prediction *p, int64_t row, int64_t k, int64_t *top);

/* ---- Class names ---------------------------------------------------------------------
 * The names a classifier's outputs stand for, read from a text file with one name per
 * line (line i names class i; a final newline does not start another name; "\r\n" line
 * ends are accepted) or from Keras's imagenet_class_index.json ({"0": ["n01440764",
 * "tench"], ...}: keys 0..N-1 in any order, each naming its class by the last string of
 * its value, or by the value itself when that is a string). A file whose first non-blank
 * byte is '{' is read as JSON. Files over 64 MiB are refused. */
typedef struct anchor_class_names anchor_class_names;
ANCHOR_API anchor_status anchor_class_names_load(const char *path, anchor_class_names **out, anchor_error *err);
ANCHOR_API int64_t anchor_class_names_count(const anchor_class_names *names);
/* The name of class `index`, or NULL when index is not in 0..count-1. */
ANCHOR_API const char *anchor_class_names_get(const anchor_class_names *names, int64_t index);
ANCHOR_API void anchor_class_names_destroy(anchor_class_names *names);

/* ---- The predictor handle ------------------------------------------------------------ */
typedef struct anchor_predictor anchor_predictor;

/* The callback answers one batch. It must call anchor_prediction_set_scores or
 * anchor_prediction_set_labels with exactly N rows, or fail with a status and a message
 * (anchor_error_set). `user` is passed through untouched. */
typedef anchor_status (*anchor_predict_fn)(void *user, const anchor_image *batch,
                                           anchor_prediction *out, anchor_error *err);

/* Wrap a callback. destroy_user (may be NULL) is called on `user` by
 * anchor_predictor_destroy, which lets a wrapper own its state. */
ANCHOR_API anchor_status anchor_predictor_create_callback(anchor_predict_fn fn, void *user, void (*destroy_user)(void *user),
                                               anchor_predictor **out, anchor_error *err);

/* A program over a pipe, started once and kept running: executed directly (the command
 * split on blanks, found on PATH) when it has no shell syntax, else by /bin/sh -c COMMAND.
 * Each request is one .npy (N,H,W,C) on its stdin; each answer one .npy on its stdout,
 * (N,L) float32/float64 scores or (N,) integer labels. The program leads its own process
 * group: on a timeout, a protocol error or destroy, the whole group is stopped (SIGTERM,
 * then SIGKILL after 1 s) and reaped before the call returns.
 *
 * The default timeout is generous on purpose: one request is a whole batch (100 images
 * by default), which a big model on a CPU may take minutes over. */
#define ANCHOR_PIPE_DEFAULT_TIMEOUT 300.0
typedef struct anchor_pipe_options {
    double timeout_seconds; /* per request; default ANCHOR_PIPE_DEFAULT_TIMEOUT */
    int64_t max_batch;      /* split larger batches into requests of at most this many; 0 = never */
    /* true (default): the program gets SIGKILL when the thread that created the predictor
     * ends (Linux PR_SET_PDEATHSIG), so a killed caller leaves no orphan. Set it false when
     * the creating thread may end before the predictor is destroyed. */
    bool stop_with_caller;
} anchor_pipe_options;
ANCHOR_API void anchor_pipe_options_default(anchor_pipe_options *opt);
ANCHOR_API anchor_status anchor_predictor_create_command(const char *command, const anchor_pipe_options *opt,
                                              anchor_predictor **out, anchor_error *err);

/* Run one batch. Checks that the answer has N rows and finite scores, and that the number
 * of classes (or labels rather than scores) is the one of the predictor's first answer. */
ANCHOR_API anchor_status anchor_predictor_predict(anchor_predictor *p, const anchor_image *batch,
                                                  anchor_prediction *out, anchor_error *err);
ANCHOR_API void anchor_predictor_destroy(anchor_predictor *p);

/* A predictor that lets one thread at a time into `inner` (not owned): the pipe and the
 * ONNX engine each answer one batch at a time. */
ANCHOR_API anchor_status anchor_predictor_create_serialized(anchor_predictor *inner, anchor_predictor **out,
                                                            anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
