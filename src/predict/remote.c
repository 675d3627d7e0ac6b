/* SPDX-License-Identifier: Apache-2.0 */
/* The remote predictor: a classifier behind KServe's v1 or v2 HTTP protocol
 * (include/anchor/remote.h), on libcurl.
 *
 * One CURL easy handle lives as long as the predictor, so every batch of an explanation
 * goes over the same kept-alive connection (no TCP or TLS handshake per batch); the
 * handle is not shared, so a predictor is used by one thread at a time, like the others.
 *
 * Request bodies are written by hand rather than through a JSON tree: a v1 batch of 100
 * 299 x 299 photos is 26.8 M numbers, and a tree of that many nodes costs more than the
 * model. uint8 pixels come from a 256-entry table of their decimal text; float32 pixels
 * are printed with %.9g, which reads back to the same float. v2 sends the pixels as they
 * lie in memory (NHWC, little-endian) after a small JSON header, per the binary tensor
 * extension, so nothing is printed at all. Answers are small (N x classes) and are read
 * with cJSON. The answer is capped (ANSWER_MAX) so a runaway server cannot exhaust memory. */
#include "anchor/remote.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/image_internal.h"

#define ANSWER_MAX (256u << 20) /* bytes of one answer */
#define MESSAGE_EXCERPT 200     /* bytes of a server's error body quoted in a message */

typedef struct buffer {
    char *data;
    size_t len, cap;
    int overflow;
} buffer;

static int buffer_reserve(buffer *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return 0;
    b->data = d;
    b->cap = cap;
    return 1;
}

static int buffer_add(buffer *b, const void *p, size_t n)
{
    if (!buffer_reserve(b, n))
        return 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

typedef struct remote {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    anchor_remote_protocol protocol;
    char *input_name;
    int64_t max_batch;
    buffer body, answer;
    long header_json_len; /* the answer's Inference-Header-Content-Length, -1 when absent */
} remote;

anchor_status anchor_remote_protocol_parse(const char *name, anchor_remote_protocol *out, anchor_error *err)
{
    if (name && !strcasecmp(name, "v1"))
        *out = ANCHOR_REMOTE_V1;
    else if (name && !strcasecmp(name, "v2"))
        *out = ANCHOR_REMOTE_V2;
    else
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "unknown predictor protocol '%s' (v1 or v2)",
                                name ? name : "");
    return ANCHOR_OK;
}

void anchor_remote_options_default(anchor_remote_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->timeout_seconds = 60;
    opt->input_name = "input";
}

static void remote_destroy(void *user)
{
    remote *r = user;
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    free(r->url);
    free(r->input_name);
    free(r->body.data);
    free(r->answer.data);
    free(r);
}

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    buffer *b = user;
    size_t bytes = size * n;
    if (b->len + bytes > ANSWER_MAX) {
        b->overflow = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return buffer_add(b, ptr, bytes) ? bytes : 0;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *user)
{
    remote *r = user;
    size_t bytes = size * n;
    static const char name[] = "inference-header-content-length:";
    if (bytes > sizeof name - 1 && !strncasecmp(ptr, name, sizeof name - 1)) {
        char num[32];
        size_t k = bytes - (sizeof name - 1);
        k = k < sizeof num - 1 ? k : sizeof num - 1;
        memcpy(num, ptr + sizeof name - 1, k);
        num[k] = 0;
        char *end;
        long v = strtol(num, &end, 10);
        r->header_json_len = end != num && v >= 0 ? v : -2;
    }
    return bytes;
}

/* ---- the URL ------------------------------------------------------------------------- */

static char *make_url(const anchor_remote_options *o, anchor_remote_protocol *proto, anchor_error *err)
{
    const char *u = o->url;
    int has_scheme = strstr(u, "://") != NULL;
    const char *path = has_scheme ? strchr(strstr(u, "://") + 3, '/') : strchr(u, '/');
    int is_endpoint = path && (strstr(path, "/v1/models/") || strstr(path, "/v2/models/"));
    if (*proto == ANCHOR_REMOTE_AUTO)
        *proto = is_endpoint && strstr(path, "/v2/models/") ? ANCHOR_REMOTE_V2 : ANCHOR_REMOTE_V1;
    if (!is_endpoint && (!o->model_name || !*o->model_name)) {
        anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                         "predictor URL %s names no model: give the endpoint (.../v1/models/NAME:predict or "
                         ".../v2/models/NAME/infer) or a model name",
                         u);
        return NULL;
    }
    size_t n = strlen(u) + (o->model_name ? strlen(o->model_name) : 0) + 64;
    char *s = malloc(n);
    if (!s) {
        anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const char *scheme = has_scheme ? "" : o->use_ssl ? "https://" : "http://";
    if (is_endpoint) {
        snprintf(s, n, "%s%s", scheme, u);
    } else {
        size_t len = strlen(u);
        while (len && u[len - 1] == '/')
            len--;
        if (*proto == ANCHOR_REMOTE_V2)
            snprintf(s, n, "%s%.*s/v2/models/%s/infer", scheme, (int)len, u, o->model_name);
        else
            snprintf(s, n, "%s%.*s/v1/models/%s:predict", scheme, (int)len, u, o->model_name);
    }
    return s;
}

/* ---- request bodies ------------------------------------------------------------------- */

/* {"instances": [[[[r, g, b], ...], ...], ...]} */
static int write_v1(buffer *b, const anchor_image *batch, int64_t first, int64_t count)
{
    static char text[256][4];
    static unsigned char text_len[256];
    if (!text_len[255]) /* idempotent, so a race between threads writes the same bytes */
        for (int v = 0; v < 256; v++)
            text_len[v] = (unsigned char)snprintf(text[v], sizeof text[v], "%d", v);
    int64_t H = batch->h, W = batch->w, C = batch->c;
    size_t per = (size_t)(H * W * C);
    b->len = 0;
    if (!buffer_add(b, "{\"instances\":[", 14))
        return 0;
    for (int64_t k = 0; k < count; k++) {
        /* worst case per value: 16 characters of float text plus separators */
        if (!buffer_reserve(b, per * 18 + (size_t)(H * W) * 2 + (size_t)H * 2 + 8))
            return 0;
        char *p = b->data + b->len;
        *p++ = k ? ',' : '[';
        if (k)
            *p++ = '[';
        size_t base = (size_t)(first + k) * per;
        for (int64_t y = 0; y < H; y++) {
            *p++ = y ? ',' : '[';
            if (y)
                *p++ = '[';
            for (int64_t x = 0; x < W; x++) {
                if (x)
                    *p++ = ',';
                *p++ = '[';
                for (int64_t c = 0; c < C; c++) {
                    if (c)
                        *p++ = ',';
                    size_t i = base + (size_t)((y * W + x) * C + c);
                    if (batch->dtype == ANCHOR_DTYPE_U8) {
                        unsigned v = ((const unsigned char *)batch->data)[i];
                        memcpy(p, text[v], 4);
                        p += text_len[v];
                    } else {
                        p += snprintf(p, 17, "%.9g", (double)((const float *)batch->data)[i]);
                    }
                }
                *p++ = ']';
            }
            *p++ = ']';
        }
        *p++ = ']';
        b->len = (size_t)(p - b->data);
    }
    return buffer_add(b, "]}", 2);
}

/* The JSON header of a v2 binary request; returns its length, or 0 on failure. */
static size_t write_v2(buffer *b, const remote *r, const anchor_image *batch, int64_t first, int64_t count)
{
    size_t per = (size_t)(batch->h * batch->w * batch->c) * anchor_dtype_size(batch->dtype);
    size_t nbytes = per * (size_t)count;
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "{\"inputs\":[{\"name\":\"%s\",\"shape\":[%lld,%lld,%lld,%lld],\"datatype\":\"%s\","
                     "\"parameters\":{\"binary_data_size\":%zu}}],\"parameters\":{\"binary_data_output\":true}}",
                     r->input_name, (long long)count, (long long)batch->h, (long long)batch->w, (long long)batch->c,
                     batch->dtype == ANCHOR_DTYPE_U8 ? "UINT8" : "FP32", nbytes);
    if (n < 0 || (size_t)n >= sizeof head)
        return 0;
    b->len = 0;
    if (!buffer_add(b, head, (size_t)n) ||
        !buffer_add(b, (const unsigned char *)batch->data + per * (size_t)first, nbytes))
        return 0;
    return (size_t)n;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* Scores or labels from a JSON array of rows ([[...], ...]) or of labels ([l, ...]). */
static anchor_status take_predictions(const cJSON *rows, int64_t count, int64_t *labels,
                                      int64_t *n_classes, const char *url, anchor_error *err)
{
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != count)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered %d predictions for %lld images", url,
                                cJSON_IsArray(rows) ? cJSON_GetArraySize(rows) : -1, (long long)count);
    int64_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (cJSON_IsNumber(row)) {
            if (*n_classes > 0 || row->valuedouble != floor(row->valuedouble))
                return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                        "%s answered prediction %lld as a number where rows of scores or integer "
                                        "labels were expected",
                                        url, (long long)i);
            *n_classes = 0;
            labels[i++] = (int64_t)row->valuedouble;
            continue;
        }
        int L = cJSON_IsArray(row) ? cJSON_GetArraySize(row) : -1;
        if (L < 1 || (*n_classes >= 0 && i > 0 && L != *n_classes) || (*n_classes == 0 && i > 0))
            return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                    "%s answered prediction %lld with %d scores (expected rows of equal length)",
                                    url, (long long)i, L);
        *n_classes = L;
        i++;
    }
    return ANCHOR_OK;
}

static anchor_status answer_v1(remote *r, int64_t count, anchor_prediction *out, anchor_error *err)
{
    cJSON *root = cJSON_ParseWithLength(r->answer.data, r->answer.len);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "predictions");
    if (!rows) {
        cJSON_Delete(root);
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered %s", r->url,
                                root ? "JSON without \"predictions\"" : "something that is not JSON");
    }
    int64_t n_classes = -1;
    int64_t *labels = malloc(sizeof *labels * (size_t)(count ? count : 1));
    anchor_status st = labels ? take_predictions(rows, count, labels, &n_classes, r->url, err)
                              : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    if (!st && n_classes == 0) {
        st = anchor_prediction_set_labels(out, count, labels, err);
    } else if (!st) {
        double *scores = malloc(sizeof *scores * (size_t)(count * n_classes + 1));
        if (!scores) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        } else {
            size_t k = 0;
            const cJSON *row, *v;
            cJSON_ArrayForEach(row, rows) cJSON_ArrayForEach(v, row)
            {
                if (!cJSON_IsNumber(v) && !st)
                    st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered a score that is not a number",
                                          r->url);
                scores[k++] = cJSON_IsNumber(v) ? v->valuedouble : 0;
            }
            if (!st)
                st = anchor_prediction_set_scores(out, count, n_classes, ANCHOR_DTYPE_F64, scores, err);
            free(scores);
        }
    }
    free(labels);
    cJSON_Delete(root);
    return st;
}

static anchor_status answer_v2(remote *r, int64_t count, anchor_prediction *out, anchor_error *err)
{
    size_t json_len = r->header_json_len >= 0 ? (size_t)r->header_json_len : r->answer.len;
    if (r->header_json_len == -2 || json_len > r->answer.len)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                "%s answered an Inference-Header-Content-Length beyond its %zu bytes", r->url,
                                r->answer.len);
    cJSON *root = cJSON_ParseWithLength(r->answer.data, json_len);
    const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    const cJSON *o0 = cJSON_GetArrayItem(outputs, 0);
    if (!o0) {
        cJSON_Delete(root);
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered %s", r->url,
                                root ? "JSON without \"outputs\"" : "something that is not JSON");
    }
    anchor_status st = ANCHOR_OK;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(o0, "shape");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(o0, "datatype");
    int rank = cJSON_GetArraySize(shape);
    int64_t dims[2] = {0, 1};
    for (int i = 0; i < rank && i < 2; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        dims[i] = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : -1;
    }
    const char *dtype = cJSON_IsString(dt) ? dt->valuestring : "";
    int is_float = !strcmp(dtype, "FP32") || !strcmp(dtype, "FP64");
    int is_int = !strcmp(dtype, "INT64") || !strcmp(dtype, "INT32");
    if ((rank != 1 && rank != 2) || dims[0] != count || dims[1] < 1 || dims[1] > (1 << 24) || (!is_float && !is_int))
        st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                              "%s answered an output of rank %d, first dimension %lld, datatype '%s' for %lld "
                              "images (expected [N, classes] FP32/FP64 or [N] INT64/INT32)",
                              r->url, rank, (long long)dims[0], dtype, (long long)count);
    size_t n_values = (size_t)count * (size_t)dims[1];
    size_t esize = !strcmp(dtype, "FP32") || !strcmp(dtype, "INT32") ? 4 : 8;
    void *values = st ? NULL : malloc(n_values * 8 + 8);
    if (!st && !values)
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    if (!st) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(o0, "data");
        const cJSON *bsize = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o0, "parameters"),
                                                              "binary_data_size");
        if (cJSON_IsNumber(bsize)) {
            if ((size_t)bsize->valuedouble != n_values * esize || r->answer.len - json_len < n_values * esize)
                st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                      "%s answered binary_data_size %.0f with %zu bytes after the header (expected "
                                      "%zu)",
                                      r->url, bsize->valuedouble, r->answer.len - json_len, n_values * esize);
            else
                memcpy(values, r->answer.data + json_len, n_values * esize);
        } else if (cJSON_IsArray(data) && (size_t)cJSON_GetArraySize(data) == n_values) {
            size_t k = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, data)
            {
                double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
                if (esize == 4 && is_float)
                    ((float *)values)[k] = (float)x;
                else if (is_float)
                    ((double *)values)[k] = x;
                else if (esize == 4)
                    ((int32_t *)values)[k] = (int32_t)x;
                else
                    ((int64_t *)values)[k] = (int64_t)x;
                k++;
            }
        } else {
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered output '%s' without %zu values", r->url,
                                  cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o0, "name"))
                                      ? cJSON_GetObjectItemCaseSensitive(o0, "name")->valuestring
                                      : "?",
                                  n_values);
        }
    }
    if (!st && is_float) {
        st = anchor_prediction_set_scores(out, count, dims[1], esize == 4 ? ANCHOR_DTYPE_F32 : ANCHOR_DTYPE_F64,
                                          values, err);
    } else if (!st) {
        if (dims[1] != 1) {
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered integer outputs of %lld per image", r->url,
                                  (long long)dims[1]);
        } else {
            if (esize == 4) /* widen in place, from the end */
                for (size_t k = n_values; k-- > 0;)
                    ((int64_t *)values)[k] = ((int32_t *)values)[k];
            st = anchor_prediction_set_labels(out, count, values, err);
        }
    }
    free(values);
    cJSON_Delete(root);
    return st;
}

/* ---- one request ------------------------------------------------------------------------ */

static anchor_status post(remote *r, const anchor_image *batch, int64_t first, int64_t count,
                          anchor_prediction *out, anchor_error *err)
{
    size_t json_len = 0;
    int ok = r->protocol == ANCHOR_REMOTE_V2 ? (json_len = write_v2(&r->body, r, batch, first, count)) > 0
                                             : write_v1(&r->body, batch, first, count);
    if (!ok)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for a request of %lld images",
                                (long long)count);
    struct curl_slist *h = NULL;
    char line[64];
    if (r->protocol == ANCHOR_REMOTE_V2) {
        snprintf(line, sizeof line, "Inference-Header-Content-Length: %zu", json_len);
        h = curl_slist_append(NULL, line);
        h = h ? curl_slist_append(h, "Content-Type: application/octet-stream") : NULL;
    } else {
        h = curl_slist_append(NULL, "Content-Type: application/json");
    }
    h = h ? curl_slist_append(h, "Expect:") : NULL; /* no 100-continue round trip before big bodies */
    for (struct curl_slist *e = r->headers; e && h; e = e->next)
        h = curl_slist_append(h, e->data);
    if (!h)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    /* curl_slist_append returns NULL on failure without freeing the list it was given;
     * the first list is rebuilt each call, so a failure above can leak only on OOM */
    r->answer.len = 0;
    r->answer.overflow = 0;
    r->header_json_len = -1;
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, r->body.data);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    CURLcode cc = curl_easy_perform(r->curl);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    long code = 0;
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return anchor_error_set(err, ANCHOR_ERR_TIMEOUT, "%s did not answer in time: %s", r->url,
                                curl_easy_strerror(cc));
    if (cc == CURLE_WRITE_ERROR && r->answer.overflow)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered more than %u MB", r->url, ANSWER_MAX >> 20);
    if (cc != CURLE_OK)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: %s", r->url, curl_easy_strerror(cc));
    if (code != 200) {
        /* quote the server's "error" (KServe, Triton) or the start of its body */
        cJSON *root = cJSON_ParseWithLength(r->answer.data, r->answer.len);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        anchor_status st;
        if (cJSON_IsString(e))
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered HTTP %ld: %.*s", r->url, code,
                                  MESSAGE_EXCERPT, e->valuestring);
        else
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s answered HTTP %ld: %.*s", r->url, code,
                                  (int)(r->answer.len < MESSAGE_EXCERPT ? r->answer.len : MESSAGE_EXCERPT),
                                  r->answer.data ? r->answer.data : "");
        cJSON_Delete(root);
        return st;
    }
    return r->protocol == ANCHOR_REMOTE_V2 ? answer_v2(r, count, out, err) : answer_v1(r, count, out, err);
}

static anchor_status remote_predict(void *user, const anchor_image *batch, anchor_prediction *out,
                                    anchor_error *err)
{
    remote *r = user;
    if (batch->dtype != ANCHOR_DTYPE_U8 && batch->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "a remote predictor takes uint8 or float32 images, not %s",
                                anchor_dtype_name(batch->dtype));
    if (!r->max_batch || batch->n <= r->max_batch)
        return post(r, batch, 0, batch->n, out, err);
    /* several requests, answers joined in order */
    anchor_prediction *part = NULL;
    anchor_status st = anchor_prediction_create(&part, err);
    double *scores = NULL;
    int64_t *labels = NULL, n_classes = -1;
    for (int64_t first = 0; !st && first < batch->n; first += r->max_batch) {
        int64_t count = batch->n - first < r->max_batch ? batch->n - first : r->max_batch;
        if ((st = post(r, batch, first, count, part, err)))
            break;
        int64_t L = anchor_prediction_classes(part);
        if (n_classes >= 0 && L != n_classes) {
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "%s changed its answer's shape between requests", r->url);
            break;
        }
        n_classes = L;
        if (!scores && !labels) {
            scores = L ? malloc(sizeof *scores * (size_t)(batch->n * L)) : NULL;
            labels = L ? NULL : malloc(sizeof *labels * (size_t)batch->n);
            if (!scores && !labels) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
                break;
            }
        }
        if (L)
            memcpy(scores + first * L, anchor_prediction_scores(part), sizeof *scores * (size_t)(count * L));
        else
            memcpy(labels + first, anchor_prediction_labels(part), sizeof *labels * (size_t)count);
    }
    if (!st)
        st = n_classes ? anchor_prediction_set_scores(out, batch->n, n_classes, ANCHOR_DTYPE_F64, scores, err)
                       : anchor_prediction_set_labels(out, batch->n, labels, err);
    free(scores);
    free(labels);
    anchor_prediction_destroy(part);
    return st;
}

anchor_status anchor_predictor_create_remote(const anchor_remote_options *opt, anchor_predictor **out,
                                             anchor_error *err)
{
    *out = NULL;
    anchor_remote_options o;
    anchor_remote_options_default(&o);
    if (opt)
        o = *opt;
    if (!o.url || !*o.url)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no predictor URL given");
    if (!(o.timeout_seconds > 0) || !isfinite(o.timeout_seconds) || o.timeout_seconds > 1e6)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "predictor timeout must be a positive number of seconds, not %g", o.timeout_seconds);
    if (o.max_batch < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "max batch must be >= 0 (0 = no limit), not %lld",
                                (long long)o.max_batch);
    if (o.protocol != ANCHOR_REMOTE_AUTO && o.protocol != ANCHOR_REMOTE_V1 && o.protocol != ANCHOR_REMOTE_V2)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "unknown predictor protocol %d", (int)o.protocol);
    const char *in_name = o.input_name && *o.input_name ? o.input_name : "input";
    for (const char *c = in_name; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 || c - in_name > 200)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "bad v2 input name '%s'", in_name);
    for (int i = 0; i < o.n_headers; i++)
        if (!o.headers[i] || !strchr(o.headers[i], ':') || strpbrk(o.headers[i], "\r\n"))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "header %d is not one 'Name: value' line", i);

    remote *r = calloc(1, sizeof *r);
    if (!r)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    r->protocol = o.protocol;
    r->max_batch = o.max_batch;
    anchor_status st = ANCHOR_OK;
    if (!(r->url = make_url(&o, &r->protocol, err)))
        st = err ? err->status : ANCHOR_ERR_INVALID_ARGUMENT;
    if (!st && !(r->input_name = strdup(in_name)))
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; !st && i < o.n_headers; i++) {
        struct curl_slist *h = curl_slist_append(r->headers, o.headers[i]);
        if (!h)
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        else
            r->headers = h;
    }
    if (!st && !(r->curl = curl_easy_init()))
        st = anchor_error_set(err, ANCHOR_ERR_INTERNAL, "libcurl could not start a connection handle");
    if (st) {
        remote_destroy(r);
        return st;
    }
    CURL *c = r->curl;
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for timeouts: we may be in any thread */
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o.timeout_seconds * 1000 + 0.5));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o.timeout_seconds * 1000 + 0.5));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->answer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if ((st = anchor_predictor_create_callback(remote_predict, r, remote_destroy, out, err)))
        remote_destroy(r);
    return st;
}
