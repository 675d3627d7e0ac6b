/* SPDX-License-Identifier: Apache-2.0 */
/* anchor serve: explanations and the model itself over HTTP (src/serve/serve.h).
 *
 * Two modes share this file. Model mode loads an ONNX model once and is both a KServe v2
 * (Open Inference Protocol) predictor and its explainer. Explainer mode is the custom
 * explainer container KServe starts with --model_name, --predictor_host and --http_port:
 * it explains through the remote predictor (anchor/remote.h) and passes :predict through.
 *
 * Threads. libmicrohttpd runs one thread per connection: an explanation keeps its thread
 * for seconds, and in a shared pool it would stall every other connection of that thread
 * (health probes included). At most `workers` explanations run at once; a request beyond
 * that is answered 503 with Retry-After at once rather than queued behind minutes of work.
 * The ONNX model runs one batch at a time (anchor/onnx.h), so model calls take a mutex;
 * the engine itself uses every core for each batch, so nothing is lost by the queue.
 *
 * Deadlines. A client that sends too slowly is cut off by libmicrohttpd's connection
 * timeout; an explanation carries its own deadline, checked before every model call, so
 * a request that runs too long ends with 504 and frees its worker.
 *
 * Shutdown. SIGTERM and SIGINT are taken by sigwait in the main thread (blocked in all
 * others): the daemon stops accepting, in-flight requests get drain_seconds to finish,
 * and the process exits 0. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/serve.h"

#define MAX_NAME 256

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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct server {
    const anc_serve_config *cfg;
    anchor_model *model; /* model mode */
    pthread_mutex_t model_lock;
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

/* ---- answers ------------------------------------------------------------------------------ */

static enum MHD_Result answer(struct MHD_Connection *c, request *r, int code, const char *type, char *body,
                              size_t len, const char *const *headers)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    for (int i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    r->code = code;
    r->bytes_out = len;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer_json(struct MHD_Connection *c, request *r, int code, cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return MHD_NO;
    char *copy = strdup(text);
    cJSON_free(text);
    if (!copy)
        return MHD_NO;
    return answer(c, r, code, "application/json", copy, strlen(copy), NULL);
}

static enum MHD_Result answer_error(struct MHD_Connection *c, request *r, int code, const char *message,
                                    const char *const *headers)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", message);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *copy = text ? strdup(text) : NULL;
    cJSON_free(text);
    if (!copy)
        return MHD_NO;
    return answer(c, r, code, "application/json", copy, strlen(copy), headers);
}

/* The HTTP status for a library failure: the client's fault (400, 413), the upstream
 * model server's (502, 504), or ours (500, 503). */
static int http_status(anchor_status st, bool remote)
{
    switch (st) {
    case ANCHOR_ERR_INVALID_ARGUMENT:
    case ANCHOR_ERR_FORMAT:
    case ANCHOR_ERR_UNSUPPORTED: return 400;
    case ANCHOR_ERR_LIMIT: return 413;
    case ANCHOR_ERR_TIMEOUT: return 504;
    case ANCHOR_ERR_PREDICTOR:
    case ANCHOR_ERR_IO: return remote ? 502 : 500;
    case ANCHOR_ERR_NOMEM: return 503;
    default: return 500;
    }
}

/* ---- the model, shared ------------------------------------------------------------------- */

typedef struct model_call {
    server *s;
    anchor_predictor *remote; /* explainer mode */
    double deadline;
} model_call;

static anchor_status predict_with_deadline(void *user, const anchor_image *batch, anchor_prediction *out,
                                           anchor_error *err)
{
    model_call *mc = user;
    if (now_seconds() > mc->deadline)
        return anchor_error_set(err, ANCHOR_ERR_TIMEOUT, "the request ran past its deadline of %g s",
                                mc->s->cfg->request_timeout);
    if (mc->remote)
        return anchor_predictor_predict(mc->remote, batch, out, err);
    pthread_mutex_lock(&mc->s->model_lock);
    anchor_status st = anchor_model_predict(mc->s->model, batch, out, err);
    pthread_mutex_unlock(&mc->s->model_lock);
    return st;
}

/* ---- routes: metadata and health ---------------------------------------------------------- */

static enum MHD_Result server_metadata(struct MHD_Connection *c, request *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "anchor");
    cJSON_AddStringToObject(o, "version", anchor_version());
    cJSON *ext = cJSON_AddArrayToObject(o, "extensions");
    cJSON_AddItemToArray(ext, cJSON_CreateString("binary_tensor_data"));
    return answer_json(c, r, 200, o);
}

static enum MHD_Result model_metadata(server *s, struct MHD_Connection *c, request *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->cfg->model_name);
    cJSON_AddStringToObject(o, "platform", s->model ? "onnx_anchor" : "anchor_explainer");
    if (s->model) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "name", "input");
        cJSON_AddStringToObject(in, "datatype", "FP32");
        double ishape[4] = {-1, (double)anchor_model_input_height(s->model), (double)anchor_model_input_width(s->model),
                            (double)anchor_model_input_channels(s->model)};
        cJSON_AddItemToObject(in, "shape", cJSON_CreateDoubleArray(ishape, 4));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "inputs"), in);
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "name", "output");
        cJSON_AddStringToObject(out, "datatype", "FP32");
        double oshape[2] = {-1, (double)anchor_model_num_classes(s->model)};
        cJSON_AddItemToObject(out, "shape", cJSON_CreateDoubleArray(oshape, 2));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "outputs"), out);
    }
    return answer_json(c, r, 200, o);
}

/* ---- route: prediction in model mode ------------------------------------------------------ */

static anchor_status run_model(server *s, const anchor_image *batch, anchor_prediction **pred, anchor_error *err)
{
    if (anchor_image_height(batch) != anchor_model_input_height(s->model) ||
        anchor_image_width(batch) != anchor_model_input_width(s->model) ||
        anchor_image_channels(batch) != anchor_model_input_channels(s->model))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "the model takes %lld x %lld x %lld images (H x W x C), not %lld x %lld x %lld",
                                (long long)anchor_model_input_height(s->model),
                                (long long)anchor_model_input_width(s->model),
                                (long long)anchor_model_input_channels(s->model), (long long)anchor_image_height(batch),
                                (long long)anchor_image_width(batch), (long long)anchor_image_channels(batch));
    anchor_status st = anchor_prediction_create(pred, err);
    if (st)
        return st;
    pthread_mutex_lock(&s->model_lock);
    st = anchor_model_predict(s->model, batch, *pred, err);
    pthread_mutex_unlock(&s->model_lock);
    return st;
}

static enum MHD_Result predict_v1(server *s, struct MHD_Connection *c, request *r)
{
    anchor_error err;
    anchor_error_clear(&err);
    anchor_image *batch = NULL;
    anchor_prediction *pred = NULL;
    anchor_status st = anc_serve_decode_v1_batch(r->body, r->len, &s->cfg->limits, &batch, &err);
    if (!st)
        st = run_model(s, batch, &pred, &err);
    anchor_image_destroy(batch);
    if (st) {
        anchor_prediction_destroy(pred);
        return answer_error(c, r, http_status(st, false), err.message, NULL);
    }
    int64_t n = anchor_prediction_count(pred), L = anchor_prediction_classes(pred);
    const double *sc = anchor_prediction_scores(pred);
    cJSON *o = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(o, "predictions");
    for (int64_t i = 0; i < n; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int64_t k = 0; k < L; k++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(sc[i * L + k]));
        cJSON_AddItemToArray(rows, row);
    }
    anchor_prediction_destroy(pred);
    return answer_json(c, r, 200, o);
}

static enum MHD_Result infer_v2(server *s, struct MHD_Connection *c, request *r)
{
    anchor_error err;
    anchor_error_clear(&err);
    const char *hl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Inference-Header-Content-Length");
    long header_len = -1;
    if (hl) {
        char *end;
        header_len = strtol(hl, &end, 10);
        if (end == hl || *end || header_len < 0)
            return answer_error(c, r, 400, "Inference-Header-Content-Length is not a byte count", NULL);
    }
    anchor_image *batch = NULL;
    anchor_prediction *pred = NULL;
    bool binary = false;
    char *id = NULL;
    anchor_status st = anc_serve_decode_v2(r->body, r->len, header_len, &s->cfg->limits, &batch, &binary, &id, &err);
    if (!st)
        st = run_model(s, batch, &pred, &err);
    anchor_image_destroy(batch);
    if (st) {
        free(id);
        anchor_prediction_destroy(pred);
        return answer_error(c, r, http_status(st, false), err.message, NULL);
    }
    int64_t n = anchor_prediction_count(pred), L = anchor_prediction_classes(pred);
    const double *sc = anchor_prediction_scores(pred);
    size_t count = (size_t)(n * L);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model_name", s->cfg->model_name);
    if (id)
        cJSON_AddStringToObject(o, "id", id);
    free(id);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "name", "output");
    double shape[2] = {(double)n, (double)L};
    cJSON_AddItemToObject(out, "shape", cJSON_CreateDoubleArray(shape, 2));
    cJSON_AddStringToObject(out, "datatype", "FP32");
    if (binary) {
        cJSON *p = cJSON_AddObjectToObject(out, "parameters");
        cJSON_AddNumberToObject(p, "binary_data_size", (double)(count * 4));
    } else {
        cJSON *data = cJSON_AddArrayToObject(out, "data");
        for (size_t i = 0; i < count; i++)
            cJSON_AddItemToArray(data, cJSON_CreateNumber((float)sc[i]));
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "outputs"), out);
    if (!binary) {
        anchor_prediction_destroy(pred);
        return answer_json(c, r, 200, o);
    }
    char *head = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t hlen = head ? strlen(head) : 0;
    char *body = head ? malloc(hlen + count * 4 + 1) : NULL;
    if (!body) {
        cJSON_free(head);
        anchor_prediction_destroy(pred);
        return MHD_NO;
    }
    memcpy(body, head, hlen);
    cJSON_free(head);
    for (size_t i = 0; i < count; i++) { /* the model computes float32: converting back is exact */
        float f = (float)sc[i];
        memcpy(body + hlen + i * 4, &f, 4);
    }
    anchor_prediction_destroy(pred);
    char hlen_text[32];
    snprintf(hlen_text, sizeof hlen_text, "%zu", hlen);
    const char *headers[] = {"Inference-Header-Content-Length", hlen_text, NULL};
    return answer(c, r, 200, "application/octet-stream", body, hlen + count * 4, headers);
}

/* ---- route: :predict passed through to the predictor (explainer mode) ---------------------- */

typedef struct sink {
    char *data;
    size_t len;
    size_t max;
} sink;

static size_t sink_write(char *p, size_t size, size_t n, void *user)
{
    sink *k = user;
    size_t bytes = size * n;
    if (k->len + bytes > k->max)
        return 0;
    char *d = realloc(k->data, k->len + bytes + 1);
    if (!d)
        return 0;
    memcpy(d + k->len, p, bytes);
    k->data = d;
    k->len += bytes;
    return bytes;
}

/* The request's x-request-id and authorization, as "Name: value" lines for the predictor. */
static int forwarded_headers(struct MHD_Connection *c, char lines[2][1100], const char *ptrs[2])
{
    static const char *const names[] = {"x-request-id", "authorization"};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, names[i]);
        if (v && strlen(v) < 1024 && !strpbrk(v, "\r\n")) {
            snprintf(lines[n], sizeof lines[n], "%s: %s", names[i], v);
            ptrs[n] = lines[n];
            n++;
        }
    }
    return n;
}

static enum MHD_Result predict_passthrough(server *s, struct MHD_Connection *c, request *r)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/v1/models/%s:predict", s->predictor_base, s->cfg->model_name);
    CURL *h = curl_easy_init();
    if (!h)
        return answer_error(c, r, 500, "libcurl could not start a connection handle", NULL);
    char lines[2][1100];
    const char *fw[2];
    int nf = forwarded_headers(c, lines, fw);
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; i < nf && hl; i++)
        hl = curl_slist_append(hl, fw[i]);
    sink k = {NULL, 0, (size_t)256 << 20};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(s->cfg->predictor_timeout * 1000));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    CURLcode cc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK) {
        free(k.data);
        char msg[1400];
        snprintf(msg, sizeof msg, "%s: %s", url, curl_easy_strerror(cc));
        return answer_error(c, r, cc == CURLE_OPERATION_TIMEDOUT ? 504 : 502, msg, NULL);
    }
    if (!k.data)
        k.data = strdup("");
    return answer(c, r, (int)code, "application/json", k.data, k.len, NULL);
}

/* ---- route: :explain ---------------------------------------------------------------------- */

static anchor_status fit_to_model(server *s, anchor_image **img, const char *what, anchor_error *err)
{
    if (!s->model)
        return ANCHOR_OK;
    int64_t mh = anchor_model_input_height(s->model), mw = anchor_model_input_width(s->model);
    int64_t mc = anchor_model_input_channels(s->model);
    if (anchor_image_channels(*img) != mc)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels but the model takes %lld", what,
                                (long long)anchor_image_channels(*img), (long long)mc);
    if (mh <= 0 || mw <= 0 || (anchor_image_height(*img) == mh && anchor_image_width(*img) == mw))
        return ANCHOR_OK;
    if (anchor_image_dtype(*img) != ANCHOR_DTYPE_U8)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s is %lld x %lld float32; only uint8 images are resized to the model's %lld x %lld",
                                what, (long long)anchor_image_height(*img), (long long)anchor_image_width(*img),
                                (long long)mh, (long long)mw);
    anchor_image *r = NULL;
    anchor_status st = anchor_resize(*img, mh, mw, ANCHOR_RESIZE_BICUBIC, &r, err);
    if (st)
        return st;
    anchor_image_destroy(*img);
    *img = r;
    return ANCHOR_OK;
}

/* With --labels: "instance_label_name" after the Explanation's last member. */
static anchor_status add_label_name(char **json, const char *name, anchor_error *err)
{
    cJSON *str = cJSON_CreateString(name);
    char *quoted = str ? cJSON_PrintUnformatted(str) : NULL;
    cJSON_Delete(str);
    size_t len = strlen(*json), extra = quoted ? strlen(quoted) + 32 : 0;
    char *grown = quoted ? realloc(*json, len + extra) : NULL;
    if (!grown) {
        cJSON_free(quoted);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    snprintf(grown + len - 1, extra + 1, ",\"instance_label_name\":%s}", quoted);
    cJSON_free(quoted);
    *json = grown;
    return ANCHOR_OK;
}

/* Explain one instance and return its Explanation JSON text. */
static anchor_status explain_one(server *s, anc_explain_request *q, int64_t i, anchor_predictor *pred, char **json,
                                 anchor_error *err)
{
    char what[48];
    snprintf(what, sizeof what, "instances[%lld]", (long long)i);
    anchor_status st = fit_to_model(s, &q->instances[i], what, err);
    if (st)
        return st;
    anchor_image *img = q->instances[i], *labels = NULL;
    anchor_segmenter *seg = NULL;
    anchor_explanation *e = NULL;
    if ((st = anchor_segmenter_create(q->segmentation, &seg, err)))
        return anchor_error_prefix(err, "parameters.segmentation_fn");
    for (int k = 0; k < q->n_seg && !st; k++)
        if ((st = anchor_segmenter_set(seg, q->seg_keys[k], q->seg_values[k], err)))
            anchor_error_prefix(err, "parameters.segmentation_kwargs.%s", q->seg_keys[k]);
    if (!st && (st = anchor_segmenter_run(seg, img, &labels, err)))
        anchor_error_prefix(err, "segmenting %s", what);
    anchor_segmenter_destroy(seg);
    if (!st)
        st = anchor_explain(img, labels, NULL, pred, &q->params, &e, err);
    if (!st) {
        anchor_explain_stats stats;
        anchor_explanation_stats(e, &stats);
        anc_metrics_explained(s->metrics, stats.images_sampled, stats.images_predicted);
        anchor_output_info info;
        anchor_output_info_default(&info);
        info.segmentation = q->segmentation;
        info.segmentation_kwargs = q->seg_kwargs_json;
        if (!q->seg_kwargs_json && !strcmp(q->segmentation, "slic"))
            info.segmentation_kwargs = "{\"n_segments\":10,\"compactness\":10,\"sigma\":0.5,\"start_label\":0}";
        info.predictor = s->model ? s->cfg->model_path : s->predictor_base;
        st = anchor_explanation_to_json(e, img, &q->params, &info, json, err);
        int64_t label = anchor_explanation_instance_label(e);
        if (!st && label >= 0 && label < s->n_class_names)
            st = add_label_name(json, s->class_names[label], err);
    }
    anchor_explanation_destroy(e);
    anchor_image_destroy(labels);
    return st;
}

static enum MHD_Result explain(server *s, struct MHD_Connection *c, request *r)
{
    if (atomic_fetch_add(&s->explaining, 1) >= s->cfg->workers) {
        atomic_fetch_sub(&s->explaining, 1);
        static const char *const retry[] = {"Retry-After", "1", NULL};
        char msg[160];
        snprintf(msg, sizeof msg, "busy: %d explanations are running (--workers); retry later", s->cfg->workers);
        return answer_error(c, r, 503, msg, retry);
    }
    double deadline = r->t0 + s->cfg->request_timeout;
    anchor_error err;
    anchor_error_clear(&err);
    anc_explain_request q;
    anchor_status st = anc_serve_decode_explain(r->body, r->len, &s->cfg->limits, &q, &err);
    anchor_predictor *remote = NULL, *pred = NULL;
    model_call mc = {s, NULL, deadline};
    if (!st && !s->model) {
        char lines[2][1100];
        const char *fw[2];
        anchor_remote_options ro;
        anchor_remote_options_default(&ro);
        ro.url = s->predictor_base;
        ro.model_name = s->cfg->model_name;
        ro.protocol = s->cfg->predictor_protocol ? s->cfg->predictor_protocol : ANCHOR_REMOTE_V1;
        ro.timeout_seconds = s->cfg->predictor_timeout;
        ro.headers = fw;
        ro.n_headers = forwarded_headers(c, lines, fw);
        if (!(st = anchor_predictor_create_remote(&ro, &remote, &err)))
            mc.remote = remote;
    }
    if (!st)
        st = anchor_predictor_create_callback(predict_with_deadline, &mc, NULL, &pred, &err);
    char **texts = st ? NULL : calloc((size_t)q.n_instances, sizeof *texts);
    if (!st && !texts)
        st = anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < q.n_instances; i++)
        st = explain_one(s, &q, i, pred, &texts[i], &err);
    anchor_predictor_destroy(pred);
    anchor_predictor_destroy(remote);
    int64_t n = q.n_instances;
    anc_explain_request_free(&q);
    atomic_fetch_sub(&s->explaining, 1);
    char *body = NULL;
    size_t len = 0;
    if (!st) {
        /* one instance: the Explanation itself (as alibi's server answered); several: a list */
        size_t total = 32;
        for (int64_t i = 0; i < n; i++)
            total += strlen(texts[i]) + 1;
        body = malloc(total);
        if (body && n == 1) {
            len = (size_t)sprintf(body, "%s", texts[0]);
        } else if (body) {
            len = (size_t)sprintf(body, "{\"explanations\":[");
            for (int64_t i = 0; i < n; i++)
                len += (size_t)sprintf(body + len, "%s%s", i ? "," : "", texts[i]);
            len += (size_t)sprintf(body + len, "]}");
        }
    }
    for (int64_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    if (st)
        return answer_error(c, r, http_status(st, !s->model), err.message, NULL);
    if (!body)
        return answer_error(c, r, 503, "out of memory for the answer", NULL);
    return answer(c, r, 200, "application/json", body, len, NULL);
}

/* ---- routing -------------------------------------------------------------------------------- */

/* "NAME" from /v2/models/NAME[/tail] or /v1/models/NAME[:verb]. */
static int model_path(const char *url, const char *prefix, char *name, const char **tail)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n))
        return 0;
    const char *p = url + n;
    size_t k = strcspn(p, "/:");
    if (!k || k >= MAX_NAME)
        return 0;
    memcpy(name, p, k);
    name[k] = 0;
    *tail = p + k;
    return 1;
}

static enum MHD_Result route(server *s, struct MHD_Connection *c, request *r, const char *url, const char *method)
{
    bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    char name[MAX_NAME];
    const char *tail = "";
    if (get && (!strcmp(url, "/v2/health/live") || !strcmp(url, "/v2/health/ready"))) {
        r->route = "health";
        bool ready = strstr(url, "ready") && atomic_load(&s->draining);
        return answer_json(c, r, ready ? 503 : 200, cJSON_CreateObject());
    }
    if (get && !strcmp(url, "/v2")) {
        r->route = "metadata";
        return server_metadata(c, r);
    }
    if (get && !strcmp(url, "/metrics")) {
        r->route = "metrics";
        size_t len = 0;
        char *text = anc_metrics_text(s->metrics, &len);
        return text ? answer(c, r, 200, "text/plain; version=0.0.4", text, len, NULL) : MHD_NO;
    }
    int v2 = model_path(url, "/v2/models/", name, &tail), v1 = !v2 && model_path(url, "/v1/models/", name, &tail);
    if (!v1 && !v2) {
        r->route = "other";
        return answer_error(c, r, 404, "no such route", NULL);
    }
    if (strcmp(name, s->cfg->model_name)) {
        r->route = "other";
        char msg[MAX_NAME + 64];
        snprintf(msg, sizeof msg, "model '%s' is not served here", name);
        return answer_error(c, r, 404, msg, NULL);
    }
    if (get && v2 && (!*tail || !strcmp(tail, "/ready"))) {
        r->route = "model";
        return *tail ? answer_json(c, r, 200, cJSON_CreateObject()) : model_metadata(s, c, r);
    }
    if (get && v1 && !*tail) { /* KServe v1 model status */
        r->route = "model";
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddBoolToObject(o, "ready", true);
        return answer_json(c, r, 200, o);
    }
    if (post && v1 && !strcmp(tail, ":explain")) {
        r->route = "explain";
        if (atomic_load(&s->draining))
            return answer_error(c, r, 503, "shutting down", NULL);
        return explain(s, c, r);
    }
    if (post && v1 && !strcmp(tail, ":predict")) {
        r->route = "predict";
        return s->model ? predict_v1(s, c, r) : predict_passthrough(s, c, r);
    }
    if (post && v2 && !strcmp(tail, "/infer") && s->model) {
        r->route = "infer";
        return infer_v2(s, c, r);
    }
    r->route = "other";
    return answer_error(c, r, get || post ? 404 : 405, "no such route for this method", NULL);
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
        r->t0 = now_seconds();
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
        return answer_error(c, r, 413, msg, NULL);
    }
    return route(s, c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    server *s = cls;
    request *r = *con_cls;
    if (!r)
        return;
    double dt = now_seconds() - r->t0;
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
    anchor_model_destroy(s->model);
    pthread_mutex_destroy(&s->model_lock);
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
    pthread_mutex_init(&s.model_lock, NULL);
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
    double end = now_seconds() + cfg->drain_seconds;
    while (atomic_load(&s.in_flight) > 0 && now_seconds() < end) {
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
