/* SPDX-License-Identifier: Apache-2.0 */
/* anchor serve: the HTTP server's room (src/serve), built on the public API only.
 *
 *   instances.c  the v1 "instances" nested lists read straight into images (no JSON tree)
 *   request.c  decoding request bodies (KServe v1 instances and explain parameters, Open
 *              Inference Protocol v2 tensors, JSON or binary) into images and parameters,
 *              every size and value bounded; pure functions, the fuzz target's subject
 *   metrics.c  counters and the latency histogram, printed as Prometheus text
 *   server.c   libmicrohttpd set-up, routing, handlers, access log, draining on SIGTERM
 *
 * The CLI (src/cli/cmd_serve.c) fills an anc_serve_config and calls anc_serve_run. */
#ifndef ANCHOR_SERVE_H
#define ANCHOR_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/anchor.h"

/* Bounds on what one request may ask for; each refusal names the bound. */
typedef struct anc_serve_limits {
    size_t max_body_bytes;      /* whole request body */
    int64_t max_instances;      /* images per explain request */
    int64_t max_predict_images; /* images per predict / infer request */
    int64_t max_pixels;         /* per image (H x W) */
    int64_t max_batch_size;     /* explain parameter batch_size */
    int64_t max_coverage_samples;
    int64_t max_beam_size;
    int64_t max_min_samples_start;
    int64_t max_cache_size;     /* binary_cache_size and cache_margin */
    int64_t max_covered_ex;
    int64_t max_segments;       /* segmentation_kwargs n_segments and the label count */
} anc_serve_limits;
void anc_serve_limits_default(anc_serve_limits *lim);

typedef struct anc_serve_config {
    /* model mode: the ONNX model served and explained in process */
    const char *model_path;
    const char *preprocess;
    bool softmax;
    anchor_precision precision; /* of the model's heavy operators (0: FP32) */
    const char *labels_path;    /* class names, one per line (v2 metadata, explanation) */
    /* explainer mode (KServe): the model lives behind predictor_host */
    const char *predictor_host; /* host[:port] or a URL */
    anchor_remote_protocol predictor_protocol;
    double predictor_timeout;   /* seconds per predictor request */
    bool predictor_use_ssl;
    const char *model_name;     /* the name in the URLs */
    const char *host;           /* address to bind: 127.0.0.1 unless told */
    int port;                   /* 0 = any free port (printed on stderr) */
    int workers;                /* explanations at once; more get 503 */
    double request_timeout;     /* seconds an explanation may take (504 after) */
    double drain_seconds;       /* SIGTERM: time for in-flight requests to finish */
    double client_timeout;      /* seconds of client silence before its connection is closed */
    anc_serve_limits limits;
} anc_serve_config;
void anc_serve_config_default(anc_serve_config *cfg);

/* Run until SIGTERM or SIGINT; returns the process exit status. */
int anc_serve_run(const anc_serve_config *cfg);

/* ---- request.c ------------------------------------------------------------------------ */

/* One explanation request: the images and how to explain them. */
typedef struct anc_explain_request {
    anchor_image **instances;
    int64_t n_instances;
    anchor_explain_params params;
    char *segmentation;        /* method name */
    char **seg_keys, **seg_values;
    int n_seg;
    char *seg_kwargs_json;     /* for meta.params; NULL = alibi's slic defaults */
} anc_explain_request;

/* {"instances": [HxWxC or HxW nested lists, ...], "parameters": {...}}. Numbers that are
 * all integers in 0..255 make a uint8 image, others float32 (parameters.dtype forces one).
 * Parameters: alibi's explain() names, seed, segmentation_fn, segmentation_kwargs. */
anchor_status anc_serve_decode_explain(const char *body, size_t len, const anc_serve_limits *lim,
                                       anc_explain_request *out, anchor_error *err);
void anc_explain_request_free(anc_explain_request *r);

/* v1 {"instances": [...]} as one N x H x W x C batch (all instances of one shape). */
anchor_status anc_serve_decode_v1_batch(const char *body, size_t len, const anc_serve_limits *lim,
                                        anchor_image **out, anchor_error *err);

/* v2 infer: the first input as an N x H x W x C batch (shape [N,H,W,C] or [N,H,W]),
 * from JSON "data" (flat or nested) or, when header_len >= 0 (Inference-Header-Content-
 * Length), from the binary bytes after the JSON header. *binary_output is set when the
 * request asks for binary outputs. *request_id gets the request's "id" (or NULL). */
anchor_status anc_serve_decode_v2(const char *body, size_t len, long header_len, const anc_serve_limits *lim,
                                  anchor_image **out, bool *binary_output, char **request_id, anchor_error *err);

/* ---- instances.c ---------------------------------------------------------------------- */

/* The body without its top-level "instances" value ("[]" in its place; free() it), with
 * [*vs, *ve) the value's text; NULL when the scanner does not find an "instances" array. */
char *anc_serve_cut_instances(const char *body, size_t len, const char **vs, const char **ve, size_t *rest_len);
/* The "instances" array text [vs, ve) as at most max_count images (dtype 0: uint8 when all
 * values are 0..255 integers, else float32). */
anchor_status anc_serve_read_instances(const char *vs, const char *ve, const anc_serve_limits *lim,
                                       int64_t max_count, anchor_dtype dtype, anchor_image ***out, int64_t *n,
                                       anchor_error *err);

/* ---- metrics.c ------------------------------------------------------------------------- */

typedef struct anc_metrics anc_metrics;
anchor_status anc_metrics_create(anc_metrics **out, anchor_error *err);
void anc_metrics_destroy(anc_metrics *m);
/* `route` is one of a few constant names ("explain", "infer", ...), never the raw URL,
 * so the series stay few whatever clients send. */
void anc_metrics_request(anc_metrics *m, const char *route, int code, double seconds);
void anc_metrics_explained(anc_metrics *m, int64_t images_sampled, int64_t images_predicted);
void anc_metrics_in_flight(anc_metrics *m, int delta);
/* The Prometheus text exposition (version 0.0.4); free() it. */
char *anc_metrics_text(anc_metrics *m, size_t *len);

#endif
