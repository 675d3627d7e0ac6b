/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: a classifier served over HTTP, as a predictor for the explainer.
 *
 * The model runs in a model server (KServe, Triton, TorchServe's KServe mode, or
 * `anchor serve --model`); each batch is one HTTP POST to it, on one connection kept
 * open between batches. Two wire formats, both KServe's:
 *   v1  POST .../v1/models/NAME:predict  {"instances": [HxWxC nested lists, ...]}
 *       answered by {"predictions": [[scores], ...]} or {"predictions": [label, ...]}
 *   v2  POST .../v2/models/NAME/infer (the Open Inference Protocol) with the binary tensor
 *       extension: a JSON header of Inference-Header-Content-Length bytes, then the raw
 *       N x H x W x C pixels (UINT8 or FP32); the answer's first output, binary when the
 *       server supports the extension (binary_data_output), JSON "data" otherwise.
 * Failures name the URL and the problem: the HTTP status and the server's message, a
 * timeout, a refused connection, or an answer that is not what the protocol says. */
#ifndef ANCHOR_REMOTE_H
#define ANCHOR_REMOTE_H

#include <stdbool.h>

#include "anchor/predict.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum anchor_remote_protocol {
    ANCHOR_REMOTE_AUTO = 0, /* v2 when the URL's path contains "/v2/", else v1 */
    ANCHOR_REMOTE_V1,
    ANCHOR_REMOTE_V2
} anchor_remote_protocol;

/* Parse "v1" or "v2". */
ANCHOR_API anchor_status anchor_remote_protocol_parse(const char *name, anchor_remote_protocol *out, anchor_error *err);

typedef struct anchor_remote_options {
    /* Where batches are POSTed: either the whole endpoint
     * (http://host:8080/v2/models/m/infer) or a base (http://host:8080, host:8080) that
     * is completed with model_name and the protocol's path. A base without a scheme gets
     * http://, or https:// when use_ssl is set. */
    const char *url;
    const char *model_name;          /* needed when url is a base */
    anchor_remote_protocol protocol; /* AUTO */
    double timeout_seconds;          /* per request, connecting included; default 60 */
    bool use_ssl;                    /* see url; default false */
    const char *input_name;          /* v2 input tensor name; default "input" */
    const char *const *headers;      /* "Name: value" lines sent with every request (copied) */
    int n_headers;
    int64_t max_batch;               /* split larger batches; 0 = never */
} anchor_remote_options;
ANCHOR_API void anchor_remote_options_default(anchor_remote_options *opt);

/* Check the options and prepare one connection (no request is made yet). */
ANCHOR_API anchor_status anchor_predictor_create_remote(const anchor_remote_options *opt, anchor_predictor **out,
                                             anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
