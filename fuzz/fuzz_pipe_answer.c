/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: what a pipe predictor program writes on its stdout. The bytes are
 * delivered in chunks whose sizes the input's first byte picks (as a pipe may split
 * them), through anc_npy_read_header with the pipe's own size bound, then judged and
 * widened by the pipe's answer code (src/predict/pipe_answer.c) for a request of 1..16
 * images. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "predict/pipe_answer.h"

typedef struct chunked {
    const uint8_t *p;
    size_t left, chunk;
} chunked;

static anchor_status read_chunked(void *ctx, void *buf, size_t n, anchor_error *err)
{
    chunked *c = ctx;
    unsigned char *dst = buf;
    while (n > 0) { /* the pump loops like this over partial reads */
        size_t k = n < c->chunk ? n : c->chunk;
        if (k > c->left)
            return anchor_error_set(err, ANCHOR_ERR_IO, "end of answer");
        memcpy(dst, c->p, k);
        c->p += k, c->left -= k, dst += k, n -= k;
    }
    return ANCHOR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int64_t count = 1 + data[0] % 16;
    chunked c = {data + 2, size - 2, 1 + data[1] % 64};
    anchor_npy_header h;
    anchor_error err;
    size_t max_bytes = (size_t)(count + 1) * ((size_t)1 << 23); /* as pipe.c */
    if (anc_npy_read_header(read_chunked, &c, max_bytes, &h, &err) != ANCHOR_OK)
        return 0;
    anc_pipe_answer a;
    if (anc_pipe_answer_check(&h, count, 1, &a, &err) != ANCHOR_OK || h.nbytes > c.left)
        return 0;
    double *scores = a.is_labels ? NULL : malloc((size_t)(a.n * a.classes) * sizeof *scores);
    int64_t *labels = a.is_labels ? malloc((size_t)a.n * sizeof *labels) : NULL;
    if ((a.is_labels && labels) || (!a.is_labels && scores))
        anc_pipe_answer_convert(&h, c.p, &a, 1, scores, labels, &err);
    free(scores);
    free(labels);
    return 0;
}
