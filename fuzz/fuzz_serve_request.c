/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: anchor serve's request decoding (src/serve/request.c) on arbitrary
 * bytes. The first byte picks the decoder (v1 explain, v1 predict batch, v2 infer JSON,
 * v2 infer binary with the next two bytes as the header length); the rest is the body.
 * Every input must be either decoded or refused with a message, never crash, leak or read
 * out of bounds (build with -fsanitize=fuzzer,address,undefined). Needs src/serve/request.c
 * and src/serve/instances.c (or the anchor_serve library) besides libanchor. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    anc_serve_limits lim;
    anc_serve_limits_default(&lim);
    lim.max_pixels = 4096; /* small images keep each run fast */
    lim.max_instances = 4;
    lim.max_predict_images = 4;
    lim.max_body_bytes = 1 << 20;
    int which = data[0] % 4;
    long header_len = (long)(data[1] | (data[2] << 8));
    const char *body = (const char *)data + 3;
    size_t len = size - 3;
    anchor_error err;
    anchor_error_clear(&err);
    if (which == 0) {
        anc_explain_request q;
        if (anc_serve_decode_explain(body, len, &lim, &q, &err) == ANCHOR_OK)
            anc_explain_request_free(&q);
    } else if (which == 1) {
        anchor_image *b = NULL;
        anc_serve_decode_v1_batch(body, len, &lim, &b, &err);
        anchor_image_destroy(b);
    } else {
        anchor_image *b = NULL;
        bool binary = false;
        char *id = NULL;
        anc_serve_decode_v2(body, len, which == 2 ? -1 : header_len, &lim, &b, &binary, &id, &err);
        anchor_image_destroy(b);
        free(id);
    }
    if (err.status && !err.message[0])
        abort(); /* a refusal always says why */
    return 0;
}
