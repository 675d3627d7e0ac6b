/* SPDX-License-Identifier: Apache-2.0 */
/* What anchor serve's two halves share (private): server.c runs the daemon (connections,
 * bodies, access log, start and drain), routes.c answers each complete request. server.c
 * calls routes.c, never the other way round; both read the state below. */
#ifndef ANCHOR_SERVE_SERVER_INTERNAL_H
#define ANCHOR_SERVE_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "serve/serve.h"

#define MAX_NAME 256

static inline double anc_serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct server {
    const anc_serve_config *cfg;
    anchor_model *model;            /* model mode; owned by model_door once that exists */
    anchor_predictor *model_door;   /* the model as a predictor */
    anchor_predictor *model_shared; /* model_door, one request at a time (the engine runs one batch) */
    char **class_names;
    int64_t n_class_names;
    char *predictor_base; /* explainer mode: scheme://host[:port] */
    anc_metrics *metrics;
    atomic_int explaining;
    atomic_int in_flight;
    atomic_bool draining;
} server;

/* One request, from its first callback to libmicrohttpd's completion notice. */
typedef struct request {
    double t0;
    char *body;
    size_t len, cap;
    bool too_big;
    const char *route;
    int code;
    size_t bytes_out;
    char method[8];
    char url[160];
} request;

/* Queue a JSON {"error": message} answer with the given status and extra header pairs
 * (NULL-terminated, or NULL); records the status and size in r for the access log. */
enum MHD_Result anc_serve_answer_error(struct MHD_Connection *c, request *r, int code, const char *message,
                                       const char *const *headers);
/* Answer a request whose body (if any) is complete: dispatch on method and URL. */
enum MHD_Result anc_serve_route(server *s, struct MHD_Connection *c, request *r, const char *url,
                                const char *method);

#endif
