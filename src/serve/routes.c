/* SPDX-License-Identifier: Apache-2.0 */
/* anchor serve's routes: health, metadata and metrics; prediction in model mode (KServe v1
 * and v2 inference); :predict passed through to the remote predictor in explainer mode;
 * and :explain, which runs anchor_explain per instance against the served or remote model
 * under the request's deadline. Each route reads a complete body and queues one answer;
 * connections, body accumulation and the daemon's life are server.c's, so the routes
 * read as the protocol they implement. server.c's header comment says how the threads,
 * deadlines and shutdown work. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_internal.h"

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

enum MHD_Result anc_serve_answer_error(struct MHD_Connection *c, request *r, int code, const char *message,
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
    if (anc_serve_now() > mc->deadline)
        return anchor_error_set(err, ANCHOR_ERR_TIMEOUT, "the request ran past its deadline of %g s",
                                mc->s->cfg->request_timeout);
    if (mc->remote)
        return anchor_predictor_predict(mc->remote, batch, out, err);
    return anchor_predictor_predict(mc->s->model_shared, batch, out, err);
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
        double ishape[4] = {-1, (double)anchor_model_input_height(s->model),
                            (double)anchor_model_input_width(s->model),
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
        return anchor_error_set(
            err, ANCHOR_ERR_INVALID_ARGUMENT,
            "the model takes %lld x %lld x %lld images (H x W x C), not %lld x %lld x %lld",
            (long long)anchor_model_input_height(s->model), (long long)anchor_model_input_width(s->model),
            (long long)anchor_model_input_channels(s->model), (long long)anchor_image_height(batch),
            (long long)anchor_image_width(batch), (long long)anchor_image_channels(batch));
    anchor_status st = anchor_prediction_create(pred, err);
    if (st)
        return st;
    return anchor_predictor_predict(s->model_shared, batch, *pred, err);
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
        return anc_serve_answer_error(c, r, http_status(st, false), err.message, NULL);
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
            return anc_serve_answer_error(c, r, 400, "Inference-Header-Content-Length is not a byte count", NULL);
    }
    anchor_image *batch = NULL;
    anchor_prediction *pred = NULL;
    bool binary = false;
    char *id = NULL;
    anchor_status st =
        anc_serve_decode_v2(r->body, r->len, header_len, &s->cfg->limits, &batch, &binary, &id, &err);
    if (!st)
        st = run_model(s, batch, &pred, &err);
    anchor_image_destroy(batch);
    if (st) {
        free(id);
        anchor_prediction_destroy(pred);
        return anc_serve_answer_error(c, r, http_status(st, false), err.message, NULL);
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
        return anc_serve_answer_error(c, r, 500, "libcurl could not start a connection handle", NULL);
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
        return anc_serve_answer_error(c, r, cc == CURLE_OPERATION_TIMEDOUT ? 504 : 502, msg, NULL);
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
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels but the model takes %lld",
                                what, (long long)anchor_image_channels(*img), (long long)mc);
    if (mh <= 0 || mw <= 0 || (anchor_image_height(*img) == mh && anchor_image_width(*img) == mw))
        return ANCHOR_OK;
    if (anchor_image_dtype(*img) != ANCHOR_DTYPE_U8)
        return anchor_error_set(
            err, ANCHOR_ERR_INVALID_ARGUMENT,
            "%s is %lld x %lld float32; only uint8 images are resized to the model's %lld x %lld", what,
            (long long)anchor_image_height(*img), (long long)anchor_image_width(*img), (long long)mh,
            (long long)mw);
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
        return anc_serve_answer_error(c, r, 503, msg, retry);
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
        return anc_serve_answer_error(c, r, http_status(st, !s->model), err.message, NULL);
    if (!body)
        return anc_serve_answer_error(c, r, 503, "out of memory for the answer", NULL);
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

enum MHD_Result anc_serve_route(server *s, struct MHD_Connection *c, request *r, const char *url,
                                const char *method)
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
        return anc_serve_answer_error(c, r, 404, "no such route", NULL);
    }
    if (strcmp(name, s->cfg->model_name)) {
        r->route = "other";
        char msg[MAX_NAME + 64];
        snprintf(msg, sizeof msg, "model '%s' is not served here", name);
        return anc_serve_answer_error(c, r, 404, msg, NULL);
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
            return anc_serve_answer_error(c, r, 503, "shutting down", NULL);
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
    return anc_serve_answer_error(c, r, get || post ? 404 : 405, "no such route for this method", NULL);
}
