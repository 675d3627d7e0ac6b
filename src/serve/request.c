/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding request bodies for anchor serve (src/serve/serve.h).
 *
 * What arrives: KServe v1 bodies ({"instances": [...], "parameters": {...}}), the shape
 * alibi's KServe explainer and KServe's samples send, and Open Inference Protocol v2
 * infer bodies, JSON or with the binary tensor extension (a JSON header of
 * Inference-Header-Content-Length bytes followed by raw tensor bytes).
 *
 * Everything here is untrusted: shapes are checked against the limits before anything
 * is allocated for pixels, every nested list is walked with its length checked, numbers
 * must be finite, and every parameter has a type and a range. A failure is one message
 * naming the field (instances[1][3], parameters.batch_size, inputs[0].shape). These are
 * pure functions of the bytes, which is what fuzz/fuzz_serve_request.c drives. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

void anc_serve_limits_default(anc_serve_limits *lim)
{
    lim->max_body_bytes = (size_t)64 << 20;
    lim->max_instances = 16;
    lim->max_predict_images = 1024;
    lim->max_pixels = 2048 * 2048;
    lim->max_batch_size = 10000;
    lim->max_coverage_samples = 100000;
    lim->max_beam_size = 64;
    lim->max_min_samples_start = 100000;
    lim->max_cache_size = 1000000;
    lim->max_covered_ex = 100;
    lim->max_segments = 1000;
}

/* ---- nested lists -> images ------------------------------------------------------------- */

/* Shape of one instance: [H][W] numbers or [H][W][C]. */
static anchor_status instance_shape(const cJSON *inst, const char *what, const anc_serve_limits *lim, int64_t *h,
                                    int64_t *w, int64_t *c, anchor_error *err)
{
    const cJSON *row = cJSON_IsArray(inst) ? inst->child : NULL;
    const cJSON *px = cJSON_IsArray(row) ? row->child : NULL;
    if (!px)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s is not an image: expected H x W x C (or H x W) nested lists of numbers", what);
    *h = cJSON_GetArraySize(inst);
    *w = cJSON_GetArraySize(row);
    *c = cJSON_IsArray(px) ? cJSON_GetArraySize(px) : 1;
    if (*c != 1 && *c != 3)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels (1 or 3)", what,
                                (long long)*c);
    if (*h * *w > lim->max_pixels)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s has %lld x %lld pixels, more than the limit of %lld",
                                what, (long long)*h, (long long)*w, (long long)lim->max_pixels);
    return ANCHOR_OK;
}

/* Walk the instance once: every row W long, every pixel C numbers (or one number when
 * C = 1 given as H x W), all finite. Writes float32 values and reports whether they are
 * all integers in 0..255. */
static anchor_status instance_values(const cJSON *inst, const char *what, int64_t h, int64_t w, int64_t c,
                                     float *dst, int *all_bytes, anchor_error *err)
{
    int flat = !cJSON_IsArray(inst->child->child);
    int64_t y = 0;
    *all_bytes = 1;
    for (const cJSON *row = inst->child; row; row = row->next, y++) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != w)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s[%lld] is not a row of %lld pixels", what,
                                    (long long)y, (long long)w);
        int64_t x = 0;
        for (const cJSON *px = row->child; px; px = px->next, x++) {
            const cJSON *v = px;
            if (!flat && (!cJSON_IsArray(px) || cJSON_GetArraySize(px) != c))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s[%lld][%lld] is not %lld numbers", what,
                                        (long long)y, (long long)x, (long long)c);
            if (!flat)
                v = px->child;
            for (int64_t k = 0; k < c; k++, v = v->next) {
                if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 3.4e38)
                    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                            "%s[%lld][%lld] holds something that is not a finite number", what,
                                            (long long)y, (long long)x);
                double d = v->valuedouble;
                *all_bytes &= d >= 0 && d <= 255 && d == floor(d);
                *dst++ = (float)d;
            }
        }
    }
    (void)h;
    return ANCHOR_OK;
}

/* dtype: 0 = by the values, else ANCHOR_DTYPE_U8 / ANCHOR_DTYPE_F32. */
static anchor_status decode_instance(const cJSON *inst, const char *what, const anc_serve_limits *lim,
                                     anchor_dtype dtype, anchor_image **out, anchor_error *err)
{
    int64_t h = 0, w = 0, c = 0;
    anchor_status st = instance_shape(inst, what, lim, &h, &w, &c, err);
    if (st)
        return st;
    anchor_image *f = NULL;
    if ((st = anchor_image_create(1, h, w, c, ANCHOR_DTYPE_F32, &f, err)))
        return st;
    int bytes = 0;
    if ((st = instance_values(inst, what, h, w, c, anchor_image_data(f), &bytes, err))) {
        anchor_image_destroy(f);
        return st;
    }
    if (dtype == ANCHOR_DTYPE_U8 && !bytes) {
        anchor_image_destroy(f);
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: dtype uint8 asked but values are not 0..255 integers",
                                what);
    }
    if (dtype == ANCHOR_DTYPE_F32 || (!dtype && !bytes)) {
        *out = f;
        return ANCHOR_OK;
    }
    anchor_image *u = NULL;
    if (!(st = anchor_image_create(1, h, w, c, ANCHOR_DTYPE_U8, &u, err))) {
        const float *src = anchor_image_cdata(f);
        unsigned char *dst = anchor_image_data(u);
        for (size_t i = 0, n = (size_t)(h * w * c); i < n; i++)
            dst[i] = (unsigned char)src[i];
        *out = u;
    }
    anchor_image_destroy(f);
    return st;
}

static anchor_status decode_instances(const cJSON *root, const anc_serve_limits *lim, int64_t max_count,
                                      anchor_dtype dtype, anchor_image ***out, int64_t *n, anchor_error *err)
{
    *out = NULL;
    *n = 0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "instances");
    if (!cJSON_IsArray(arr))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "the body has no \"instances\" list (KServe v1: {\"instances\": [image, ...]})");
    int64_t count = cJSON_GetArraySize(arr);
    if (count < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "\"instances\" is empty");
    if (count > max_count)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%lld instances, more than the limit of %lld per request",
                                (long long)count, (long long)max_count);
    anchor_image **imgs = calloc((size_t)count, sizeof *imgs);
    if (!imgs)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    anchor_status st = ANCHOR_OK;
    int64_t i = 0;
    for (const cJSON *inst = arr->child; inst && !st; inst = inst->next, i++) {
        char what[48];
        snprintf(what, sizeof what, "instances[%lld]", (long long)i);
        st = decode_instance(inst, what, lim, dtype, &imgs[i], err);
    }
    if (st) {
        for (int64_t k = 0; k < count; k++)
            anchor_image_destroy(imgs[k]);
        free(imgs);
        return st;
    }
    *out = imgs;
    *n = count;
    return ANCHOR_OK;
}

static cJSON *parse_body(const char *body, size_t len, anchor_error *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "the body is not a JSON object");
        return NULL;
    }
    return root;
}


/* ---- explain parameters ---------------------------------------------------------------- */

typedef enum { P_DOUBLE, P_INT, P_BOOL } param_kind;

static anchor_status set_param(anchor_explain_params *p, const anc_serve_limits *lim, const cJSON *v,
                               anchor_error *err)
{
    const char *k = v->string;
    struct {
        const char *name;
        param_kind kind;
        double lo, hi;
        void *field;
    } table[] = {
        {"threshold", P_DOUBLE, 1e-12, 1, &p->threshold},
        {"p_sample", P_DOUBLE, 0, 1, &p->p_sample},
        {"delta", P_DOUBLE, 1e-12, 1 - 1e-12, &p->delta},
        {"tau", P_DOUBLE, 1e-12, 1e6, &p->tau},
        {"epsilon_stop", P_DOUBLE, 0, 1e6, &p->epsilon_stop},
        {"batch_size", P_INT, 1, (double)lim->max_batch_size, &p->batch_size},
        {"coverage_samples", P_INT, 1, (double)lim->max_coverage_samples, &p->coverage_samples},
        {"beam_size", P_INT, 1, (double)lim->max_beam_size, &p->beam_size},
        {"max_anchor_size", P_INT, 0, (double)lim->max_segments, &p->max_anchor_size},
        {"min_samples_start", P_INT, 1, (double)lim->max_min_samples_start, &p->min_samples_start},
        {"n_covered_ex", P_INT, 0, (double)lim->max_covered_ex, &p->n_covered_ex},
        {"binary_cache_size", P_INT, 1, (double)lim->max_cache_size, &p->binary_cache_size},
        {"cache_margin", P_INT, 0, (double)lim->max_cache_size, &p->cache_margin},
        {"verbose_every", P_INT, 1, 1e9, &p->verbose_every},
        {"seed", P_INT, 0, 4294967295.0, &p->seed},
        {"stop_on_first", P_BOOL, 0, 1, &p->stop_on_first},
        {"memoize", P_BOOL, 0, 1, &p->memoize},
        {"verbose", P_BOOL, 0, 1, NULL}, /* accepted as alibi takes it; the server keeps no trace */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(k, table[i].name))
            continue;
        if (!strcmp(k, "max_anchor_size") && cJSON_IsNull(v)) {
            p->max_anchor_size = 0;
            return ANCHOR_OK;
        }
        if (table[i].kind == P_BOOL) {
            if (!cJSON_IsBool(v))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.%s must be true or false", k);
            if (table[i].field)
                *(int *)table[i].field = cJSON_IsTrue(v);
            return ANCHOR_OK;
        }
        if (!cJSON_IsNumber(v))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.%s must be a number", k);
        double d = v->valuedouble;
        if (!(d >= table[i].lo && d <= table[i].hi))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.%s = %g is out of range [%g, %g]",
                                    k, d, table[i].lo, table[i].hi);
        if (table[i].kind == P_DOUBLE) {
            *(double *)table[i].field = d;
        } else {
            if (d != floor(d))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.%s must be an integer, not %g", k,
                                        d);
            if (!strcmp(k, "seed"))
                p->seed = (uint32_t)d;
            else
                *(int64_t *)table[i].field = (int64_t)d;
        }
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                            "unknown parameter '%s' (alibi's explain() names, seed, segmentation_fn, "
                            "segmentation_kwargs, dtype)",
                            k);
}

/* segmentation_kwargs: an object of numbers, booleans and strings, as text for the segmenter. */
static anchor_status take_kwargs(anc_explain_request *r, const cJSON *kw, const anc_serve_limits *lim,
                                 anchor_error *err)
{
    if (!cJSON_IsObject(kw))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.segmentation_kwargs must be an object");
    int n = cJSON_GetArraySize(kw);
    if (n > 32)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "parameters.segmentation_kwargs has %d keys (at most 32)", n);
    r->seg_keys = calloc((size_t)n + 1, sizeof *r->seg_keys);
    r->seg_values = calloc((size_t)n + 1, sizeof *r->seg_values);
    if (!r->seg_keys || !r->seg_values)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (const cJSON *v = kw->child; v; v = v->next) {
        char text[64];
        if (cJSON_IsNumber(v)) {
            if (!isfinite(v->valuedouble))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "segmentation_kwargs.%s is not finite",
                                        v->string);
            snprintf(text, sizeof text, "%.17g", v->valuedouble);
            if (!strcmp(v->string, "n_segments") && v->valuedouble > (double)lim->max_segments)
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "segmentation_kwargs.n_segments = %g is beyond the limit of %lld",
                                        v->valuedouble, (long long)lim->max_segments);
        } else if (cJSON_IsBool(v)) {
            snprintf(text, sizeof text, "%s", cJSON_IsTrue(v) ? "True" : "False");
        } else if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof text) {
            snprintf(text, sizeof text, "%s", v->valuestring);
        } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && cJSON_IsNumber(v->child) &&
                   cJSON_IsNumber(v->child->next)) { /* spacing */
            snprintf(text, sizeof text, "%.17g,%.17g", v->child->valuedouble, v->child->next->valuedouble);
        } else {
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "segmentation_kwargs.%s must be a number, boolean or short string", v->string);
        }
        if (strlen(v->string) > 64)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "a segmentation_kwargs key is too long");
        if (!(r->seg_keys[r->n_seg] = strdup(v->string)) || !(r->seg_values[r->n_seg] = strdup(text)))
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        r->n_seg++;
    }
    r->seg_kwargs_json = cJSON_PrintUnformatted(kw);
    return r->seg_kwargs_json ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
}

static anchor_status take_parameters(anc_explain_request *r, const cJSON *params, const anc_serve_limits *lim,
                                     anchor_dtype *dtype, anchor_error *err)
{
    *dtype = 0;
    if (!params || cJSON_IsNull(params))
        return ANCHOR_OK;
    if (!cJSON_IsObject(params))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "\"parameters\" must be an object");
    anchor_status st = ANCHOR_OK;
    for (const cJSON *v = params->child; v && !st; v = v->next) {
        if (!strcmp(v->string, "segmentation_fn")) {
            if (!cJSON_IsString(v))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "parameters.segmentation_fn must be a name (slic, quickshift, felzenszwalb, "
                                        "grid)");
            free(r->segmentation);
            if (!(r->segmentation = strdup(v->valuestring)))
                return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        } else if (!strcmp(v->string, "segmentation_kwargs")) {
            if (r->seg_keys)
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.segmentation_kwargs given twice");
            st = take_kwargs(r, v, lim, err);
        } else if (!strcmp(v->string, "dtype")) {
            if (cJSON_IsString(v) && !strcmp(v->valuestring, "uint8"))
                *dtype = ANCHOR_DTYPE_U8;
            else if (cJSON_IsString(v) && !strcmp(v->valuestring, "float32"))
                *dtype = ANCHOR_DTYPE_F32;
            else
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "parameters.dtype must be uint8 or float32");
        } else {
            st = set_param(&r->params, lim, v, err);
        }
    }
    if (!st && (st = anchor_explain_params_validate(&r->params, err)))
        anchor_error_prefix(err, "parameters");
    return st;
}

void anc_explain_request_free(anc_explain_request *r)
{
    for (int64_t i = 0; i < r->n_instances; i++)
        anchor_image_destroy(r->instances[i]);
    free(r->instances);
    for (int i = 0; r->seg_keys && r->seg_keys[i]; i++)
        free(r->seg_keys[i]);
    for (int i = 0; r->seg_values && r->seg_values[i]; i++)
        free(r->seg_values[i]);
    free(r->seg_keys);
    free(r->seg_values);
    free(r->segmentation);
    if (r->seg_kwargs_json)
        cJSON_free(r->seg_kwargs_json);
    memset(r, 0, sizeof *r);
}

anchor_status anc_serve_decode_explain(const char *body, size_t len, const anc_serve_limits *lim,
                                       anc_explain_request *out, anchor_error *err)
{
    memset(out, 0, sizeof *out);
    anchor_explain_params_default(&out->params);
    const char *vs = NULL, *ve = NULL;
    size_t rest_len = 0;
    char *rest = anc_serve_cut_instances(body, len, &vs, &ve, &rest_len);
    cJSON *root = rest ? parse_body(rest, rest_len, err) : parse_body(body, len, err);
    if (!root) {
        free(rest);
        return ANCHOR_ERR_INVALID_ARGUMENT;
    }
    anchor_dtype dtype = 0;
    anchor_status st = take_parameters(out, cJSON_GetObjectItemCaseSensitive(root, "parameters"), lim, &dtype, err);
    if (!st && rest)
        st = anc_serve_read_instances(vs, ve, lim, lim->max_instances, dtype, &out->instances, &out->n_instances, err);
    else if (!st)
        st = decode_instances(root, lim, lim->max_instances, dtype, &out->instances, &out->n_instances, err);
    if (!st && !out->segmentation && !(out->segmentation = strdup("slic")))
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    cJSON_Delete(root);
    free(rest);
    if (st)
        anc_explain_request_free(out);
    return st;
}

/* ---- prediction requests ----------------------------------------------------------------- */

anchor_status anc_serve_decode_v1_batch(const char *body, size_t len, const anc_serve_limits *lim,
                                        anchor_image **out, anchor_error *err)
{
    *out = NULL;
    const char *vs = NULL, *ve = NULL;
    size_t rest_len = 0;
    char *rest = anc_serve_cut_instances(body, len, &vs, &ve, &rest_len);
    cJSON *root = rest ? parse_body(rest, rest_len, err) : parse_body(body, len, err);
    if (!root) {
        free(rest);
        return ANCHOR_ERR_INVALID_ARGUMENT;
    }
    anchor_image **imgs = NULL;
    int64_t n = 0;
    anchor_status st =
        rest ? anc_serve_read_instances(vs, ve, lim, lim->max_predict_images, ANCHOR_DTYPE_F32, &imgs, &n, err)
             : decode_instances(root, lim, lim->max_predict_images, ANCHOR_DTYPE_F32, &imgs, &n, err);
    cJSON_Delete(root);
    free(rest);
    if (st)
        return st;
    int64_t h = anchor_image_height(imgs[0]), w = anchor_image_width(imgs[0]), c = anchor_image_channels(imgs[0]);
    for (int64_t i = 1; i < n && !st; i++)
        if (anchor_image_height(imgs[i]) != h || anchor_image_width(imgs[i]) != w ||
            anchor_image_channels(imgs[i]) != c)
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "instances[%lld] is %lld x %lld x %lld but instances[0] is %lld x %lld x %lld",
                                  (long long)i, (long long)anchor_image_height(imgs[i]),
                                  (long long)anchor_image_width(imgs[i]), (long long)anchor_image_channels(imgs[i]),
                                  (long long)h, (long long)w, (long long)c);
    if (!st && !(st = anchor_image_create(n, h, w, c, ANCHOR_DTYPE_F32, out, err))) {
        unsigned char *dst = anchor_image_data(*out);
        for (int64_t i = 0; i < n; i++) {
            memcpy(dst, anchor_image_cdata(imgs[i]), anchor_image_nbytes(imgs[i]));
            dst += anchor_image_nbytes(imgs[i]);
        }
    }
    for (int64_t i = 0; i < n; i++)
        anchor_image_destroy(imgs[i]);
    free(imgs);
    return st;
}

/* Flatten v2 "data" (flat or nested lists) into dst, exactly `count` numbers. */
static int flatten(const cJSON *data, double *dst, size_t count, size_t *at, int depth)
{
    if (depth > 8)
        return 0;
    for (const cJSON *v = data->child; v; v = v->next) {
        if (cJSON_IsArray(v)) {
            if (!flatten(v, dst, count, at, depth + 1))
                return 0;
        } else if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && *at < count) {
            dst[(*at)++] = v->valuedouble;
        } else {
            return 0;
        }
    }
    return 1;
}

anchor_status anc_serve_decode_v2(const char *body, size_t len, long header_len, const anc_serve_limits *lim,
                                  anchor_image **out, bool *binary_output, char **request_id, anchor_error *err)
{
    *out = NULL;
    *binary_output = false;
    *request_id = NULL;
    if (header_len > (long)len)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "Inference-Header-Content-Length %ld is beyond the body's %zu bytes", header_len, len);
    size_t json_len = header_len >= 0 ? (size_t)header_len : len;
    cJSON *root = parse_body(body, json_len, err);
    if (!root)
        return ANCHOR_ERR_INVALID_ARGUMENT;
    anchor_status st = ANCHOR_OK;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsString(id) && strlen(id->valuestring) < 256)
        *request_id = strdup(id->valuestring);
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rp, "binary_data_output")))
        *binary_output = true;
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    for (const cJSON *o = cJSON_IsArray(outs) ? outs->child : NULL; o; o = o->next)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "parameters"),
                                                          "binary_data")))
            *binary_output = true;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(root, "inputs");
    const cJSON *in = cJSON_GetArrayItem(inputs, 0);
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(in, "shape");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(in, "datatype");
    int rank = cJSON_GetArraySize(shape);
    int64_t dims[4] = {1, 1, 1, 1};
    if (!in || cJSON_GetArraySize(inputs) != 1)
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "\"inputs\" must hold exactly one tensor");
    else if (!cJSON_IsArray(shape) || (rank != 3 && rank != 4))
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0].shape must be [N, H, W, C] or [N, H, W]");
    for (int i = 0; !st && i < rank; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > 1e9 || d->valuedouble != floor(d->valuedouble))
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0].shape[%d] is not a positive integer", i);
        else
            dims[i] = (int64_t)d->valuedouble;
    }
    const char *dtype = cJSON_IsString(dt) ? dt->valuestring : "";
    size_t esize = !strcmp(dtype, "UINT8") ? 1 : !strcmp(dtype, "FP32") ? 4 : !strcmp(dtype, "FP64") ? 8 : 0;
    if (!st && !esize)
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0].datatype '%s' is not UINT8, FP32 or FP64",
                              dtype);
    if (!st && (dims[3] != 1 && dims[3] != 3))
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0] has %lld channels (1 or 3)",
                              (long long)dims[3]);
    if (!st && dims[0] > lim->max_predict_images)
        st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "inputs[0] holds %lld images, more than the limit of %lld",
                              (long long)dims[0], (long long)lim->max_predict_images);
    if (!st && dims[1] * dims[2] > lim->max_pixels)
        st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "inputs[0] images have %lld x %lld pixels, beyond the limit of %lld",
                              (long long)dims[1], (long long)dims[2], (long long)lim->max_pixels);
    size_t count = st ? 0 : (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
    if (!st && count * esize > lim->max_body_bytes)
        st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "inputs[0] is larger than the body limit");
    anchor_dtype out_dt = esize == 1 ? ANCHOR_DTYPE_U8 : ANCHOR_DTYPE_F32;
    if (!st)
        st = anchor_image_create(dims[0], dims[1], dims[2], dims[3], out_dt, out, err);
    if (!st) {
        const cJSON *bsize = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in, "parameters"),
                                                              "binary_data_size");
        void *dst = anchor_image_data(*out);
        if (header_len >= 0 || bsize) {
            size_t have = len - json_len;
            if (header_len < 0 || !cJSON_IsNumber(bsize) || bsize->valuedouble != (double)(count * esize) ||
                have != count * esize)
                st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                      "inputs[0]: binary_data_size and the %zu bytes after the header must both be "
                                      "%zu (shape x %s)",
                                      have, count * esize, dtype);
            else if (esize == 8)
                for (size_t i = 0; i < count; i++) {
                    double d;
                    memcpy(&d, body + json_len + i * 8, 8);
                    ((float *)dst)[i] = (float)d;
                }
            else
                memcpy(dst, body + json_len, count * esize);
        } else {
            const cJSON *data = cJSON_GetObjectItemCaseSensitive(in, "data");
            double *tmp = malloc(sizeof *tmp * (count ? count : 1));
            size_t at = 0;
            if (!tmp)
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
            else if (!cJSON_IsArray(data) || !flatten(data, tmp, count, &at, 0) || at != count)
                st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                      "inputs[0].data must hold %zu finite numbers (the shape's product)", count);
            for (size_t i = 0; !st && i < count; i++) {
                if (esize == 1) {
                    if (!(tmp[i] >= 0 && tmp[i] <= 255 && tmp[i] == floor(tmp[i])))
                        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                              "inputs[0].data[%zu] is not a UINT8 value", i);
                    else
                        ((unsigned char *)dst)[i] = (unsigned char)tmp[i];
                } else if (fabs(tmp[i]) > 3.4e38) {
                    st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0].data[%zu] overflows FP32", i);
                } else {
                    ((float *)dst)[i] = (float)tmp[i];
                }
            }
            free(tmp);
        }
    }
    if (!st && esize != 1) {
        const float *f = anchor_image_cdata(*out);
        for (size_t i = 0; i < count && !st; i++)
            if (!isfinite(f[i]))
                st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "inputs[0] value %zu is not finite", i);
    }
    cJSON_Delete(root);
    if (st) {
        anchor_image_destroy(*out);
        *out = NULL;
        free(*request_id);
        *request_id = NULL;
    }
    return st;
}
