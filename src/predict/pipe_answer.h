/* SPDX-License-Identifier: Apache-2.0 */
/* Private: reading a pipe predictor's answer once its .npy header and data are in hand
 * (pipe.c does the I/O; this part only judges bytes, so it is fuzzed on its own). */
#ifndef ANCHOR_PREDICT_PIPE_ANSWER_H
#define ANCHOR_PREDICT_PIPE_ANSWER_H

#include <stdint.h>

#include "image/npy.h"

typedef struct anc_pipe_answer {
    int is_labels;   /* (N,) integer labels rather than (N,L) scores */
    int64_t n;       /* rows */
    int64_t classes; /* L; 0 for labels */
} anc_pipe_answer;

/* Accept a header as the answer to request number `request` of `count` images: (count, L)
 * float32/float64 scores with L >= 1, or (count,) integer labels. The message starts with
 * a verb ("answered ..."), for "predictor program `CMD` " to precede it. */
anchor_status anc_pipe_answer_check(const anchor_npy_header *h, int64_t count, int64_t request, anc_pipe_answer *a,
                                    anchor_error *err);

/* Widen the data (h->nbytes bytes) into scores (n x classes doubles, all finite) or labels
 * (n int64), whichever a says. */
anchor_status anc_pipe_answer_convert(const anchor_npy_header *h, const unsigned char *data, const anc_pipe_answer *a,
                                      int64_t request, double *scores, int64_t *labels, anchor_error *err);

#endif
