/* SPDX-License-Identifier: Apache-2.0 */
/* The method-independent segmenter front end (include/anchor/segment.h).
 *
 * It holds one parameter struct per method and parses skimage's parameter names from
 * text, so `--seg-arg key=value` on the command line carries over an alibi user's
 * segmentation_kwargs one to one. alibi uses user kwargs *as given* (not merged with its
 * own default table), so the first set() resets to skimage's defaults. */
#include "anchor/segment.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "image/image_internal.h"

typedef enum seg_method { SEG_SLIC, SEG_QUICKSHIFT, SEG_FELZENSZWALB, SEG_GRID } seg_method;

/* One set() call as the user gave it, echoed by anchor_segmenter_kwargs_json. */
typedef struct seg_kwarg {
    char *key, *value;
} seg_kwarg;

struct anchor_segmenter {
    seg_method method;
    bool user_kwargs; /* set() was called: defaults are skimage's, not alibi's */
    seg_kwarg *kwargs;
    int n_kwargs, cap_kwargs;
    anchor_slic_params slic;
    anchor_quickshift_params quickshift;
    anchor_felzenszwalb_params felzenszwalb;
    anchor_grid_params grid;
};

static const char *method_names[] = {"slic", "quickshift", "felzenszwalb", "grid"};

static void reset_skimage(anchor_segmenter *s)
{
    anchor_slic_params_skimage(&s->slic);
    anchor_quickshift_params_skimage(&s->quickshift);
    anchor_felzenszwalb_params_skimage(&s->felzenszwalb);
    anchor_grid_params_default(&s->grid);
}

anchor_status anchor_segmenter_create(const char *method, anchor_segmenter **out, anchor_error *err)
{
    *out = NULL;
    int m = -1;
    for (int i = 0; i < 4; i++)
        if (method && strcmp(method, method_names[i]) == 0)
            m = i;
    if (m < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "unknown segmentation method '%s' (slic, quickshift, felzenszwalb, grid)",
                                method ? method : "(null)");
    anchor_segmenter *s = calloc(1, sizeof *s);
    if (!s)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    s->method = (seg_method)m;
    reset_skimage(s);
    anchor_slic_params_alibi(&s->slic);
    *out = s;
    return ANCHOR_OK;
}

void anchor_segmenter_destroy(anchor_segmenter *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_kwargs; i++) {
        free(s->kwargs[i].key);
        free(s->kwargs[i].value);
    }
    free(s->kwargs);
    free(s);
}

const char *anchor_segmenter_method(const anchor_segmenter *s) { return method_names[s->method]; }

/* ---- value parsing ------------------------------------------------------------------ */

static anchor_status parse_double(const char *key, const char *v, double *out, anchor_error *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s=%s: not a finite number", key, v);
    *out = d;
    return ANCHOR_OK;
}

static anchor_status parse_int(const char *key, const char *v, long long lo, long long hi, long long *out,
                               anchor_error *err)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s=%s: not an integer", key, v);
    if (x < lo || x > hi)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s=%s: must be in [%lld, %lld]", key,
                                v, lo, hi);
    *out = x;
    return ANCHOR_OK;
}

static anchor_status parse_bool(const char *key, const char *v, bool *out, anchor_error *err)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
        *out = true;
        return ANCHOR_OK;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
        *out = false;
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s=%s: not a boolean (true/false)", key, v);
}

/* A number with a range: lo_open/hi_open choose < versus <=. */
static anchor_status parse_ranged(const char *key, const char *v, double lo, int lo_open, double hi, int hi_open,
                                  double *out, anchor_error *err)
{
    double d = 0;
    anchor_status st = parse_double(key, v, &d, err);
    if (st)
        return st;
    if ((lo_open ? d <= lo : d < lo) || (hi_open ? d >= hi : d > hi))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s=%s: must be %s %g%s", key, v,
                                lo_open ? ">" : ">=", lo,
                                isinf(hi) ? "" : (hi_open ? " and < the upper bound" : " and <= 1"));
    *out = d;
    return ANCHOR_OK;
}

static anchor_status set_slic(anchor_slic_params *p, const char *k, const char *v, anchor_error *err)
{
    long long i;
    anchor_status st;
    if (!strcmp(k, "n_segments")) {
        if ((st = parse_int(k, v, 1, ANCHOR_MAX_PIXELS, &i, err)))
            return st;
        p->n_segments = (int)i;
    } else if (!strcmp(k, "compactness")) {
        return parse_ranged(k, v, 0, 1, INFINITY, 0, &p->compactness, err);
    } else if (!strcmp(k, "max_num_iter") || !strcmp(k, "max_iter")) {
        if ((st = parse_int(k, v, 0, 1000000, &i, err)))
            return st;
        p->max_num_iter = (int)i;
    } else if (!strcmp(k, "sigma")) {
        return parse_ranged(k, v, 0, 0, INFINITY, 0, &p->sigma, err);
    } else if (!strcmp(k, "spacing")) {
        /* "s" or "row,col" */
        char buf[128];
        snprintf(buf, sizeof buf, "%s", v);
        char *comma = strchr(buf, ',');
        if (comma)
            *comma = 0;
        if ((st = parse_ranged(k, buf, 0, 1, INFINITY, 0, &p->spacing[0], err)))
            return st;
        p->spacing[1] = p->spacing[0];
        if (comma && (st = parse_ranged(k, comma + 1, 0, 1, INFINITY, 0, &p->spacing[1], err)))
            return st;
    } else if (!strcmp(k, "convert2lab")) {
        if (!strcasecmp(v, "none")) {
            p->convert2lab = -1;
            return ANCHOR_OK;
        }
        bool b; /* a tri-state in the struct: -1 stands for skimage's None */
        if ((st = parse_bool(k, v, &b, err)))
            return st;
        p->convert2lab = b;
    } else if (!strcmp(k, "enforce_connectivity")) {
        return parse_bool(k, v, &p->enforce_connectivity, err);
    } else if (!strcmp(k, "min_size_factor")) {
        return parse_ranged(k, v, 0, 0, INFINITY, 0, &p->min_size_factor, err);
    } else if (!strcmp(k, "max_size_factor")) {
        return parse_ranged(k, v, 0, 1, INFINITY, 0, &p->max_size_factor, err);
    } else if (!strcmp(k, "slic_zero")) {
        return parse_bool(k, v, &p->slic_zero, err);
    } else if (!strcmp(k, "start_label")) {
        if ((st = parse_int(k, v, 0, 1, &i, err)))
            return st;
        p->start_label = (int)i;
    } else {
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "--seg-arg %s: not a slic parameter (n_segments, compactness, max_num_iter, sigma, "
                                "spacing, convert2lab, enforce_connectivity, min_size_factor, max_size_factor, "
                                "slic_zero, start_label)", k);
    }
    return ANCHOR_OK;
}

static anchor_status set_quickshift(anchor_quickshift_params *p, const char *k, const char *v, anchor_error *err)
{
    long long i;
    anchor_status st;
    if (!strcmp(k, "ratio"))
        return parse_ranged(k, v, 0, 0, 1, 0, &p->ratio, err);
    if (!strcmp(k, "kernel_size"))
        return parse_ranged(k, v, 0, 1, INFINITY, 0, &p->kernel_size, err);
    if (!strcmp(k, "max_dist"))
        return parse_ranged(k, v, 0, 1, INFINITY, 0, &p->max_dist, err);
    if (!strcmp(k, "sigma"))
        return parse_ranged(k, v, 0, 0, INFINITY, 0, &p->sigma, err);
    if (!strcmp(k, "convert2lab"))
        return parse_bool(k, v, &p->convert2lab, err);
    if (!strcmp(k, "random_seed")) {
        if ((st = parse_int(k, v, 0, INT64_MAX, &i, err)))
            return st;
        p->random_seed = i;
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                            "--seg-arg %s: not a quickshift parameter (ratio, kernel_size, max_dist, sigma, "
                            "convert2lab, random_seed)", k);
}

static anchor_status set_felzenszwalb(anchor_felzenszwalb_params *p, const char *k, const char *v,
                                      anchor_error *err)
{
    long long i;
    anchor_status st;
    if (!strcmp(k, "scale"))
        return parse_ranged(k, v, 0, 1, INFINITY, 0, &p->scale, err);
    if (!strcmp(k, "sigma"))
        return parse_ranged(k, v, 0, 0, INFINITY, 0, &p->sigma, err);
    if (!strcmp(k, "min_size")) {
        if ((st = parse_int(k, v, 0, ANCHOR_MAX_PIXELS, &i, err)))
            return st;
        p->min_size = (int)i;
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                            "--seg-arg %s: not a felzenszwalb parameter (scale, sigma, min_size)", k);
}

static anchor_status set_grid(anchor_grid_params *p, const char *k, const char *v, anchor_error *err)
{
    long long i;
    anchor_status st;
    if (!strcmp(k, "rows") || !strcmp(k, "cols")) {
        if ((st = parse_int(k, v, 1, ANCHOR_MAX_DIM, &i, err)))
            return st;
        if (k[0] == 'r')
            p->rows = (int)i;
        else
            p->cols = (int)i;
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg %s: not a grid parameter (rows, cols)", k);
}

/* Remember key=value as given; a key set twice keeps its first place and its last value,
 * as a Python dict literal would. */
static anchor_status remember_kwarg(anchor_segmenter *s, const char *key, const char *value, anchor_error *err)
{
    char *v = strdup(value);
    if (!v)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < s->n_kwargs; i++)
        if (!strcmp(s->kwargs[i].key, key)) {
            free(s->kwargs[i].value);
            s->kwargs[i].value = v;
            return ANCHOR_OK;
        }
    if (s->n_kwargs == s->cap_kwargs) {
        int cap = s->cap_kwargs ? 2 * s->cap_kwargs : 8;
        seg_kwarg *grown = realloc(s->kwargs, (size_t)cap * sizeof *grown);
        if (!grown) {
            free(v);
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        }
        s->kwargs = grown;
        s->cap_kwargs = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    s->kwargs[s->n_kwargs++] = (seg_kwarg){k, v};
    return ANCHOR_OK;
}

anchor_status anchor_segmenter_set(anchor_segmenter *s, const char *key, const char *value, anchor_error *err)
{
    if (!key || !value)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--seg-arg needs key=value");
    if (!s->user_kwargs) {
        reset_skimage(s);
        s->user_kwargs = true;
    }
    anchor_status st = ANCHOR_ERR_INTERNAL;
    switch (s->method) {
    case SEG_SLIC: st = set_slic(&s->slic, key, value, err); break;
    case SEG_QUICKSHIFT: st = set_quickshift(&s->quickshift, key, value, err); break;
    case SEG_FELZENSZWALB: st = set_felzenszwalb(&s->felzenszwalb, key, value, err); break;
    case SEG_GRID: st = set_grid(&s->grid, key, value, err); break;
    }
    return st ? st : remember_kwarg(s, key, value, err);
}

/* alibi records segmentation_kwargs as the user passed them, or its own default table
 * when there were none; that table is read back from the parameters set by
 * anchor_segmenter_create, so alibi's slic defaults are written in one place only. */
anchor_status anchor_segmenter_kwargs_json(const anchor_segmenter *s, char **out, anchor_error *err)
{
    *out = NULL;
    cJSON *kw = cJSON_CreateObject();
    if (!kw)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    bool ok = true;
    if (!s->user_kwargs && s->method == SEG_SLIC) {
        ok = cJSON_AddNumberToObject(kw, "n_segments", s->slic.n_segments) &&
             cJSON_AddNumberToObject(kw, "compactness", s->slic.compactness) &&
             cJSON_AddNumberToObject(kw, "sigma", s->slic.sigma) &&
             cJSON_AddNumberToObject(kw, "start_label", s->slic.start_label);
    }
    for (int i = 0; ok && i < s->n_kwargs; i++) {
        const char *v = s->kwargs[i].value;
        char *end;
        double d = strtod(v, &end); /* numbers stay numbers, anything else is text */
        if (end != v && !*end && isfinite(d))
            ok = cJSON_AddNumberToObject(kw, s->kwargs[i].key, d) != NULL;
        else
            ok = cJSON_AddStringToObject(kw, s->kwargs[i].key, v) != NULL;
    }
    char *text = ok ? cJSON_PrintUnformatted(kw) : NULL;
    cJSON_Delete(kw);
    /* a copy from our own malloc: the caller's free() must not depend on cJSON's hooks */
    *out = text ? strdup(text) : NULL;
    cJSON_free(text);
    return *out ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
}

/* alibi repeats a 1-channel image to 3 channels before calling skimage. */
static anchor_status to_three_channels(const anchor_image *img, anchor_image **out, anchor_error *err)
{
    anchor_status st = anchor_image_create(1, img->h, img->w, 3, img->dtype, out, err);
    if (st)
        return st;
    size_t es = anchor_dtype_size(img->dtype);
    const unsigned char *src = img->data;
    unsigned char *dst = (*out)->data;
    for (int64_t i = 0; i < img->h * img->w; i++)
        for (int c = 0; c < 3; c++)
            memcpy(dst + ((size_t)i * 3 + (size_t)c) * es, src + (size_t)i * es, es);
    return ANCHOR_OK;
}

anchor_status anchor_segmenter_run(const anchor_segmenter *s, const anchor_image *image, anchor_image **labels,
                                   anchor_error *err)
{
    *labels = NULL;
    if (image->n != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "segmentation takes one image, not a batch of %lld",
                                (long long)image->n);
    if (s->method == SEG_GRID)
        return anchor_grid(image->h, image->w, &s->grid, labels, err);
    if (image->c != 1 && image->c != 3)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "segmentation needs a 1- or 3-channel image, not %lld",
                                (long long)image->c);
    anchor_image *rgb = NULL;
    const anchor_image *in = image;
    if (image->c == 1) {
        anchor_status st = to_three_channels(image, &rgb, err);
        if (st)
            return st;
        in = rgb;
    }
    anchor_status st = ANCHOR_ERR_INTERNAL;
    switch (s->method) {
    case SEG_SLIC: st = anchor_slic(in, &s->slic, labels, err); break;
    case SEG_QUICKSHIFT: st = anchor_quickshift(in, &s->quickshift, labels, err); break;
    case SEG_FELZENSZWALB: st = anchor_felzenszwalb(in, &s->felzenszwalb, labels, err); break;
    case SEG_GRID: break;
    }
    anchor_image_destroy(rgb);
    return st;
}
