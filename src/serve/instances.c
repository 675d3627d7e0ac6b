/* SPDX-License-Identifier: Apache-2.0 */
/* The v1 "instances" member read without a JSON tree (src/serve/serve.h).
 *
 * A v1 batch of 31 photos is 4.7 M numbers; as cJSON nodes that is 4.7 M allocations and
 * seconds of work, more than the model takes. So the "instances" member is cut out of
 * the body (found by a scanner that knows only strings, nesting and separators), its
 * nested lists are read straight into float32 by the strict reader below (every list of a
 * depth as long as the first, numbers finite, H x W bounded), and cJSON reads what is left
 * (the parameters) with "[]" in its place, which also checks that the rest of the body is
 * valid JSON. Anything the scanner does not recognise falls back to cJSON for the whole
 * body (request.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past a JSON string starting at p (a '"'); NULL when unterminated. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Past one value (no validation: cJSON checks everything but "instances" later). */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char ch = *p;
        if (ch == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            if (!depth)
                return p;
            continue;
        }
        if (ch == '[' || ch == '{')
            depth++;
        else if (ch == ']' || ch == '}') {
            if (!depth)
                return p; /* the end of the enclosing object */
            if (!--depth)
                return p + 1;
        } else if (ch == ',' && !depth)
            return p;
        p++;
    }
    return depth ? NULL : p;
}

/* Finds the top-level "instances" value (must be an array): sets [*vs, *ve). 0 if absent. */
static int find_instances(const char *body, size_t len, const char **vs, const char **ve)
{
    const char *p = skip_ws(body, body + len), *end = body + len;
    if (p >= end || *p != '{')
        return 0;
    p++;
    while (1) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return 0;
        const char *key = p + 1, *after = skip_string(p, end);
        if (!after)
            return 0;
        int is_instances = after - key - 1 == 9 && !memcmp(key, "instances", 9);
        p = skip_ws(after, end);
        if (p >= end || *p != ':')
            return 0;
        p = skip_ws(p + 1, end);
        const char *v = p;
        if (!(p = skip_value(p, end)) || p == v)
            return 0;
        if (is_instances) {
            if (*v != '[')
                return 0;
            *vs = v;
            *ve = p;
            return 1;
        }
        p = skip_ws(p, end);
        if (p >= end || *p != ',')
            return 0;
        p++;
    }
}

typedef struct nd_reader {
    const char *p, *end;
    int ndim;         /* depth of the numbers, known after the first one */
    int64_t dims[4];  /* list lengths per depth, from the first list closed at that depth */
    int64_t idx[4];   /* position in each open list, for messages */
    float *values;
    size_t n, cap, max;
    int all_bytes;
    const char *what;
    anchor_error *err;
} nd_reader;

static anchor_status nd_fail(nd_reader *r, int depth, const char *problem)
{
    char path[160];
    int n = snprintf(path, sizeof path, "%s", r->what);
    for (int d = 0; d < depth && n < (int)sizeof path; d++)
        n += snprintf(path + n, sizeof path - (size_t)n, "[%lld]", (long long)r->idx[d]);
    return anchor_error_set(r->err, ANCHOR_ERR_INVALID_ARGUMENT, "%s %s", path, problem);
}

static anchor_status nd_number(nd_reader *r, int depth)
{
    const char *s = r->p;
    while (r->p < r->end && strchr("+-0123456789.eE", *r->p))
        r->p++;
    char text[40];
    size_t k = (size_t)(r->p - s);
    if (!k || k >= sizeof text || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return nd_fail(r, depth, "holds something that is not a number");
    memcpy(text, s, k);
    text[k] = 0;
    char *e;
    double d = strtod(text, &e);
    if (*e || !isfinite(d) || fabs(d) > 3.4e38)
        return nd_fail(r, depth, "holds something that is not a finite number");
    if (r->n == r->cap) {
        if (r->n >= r->max)
            return anchor_error_set(r->err, ANCHOR_ERR_LIMIT, "%s has more than %zu numbers", r->what, r->max);
        size_t cap = r->cap ? r->cap * 2 : 4096;
        float *v = realloc(r->values, cap * sizeof *v);
        if (!v)
            return anchor_error_set(r->err, ANCHOR_ERR_NOMEM, "out of memory");
        r->values = v;
        r->cap = cap;
    }
    r->all_bytes &= d >= 0 && d <= 255 && d == floor(d);
    r->values[r->n++] = (float)d;
    return ANCHOR_OK;
}

static anchor_status nd_list(nd_reader *r, int depth)
{
    if (depth >= 3)
        return nd_fail(r, depth, "is nested deeper than H x W x C");
    r->p++; /* '[' */
    int64_t count = 0;
    anchor_status st;
    for (;;) {
        r->p = skip_ws(r->p, r->end);
        if (r->p >= r->end)
            return nd_fail(r, depth, "is cut short");
        if (*r->p == ']' && !count)
            return nd_fail(r, depth, "is an empty list");
        r->idx[depth] = count;
        int child_is_list = *r->p == '[';
        if (r->ndim >= 0 && child_is_list != (depth + 1 < r->ndim))
            return nd_fail(r, depth + 1, child_is_list ? "is a list where a number was expected"
                                                       : "is a number where a list was expected");
        if (child_is_list)
            st = nd_list(r, depth + 1);
        else {
            if (r->ndim < 0)
                r->ndim = depth + 1;
            st = nd_number(r, depth + 1);
        }
        if (st)
            return st;
        count++;
        r->p = skip_ws(r->p, r->end);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            break;
        }
        return nd_fail(r, depth, "is not a list of numbers (expected ',' or ']')");
    }
    if (r->dims[depth] < 0)
        r->dims[depth] = count;
    else if (r->dims[depth] != count) {
        char msg[96];
        snprintf(msg, sizeof msg, "has %lld items where the first list at its depth has %lld", (long long)count,
                 (long long)r->dims[depth]);
        return nd_fail(r, depth, msg);
    }
    return ANCHOR_OK;
}

/* One instance from text at r->p (a '['): H x W (x C) float32 values. */
static anchor_status nd_instance(nd_reader *r, const anc_serve_limits *lim, anchor_dtype dtype,
                                 anchor_image **out)
{
    r->ndim = -1;
    r->n = 0;
    r->all_bytes = 1;
    for (int d = 0; d < 4; d++)
        r->dims[d] = -1;
    r->max = (size_t)lim->max_pixels * 3;
    anchor_status st = nd_list(r, 0);
    if (st)
        return st;
    if (r->ndim < 2)
        return anchor_error_set(r->err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s is not an image: expected H x W x C (or H x W) nested lists of numbers", r->what);
    int64_t h = r->dims[0], w = r->dims[1], c = r->ndim == 3 ? r->dims[2] : 1;
    if (c != 1 && c != 3)
        return anchor_error_set(r->err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels (1 or 3)", r->what,
                                (long long)c);
    if (h * w > lim->max_pixels)
        return anchor_error_set(r->err, ANCHOR_ERR_LIMIT, "%s has %lld x %lld pixels, more than the limit of %lld",
                                r->what, (long long)h, (long long)w, (long long)lim->max_pixels);
    if (dtype == ANCHOR_DTYPE_U8 && !r->all_bytes)
        return anchor_error_set(r->err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s: dtype uint8 asked but values are not 0..255 integers", r->what);
    anchor_dtype dt = dtype ? dtype : r->all_bytes ? ANCHOR_DTYPE_U8 : ANCHOR_DTYPE_F32;
    if ((st = anchor_image_create(1, h, w, c, dt, out, r->err)))
        return st;
    if (dt == ANCHOR_DTYPE_F32) {
        memcpy(anchor_image_data(*out), r->values, r->n * sizeof(float));
    } else {
        unsigned char *dst = anchor_image_data(*out);
        for (size_t i = 0; i < r->n; i++)
            dst[i] = (unsigned char)r->values[i];
    }
    return ANCHOR_OK;
}

/* The "instances" array text [vs, ve) as images. */
anchor_status anc_serve_read_instances(const char *vs, const char *ve, const anc_serve_limits *lim, int64_t max_count,
                                    anchor_dtype dtype, anchor_image ***out, int64_t *n, anchor_error *err)
{
    *out = NULL;
    *n = 0;
    nd_reader r = {0};
    r.p = vs + 1;
    r.end = ve;
    r.err = err;
    int64_t cap = 0, count = 0;
    anchor_image **imgs = NULL;
    anchor_status st = ANCHOR_OK;
    char what[48];
    r.what = what;
    for (;;) {
        r.p = skip_ws(r.p, r.end);
        if (r.p < r.end && *r.p == ']' && !count) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "\"instances\" is empty");
            break;
        }
        snprintf(what, sizeof what, "instances[%lld]", (long long)count);
        if (r.p >= r.end || *r.p != '[') {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "%s is not an image: expected H x W x C (or H x W) nested lists of numbers", what);
            break;
        }
        if (count >= max_count) {
            int64_t total = count + 1; /* count the rest for the message */
            for (const char *q = skip_value(r.p, r.end); q && q < r.end && *q == ','; total++)
                q = skip_value(skip_ws(q + 1, r.end), r.end);
            st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "%lld instances, more than the limit of %lld per request",
                                  (long long)total, (long long)max_count);
            break;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 4;
            anchor_image **g = realloc(imgs, sizeof *g * (size_t)cap);
            if (!g) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
                break;
            }
            imgs = g;
        }
        imgs[count] = NULL;
        if ((st = nd_instance(&r, lim, dtype, &imgs[count])))
            break;
        count++;
        r.p = skip_ws(r.p, r.end);
        if (r.p < r.end && *r.p == ',') {
            r.p++;
            continue;
        }
        if (r.p < r.end && *r.p == ']')
            break;
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "\"instances\" is not a list of images");
        break;
    }
    free(r.values);
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

/* The body without its "instances" value ("[]" instead), or NULL when the scanner cannot
 * find it (then cJSON reads the whole body and says what is wrong). */
char *anc_serve_cut_instances(const char *body, size_t len, const char **vs, const char **ve, size_t *rest_len)
{
    if (!find_instances(body, len, vs, ve))
        return NULL;
    size_t head = (size_t)(*vs - body), tail = len - (size_t)(*ve - body);
    char *rest = malloc(head + tail + 3);
    if (!rest)
        return NULL;
    memcpy(rest, body, head);
    memcpy(rest + head, "[]", 2);
    memcpy(rest + head + 2, *ve, tail);
    rest[head + tail + 2] = 0;
    *rest_len = head + tail + 2;
    return rest;
}
