/* SPDX-License-Identifier: Apache-2.0 */
/* anchor serve: explanations and the model itself over HTTP (src/serve/serve.h).
 *
 * Two modes share this server. Model mode loads an ONNX model once and is both a KServe v2
 * (Open Inference Protocol) predictor and its explainer. Explainer mode is the custom
 * explainer container KServe starts with --model_name, --predictor_host and --http_port:
 * it explains through the remote predictor (anchor/remote.h) and passes :predict through.
 *
 * Threads. libmicrohttpd runs one thread per connection: an explanation keeps its thread
 * for seconds, and in a shared pool it would stall every other connection of that thread
 * (health probes included). At most `workers` explanations run at once; a request beyond
 * that is answered 503 with Retry-After at once rather than queued behind minutes of work.
 * The ONNX model runs one batch at a time (anchor/onnx.h), so model calls pass through the
 * serialized predictor (predict.h), the same door batch jobs share a model through;
 * the engine itself uses every core for each batch, so nothing is lost by the queue.
 *
 * Deadlines. A client that sends too slowly is cut off by libmicrohttpd's connection
 * timeout; an explanation carries its own deadline, checked before every model call, so
 * a request that runs too long ends with 504 and frees its worker.
 *
 * Shutdown. SIGTERM and SIGINT are taken by sigwait in the main thread (blocked in all
 * others): the daemon stops accepting, in-flight requests get drain_seconds to finish,
 * and the process exits 0.
 *
 * This file is the daemon: connections and their bodies, the access log, start and drain;
 * the routes that answer a complete request are in routes.c. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/server_internal.h"

void anc_serve_config_default(anc_serve_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = NULL;
    cfg->port = 8080;
    cfg->workers = 1;
    cfg->predictor_timeout = 60;
    cfg->request_timeout = 300;
    cfg->drain_seconds = 30;
    cfg->client_timeout = 30;
    anc_serve_limits_default(&cfg->limits);
}
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    server *s = cls;
    request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        r->t0 = anc_serve_now();
        r->route = "other";
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->url, sizeof r->url, "%s", url);
        atomic_fetch_add(&s->in_flight, 1);
        anc_metrics_in_flight(s->metrics, 1);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtod(cl, NULL) > (double)s->cfg->limits.max_body_bytes)
            r->too_big = true; /* refused before a byte of it is read */
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big) {
            if (r->len + *upload_size > s->cfg->limits.max_body_bytes) {
                r->too_big = true;
                free(r->body);
                r->body = NULL;
                r->len = r->cap = 0;
            } else {
                if (r->len + *upload_size + 1 > r->cap) {
                    size_t cap = r->cap ? r->cap : 65536;
                    while (cap < r->len + *upload_size + 1)
                        cap *= 2;
                    char *b = realloc(r->body, cap);
                    if (!b)
                        return MHD_NO;
                    r->body = b;
                    r->cap = cap;
                }
                memcpy(r->body + r->len, upload, *upload_size);
                r->len += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than the limit of %zu bytes (--max-body-mb)",
                 s->cfg->limits.max_body_bytes);
        return anc_serve_answer_error(c, r, 413, msg, NULL);
    }
    return anc_serve_route(s, c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    server *s = cls;
    request *r = *con_cls;
    if (!r)
        return;
    double dt = anc_serve_now() - r->t0;
    int code = r->code ? r->code : 0; /* 0: closed before an answer */
    fprintf(stderr, "anchor serve: \"%s %s\" %d %zu %.3fs%s\n", r->method, r->url, code, r->bytes_out, dt,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    anc_metrics_request(s->metrics, r->route, code, dt);
    anc_metrics_in_flight(s->metrics, -1);
    atomic_fetch_sub(&s->in_flight, 1);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- start, serve, drain ---------------------------------------------------------------- */

static int load_class_names(server *s, const char *path, anchor_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return anchor_error_set(err, ANCHOR_ERR_IO, "--labels %s: cannot open: %s", path, strerror(errno));
    char line[1024];
    int64_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (s->n_class_names == cap) {
            cap = cap ? cap * 2 : 1024;
            char **n = realloc(s->class_names, sizeof *n * (size_t)cap);
            if (!n)
                break;
            s->class_names = n;
        }
        if (!(s->class_names[s->n_class_names] = strdup(line)))
            break;
        s->n_class_names++;
    }
    fclose(f);
    return ANCHOR_OK;
}

static void server_free(server *s)
{
    anchor_predictor_destroy(s->model_shared);
    if (s->model_door)
        anchor_predictor_destroy(s->model_door); /* owns the model */
    else
        anchor_model_destroy(s->model);
    for (int64_t i = 0; i < s->n_class_names; i++)
        free(s->class_names[i]);
    free(s->class_names);
    free(s->predictor_base);
    anc_metrics_destroy(s->metrics);
}

int anc_serve_run(const anc_serve_config *cfg)
{
    server s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    anchor_error err;
    anchor_error_clear(&err);
    anchor_status st = anc_metrics_create(&s.metrics, &err);
    if (!st && cfg->model_path) {
        anchor_onnx_options mo;
        anchor_onnx_options_default(&mo);
        if (cfg->preprocess)
            mo.preprocess = cfg->preprocess;
        mo.softmax = cfg->softmax;
        mo.precision = cfg->precision;
        st = anchor_model_load(cfg->model_path, &mo, &s.model, &err);
        if (!st)
            st = anchor_predictor_create_model(s.model, &s.model_door, &err);
        if (!st)
            st = anchor_predictor_create_serialized(s.model_door, &s.model_shared, &err);
        if (!st && anchor_model_precision(s.model) != mo.precision)
            fprintf(stderr, "anchor serve: notice: this CPU has no native bfloat16 (oneDNN ISA %s): running in %s\n",
                    anchor_model_isa(s.model), anchor_precision_name(anchor_model_precision(s.model)));
    }
    if (!st && cfg->labels_path && !(st = load_class_names(&s, cfg->labels_path, &err)) &&
        s.n_class_names != anchor_model_num_classes(s.model))
        st = anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "--labels %s has %lld lines but the model has %lld classes",
                              cfg->labels_path, (long long)s.n_class_names, (long long)anchor_model_num_classes(s.model));
    if (!st && cfg->predictor_host) {
        const char *h = cfg->predictor_host;
        size_t n = strlen(h) + 16;
        if ((s.predictor_base = malloc(n)))
            snprintf(s.predictor_base, n, "%s%.*s", strstr(h, "://") ? "" : cfg->predictor_use_ssl ? "https://" : "http://",
                     (int)(strlen(h) - (h[strlen(h) - 1] == '/')), h);
        else
            st = anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    if (st) {
        fprintf(stderr, "anchor serve: %s\n", err.message);
        server_free(&s);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* every thread started from here on inherits the mask: signals come to sigwait only */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "anchor serve: --host %s is not an IPv4 address\n", host);
        server_free(&s);
        return 2;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_request, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        &s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->client_timeout + 0.5), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)256, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "anchor serve: cannot listen on %s:%d: %s\n", host, cfg->port, strerror(errno));
        server_free(&s);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "anchor serve: %s mode, model '%s', listening on http://%s:%u\n",
            s.model ? "model" : "explainer", cfg->model_name, host, info ? (unsigned)info->port : (unsigned)cfg->port);

    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "anchor serve: %s: no new connections; draining %d request(s) for up to %g s\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&s.in_flight), cfg->drain_seconds);
    atomic_store(&s.draining, true);
    MHD_quiesce_daemon(d);
    double end = anc_serve_now() + cfg->drain_seconds;
    while (atomic_load(&s.in_flight) > 0 && anc_serve_now() < end) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&s.in_flight) > 0) {
        /* stopping the daemon would wait for them; leaving is what the deadline means */
        fprintf(stderr, "anchor serve: %d request(s) still running after %g s; exiting\n", atomic_load(&s.in_flight),
                cfg->drain_seconds);
        return 0;
    }
    MHD_stop_daemon(d);
    curl_global_cleanup();
    server_free(&s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(stderr, "anchor serve: stopped\n");
    return 0;
}
