/* SPDX-License-Identifier: Apache-2.0 */
/* Writing an explanation directory (include/anchor/output.h).
 *
 * Atomicity: everything is written into OUTDIR.tmp.PID, a sibling of the target (same
 * file system, so the final rename is atomic), and renamed to OUTDIR only after the last
 * byte is on disk. Any failure removes the temporary directory, so a reader never sees a
 * half-written explanation. An existing OUTDIR is swapped out (renamed aside, the new one
 * renamed in, the old one removed) only if it holds nothing but files this writer makes;
 * anything else is refused rather than deleted.
 *
 * A run killed with SIGKILL cannot clean up, so every later run does it for the dead:
 * OUTDIR.tmp.PID and OUTDIR.old.PID whose PID is no live process are removed, and when
 * the kill fell between the two renames (OUTDIR moved aside, the new one not yet in
 * place) the previous explanation is moved back. So after any kill and the next run,
 * OUTDIR is a whole explanation or absent, and no temporary folder is left.
 *
 * The target is checked writable before any model call by creating and removing
 * OUTDIR.tmp.PID itself, which tests what matters (permissions, read-only mounts, ACLs)
 * the way the real write will meet it.
 *
 * explanation.json follows alibi's Explanation.to_json() layout, with image arrays
 * replaced by the names of the files that hold them; doubles are printed by cJSON with
 * enough digits to round-trip, so precision and coverage compare exactly with alibi's. */
#include "anchor/output.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchor/render.h"
#include "image/image_internal.h"

void anchor_output_info_default(anchor_output_info *info)
{
    memset(info, 0, sizeof *info);
    info->seconds_run = -1;
}

/* ---- directory handling ----------------------------------------------------------------- */

static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                    continue;
                size_t n = strlen(path) + strlen(de->d_name) + 2;
                char *child = malloc(n);
                if (child) {
                    snprintf(child, n, "%s/%s", path, de->d_name);
                    remove_tree(child);
                    free(child);
                }
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int is_ours(const char *name, int in_examples)
{
    if (in_examples)
        return (!strncmp(name, "covered_true_", 13) || !strncmp(name, "covered_false_", 14)) &&
               strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".png");
    static const char *const known[] = {"explanation.json", "anchor.png", "segments.npy", "segments.png",
                                        "overlay.png", "overlay_full.png", "examples"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(name, known[i]))
            return 1;
    return 0;
}

/* 1 when dir holds only what this writer makes (so replacing it loses nothing else). */
static int replaceable(const char *dir, int in_examples)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int ok = 1;
    struct dirent *de;
    while (ok && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (!is_ours(de->d_name, in_examples)) {
            ok = 0;
        } else if (!in_examples && !strcmp(de->d_name, "examples")) {
            size_t n = strlen(dir) + 16;
            char *sub = malloc(n);
            ok = sub && (snprintf(sub, n, "%s/examples", dir), replaceable(sub, 1));
            free(sub);
        }
    }
    closedir(d);
    return ok;
}

typedef struct writer {
    char *tmp;     /* OUTDIR.tmp.PID */
    char path[4096];
    anchor_error *err;
} writer;

static const char *in_tmp(writer *w, const char *name)
{
    snprintf(w->path, sizeof w->path, "%s/%s", w->tmp, name);
    return w->path;
}

static anchor_status save_png(writer *w, const anchor_image *img, const char *name)
{
    anchor_status st = anchor_png_save(img, in_tmp(w, name), w->err);
    if (st)
        anchor_error_prefix(w->err, "writing %s", name);
    return st;
}

/* ---- explanation.json -------------------------------------------------------------------
 * cJSON's own number printer accepts a 15-digit text when it reads back within an
 * epsilon, which can change the last bit (0.8048780487804879 became 0.804878048780488).
 * We print the shortest of %.15g, %.16g, %.17g that reads back to the identical double,
 * as Python's repr does, so every precision and coverage compares == with alibi's. */
static cJSON *json_double(double v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* keep it a JSON number that reads as a float where Python would print one */
    if (!strpbrk(buf, ".eEn") && fabs(v) < 1e15)
        strncat(buf, ".0", sizeof buf - strlen(buf) - 1);
    return cJSON_CreateRaw(buf);
}

static void add_double(cJSON *o, const char *name, double v)
{
    cJSON_AddItemToObject(o, name, json_double(v));
}

static cJSON *json_params(const anchor_explain_params *p, const anchor_image *image, const anchor_output_info *info)
{
    cJSON *o = cJSON_CreateObject();
    add_double(o, "p_sample", p->p_sample);
    add_double(o, "threshold", p->threshold);
    add_double(o, "delta", p->delta);
    add_double(o, "tau", p->tau);
    cJSON_AddNumberToObject(o, "batch_size", (double)p->batch_size);
    cJSON_AddNumberToObject(o, "coverage_samples", (double)p->coverage_samples);
    cJSON_AddNumberToObject(o, "beam_size", (double)p->beam_size);
    cJSON_AddBoolToObject(o, "stop_on_first", p->stop_on_first != 0);
    if (p->max_anchor_size > 0)
        cJSON_AddNumberToObject(o, "max_anchor_size", (double)p->max_anchor_size);
    else
        cJSON_AddNullToObject(o, "max_anchor_size");
    cJSON_AddNumberToObject(o, "min_samples_start", (double)p->min_samples_start);
    cJSON_AddNumberToObject(o, "n_covered_ex", (double)p->n_covered_ex);
    cJSON_AddNumberToObject(o, "binary_cache_size", (double)p->binary_cache_size);
    cJSON_AddNumberToObject(o, "cache_margin", (double)p->cache_margin);
    add_double(o, "epsilon_stop", p->epsilon_stop);
    cJSON_AddBoolToObject(o, "verbose", p->verbose != 0);
    cJSON_AddNumberToObject(o, "verbose_every", (double)p->verbose_every);
    cJSON_AddNumberToObject(o, "seed", (double)p->seed);
    cJSON_AddBoolToObject(o, "memoize", p->memoize != 0);
    int custom = info->segmentation && !strncmp(info->segmentation, "labels:", 7);
    cJSON_AddBoolToObject(o, "custom_segmentation", custom);
    if (info->segmentation)
        cJSON_AddStringToObject(o, "segmentation_fn", info->segmentation);
    else
        cJSON_AddNullToObject(o, "segmentation_fn");
    cJSON *kw = info->segmentation_kwargs ? cJSON_Parse(info->segmentation_kwargs) : NULL;
    cJSON_AddItemToObject(o, "segmentation_kwargs", kw ? kw : cJSON_CreateNull());
    double shape[3] = {(double)image->h, (double)image->w, (double)image->c};
    cJSON_AddItemToObject(o, "image_shape", cJSON_CreateDoubleArray(shape, 3));
    cJSON_AddStringToObject(o, "dtype", anchor_dtype_name(image->dtype));
    if (info->n_backgrounds > 0) {
        cJSON *bg = cJSON_CreateObject();
        cJSON_AddNumberToObject(bg, "count", (double)info->n_backgrounds);
        cJSON *files = cJSON_AddArrayToObject(bg, "files");
        for (int i = 0; i < info->n_background_files; i++)
            cJSON_AddItemToArray(files, cJSON_CreateString(info->backgrounds[i]));
        cJSON_AddItemToObject(o, "images_background", bg);
    } else {
        cJSON_AddNullToObject(o, "images_background");
    }
    if (info->image_file)
        cJSON_AddStringToObject(o, "image", info->image_file);
    if (info->predictor)
        cJSON_AddStringToObject(o, "predictor", info->predictor);
    return o;
}

/* The overlay on the photo as it was before resizing: each photo pixel takes the label of
 * the explained image's pixel whose area holds its centre. */
static anchor_status save_overlay_full(writer *w, const anchor_image *photo, const anchor_image *seg,
                                       const int *feature, int n)
{
    anchor_image *big = NULL, *pic = NULL;
    anchor_status st = anchor_image_create(1, photo->h, photo->w, 1, ANCHOR_DTYPE_I32, &big, w->err);
    if (st)
        return st;
    const int32_t *src = seg->data;
    int32_t *dst = big->data;
    for (int64_t y = 0; y < photo->h; y++) {
        int64_t sy = (2 * y + 1) * seg->h / (2 * photo->h);
        for (int64_t x = 0; x < photo->w; x++)
            dst[y * photo->w + x] = src[sy * seg->w + (2 * x + 1) * seg->w / (2 * photo->w)];
    }
    if (!(st = anchor_render_overlay(photo, big, feature, n, &pic, w->err)))
        st = save_png(w, pic, "overlay_full.png");
    anchor_image_destroy(pic);
    anchor_image_destroy(big);
    return st;
}

/* ---- the explanation as JSON ------------------------------------------------------------
 * One builder for both forms: with a writer (the directory), image arrays are files
 * written as they are named; without one (a server's answer), data.anchor and
 * data.segments are nested lists, as alibi's to_json() prints its numpy arrays, and the
 * covered examples are left out (their lists stay empty: 20 pictures per prefix would
 * make an answer of tens of megabytes). */

/* A uint8 or int32 N = 1 image as nested lists: H x W (squeeze_channels, a C = 1 label
 * map) or H x W x C. Written as text and attached raw: a 224 x 224 x 3 picture as cJSON
 * nodes would be 150 000 allocations and as many printf calls. NULL when out of memory. */
static cJSON *json_pixels(const anchor_image *img, int squeeze_channels)
{
    size_t values = (size_t)(img->h * img->w * img->c);
    /* at most 11 characters and a separator per int32, brackets per pixel and row */
    size_t cap = values * 12 + (size_t)(img->h * img->w) * 2 + (size_t)img->h * 2 + 8;
    char *text = malloc(cap), *p = text;
    if (!text)
        return NULL;
    *p++ = '[';
    for (int64_t y = 0; y < img->h; y++) {
        if (y)
            *p++ = ',';
        *p++ = '[';
        for (int64_t x = 0; x < img->w; x++) {
            if (x)
                *p++ = ',';
            if (!squeeze_channels)
                *p++ = '[';
            size_t at = (size_t)((y * img->w + x) * img->c);
            for (int64_t c = 0; c < img->c; c++) {
                long v = img->dtype == ANCHOR_DTYPE_U8 ? (long)((const unsigned char *)img->data)[at + (size_t)c]
                                                       : (long)((const int32_t *)img->data)[at + (size_t)c];
                if (c)
                    *p++ = ',';
                char digits[16];
                int n = 0;
                unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
                do
                    digits[n++] = (char)('0' + u % 10);
                while ((u /= 10) && n < 15);
                if (v < 0)
                    *p++ = '-';
                while (n)
                    *p++ = digits[--n];
            }
            if (!squeeze_channels)
                *p++ = ']';
        }
        *p++ = ']';
    }
    *p++ = ']';
    *p = 0;
    cJSON *raw = cJSON_CreateRaw(text);
    free(text);
    return raw;
}

static anchor_status json_explanation(writer *w, const anchor_explanation *e, const anchor_image *image,
                                      const anchor_explain_params *params, const anchor_output_info *info,
                                      cJSON **out, anchor_error *err)
{
    anchor_status st = ANCHOR_OK;
    int n = anchor_explanation_size(e);
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "meta");
    cJSON_AddStringToObject(meta, "name", "AnchorImage");
    cJSON *type = cJSON_AddArrayToObject(meta, "type");
    cJSON_AddItemToArray(type, cJSON_CreateString("blackbox"));
    cJSON *expl = cJSON_AddArrayToObject(meta, "explanations");
    cJSON_AddItemToArray(expl, cJSON_CreateString("local"));
    cJSON_AddItemToObject(meta, "params", json_params(params, image, info));
    char version[64];
    snprintf(version, sizeof version, "anchor %s (alibi 0.9 AnchorImage semantics)", anchor_version());
    cJSON_AddStringToObject(meta, "version", version);

    cJSON *data = cJSON_AddObjectToObject(root, "data");
    if (w) {
        cJSON_AddStringToObject(data, "anchor", "anchor.png");
        cJSON_AddStringToObject(data, "segments", "segments.npy");
    } else {
        anchor_image *pic = NULL;
        st = anchor_explanation_anchor_image(e, image, &pic, err);
        cJSON *jpic = st ? NULL : json_pixels(pic, 0);
        cJSON *jseg = st ? NULL : json_pixels(anchor_explanation_segments(e), 1);
        anchor_image_destroy(pic);
        if (!st && (!jpic || !jseg))
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for the explanation's arrays");
        cJSON_AddItemToObject(data, "anchor", jpic ? jpic : cJSON_CreateNull());
        cJSON_AddItemToObject(data, "segments", jseg ? jseg : cJSON_CreateNull());
    }
    add_double(data, "precision", anchor_explanation_precision(e));
    add_double(data, "coverage", anchor_explanation_coverage(e));
    cJSON *raw = cJSON_AddObjectToObject(data, "raw");
    cJSON *jf = cJSON_AddArrayToObject(raw, "feature");
    cJSON *jm = cJSON_AddArrayToObject(raw, "mean");
    cJSON *jp = cJSON_AddArrayToObject(raw, "precision");
    cJSON *jc = cJSON_AddArrayToObject(raw, "coverage");
    cJSON *jx = cJSON_AddArrayToObject(raw, "examples");
    for (int i = 0; i < n && !st; i++) {
        cJSON_AddItemToArray(jf, cJSON_CreateNumber(anchor_explanation_feature(e, i)));
        cJSON_AddItemToArray(jm, json_double(anchor_explanation_prefix_precision(e, i)));
        cJSON_AddItemToArray(jp, json_double(anchor_explanation_prefix_precision(e, i)));
        cJSON_AddItemToArray(jc, json_double(anchor_explanation_prefix_coverage(e, i)));
        cJSON *ex = cJSON_CreateObject();
        cJSON_AddItemToArray(jx, ex);
        for (int kept = 1; kept >= 0 && !st; kept--) {
            const char *kind = kept ? "covered_true" : "covered_false";
            cJSON *files = cJSON_AddArrayToObject(ex, kind);
            const anchor_image *batch = anchor_explanation_examples(e, i, kept);
            if (!batch || !w)
                continue;
            anchor_image *scaled = NULL;
            if ((st = anchor_render_scale_image(batch, &scaled, err)))
                break;
            for (int64_t k = 0; k < scaled->n && !st; k++) {
                char name[96];
                snprintf(name, sizeof name, "examples/%s_%d_%lld.png", kind, i, (long long)k);
                /* a view of image k of the scaled batch */
                anchor_image one = *scaled;
                one.n = 1;
                one.data = (unsigned char *)scaled->data + (size_t)k * (size_t)(scaled->h * scaled->w * scaled->c);
                st = save_png(w, &one, name);
                cJSON_AddItemToArray(files, cJSON_CreateString(name));
            }
            anchor_image_destroy(scaled);
        }
        cJSON_AddArrayToObject(ex, "uncovered_true");
        cJSON_AddArrayToObject(ex, "uncovered_false");
    }
    int empty = anchor_explanation_status(e) == ANCHOR_RESULT_EMPTY_ANCHOR;
    add_double(raw, "all_precision", empty ? anchor_explanation_precision(e) : 0.0);
    cJSON_AddNumberToObject(raw, "num_preds", (double)anchor_explanation_num_preds(e));
    cJSON_AddBoolToObject(raw, "success", anchor_explanation_success(e) != 0);
    if (info->image_file)
        cJSON_AddStringToObject(raw, "instance", info->image_file);
    cJSON_AddNumberToObject(raw, "instance_label", (double)anchor_explanation_instance_label(e));
    cJSON *pred = cJSON_AddArrayToObject(raw, "prediction");
    cJSON_AddItemToArray(pred, cJSON_CreateNumber((double)anchor_explanation_instance_label(e)));

    cJSON_AddStringToObject(root, "status", anchor_result_status_name(anchor_explanation_status(e)));
    anchor_explain_stats s;
    anchor_explanation_stats(e, &s);
    cJSON *js = cJSON_AddObjectToObject(root, "stats");
    cJSON_AddNumberToObject(js, "n_segments", anchor_explanation_n_segments(e));
    cJSON_AddBoolToObject(js, "labels_remapped", anchor_explanation_labels_remapped(e) != 0);
    cJSON_AddNumberToObject(js, "predictor_calls", (double)s.predictor_calls);
    cJSON_AddNumberToObject(js, "images_sampled", (double)s.images_sampled);
    cJSON_AddNumberToObject(js, "images_predicted", (double)s.images_predicted);
    add_double(js, "seconds_explain", s.seconds_total);
    add_double(js, "seconds_predictor", s.seconds_predictor);
    if (info->seconds_run >= 0)
        add_double(js, "seconds_run", info->seconds_run);
    int64_t nb = 0;
    const int64_t *bs = anchor_explanation_batch_sizes(e, &nb);
    cJSON *jb = cJSON_AddArrayToObject(js, "batch_sizes");
    for (int64_t i = 0; i < nb; i++)
        cJSON_AddItemToArray(jb, cJSON_CreateNumber((double)bs[i]));
    if (st) {
        cJSON_Delete(root);
        root = NULL;
    }
    *out = root;
    return st;
}

anchor_status anchor_explanation_to_json(const anchor_explanation *e, const anchor_image *image,
                                         const anchor_explain_params *params, const anchor_output_info *info,
                                         char **out, anchor_error *err)
{
    *out = NULL;
    anchor_output_info dflt;
    if (!info) {
        anchor_output_info_default(&dflt);
        info = &dflt;
    }
    cJSON *root = NULL;
    anchor_status st = json_explanation(NULL, e, image, params, info, &root, err);
    if (st)
        return st;
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for the explanation's JSON");
    /* cJSON's allocator is malloc unless a program changed its hooks; hand back our own copy
     * so that the caller's free() is always right */
    *out = strdup(text);
    cJSON_free(text);
    return *out ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for the explanation's JSON");
}

/* ---- the whole directory ---------------------------------------------------------------- */

static anchor_status write_all(writer *w, const anchor_explanation *e, const anchor_image *image,
                               const anchor_explain_params *params, const anchor_output_info *info)
{
    anchor_error *err = w->err;
    anchor_status st;
    const anchor_image *seg = anchor_explanation_segments(e);
    int n = anchor_explanation_size(e);
    int *feature = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!feature)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        feature[i] = anchor_explanation_feature(e, i);

    /* the pictures and arrays */
    anchor_image *pic = NULL;
    st = anchor_explanation_anchor_image(e, image, &pic, err);
    if (!st)
        st = save_png(w, pic, "anchor.png");
    anchor_image_destroy(pic);
    pic = NULL;
    if (!st && (st = anchor_npy_save(seg, 2, in_tmp(w, "segments.npy"), err)))
        anchor_error_prefix(err, "writing segments.npy");
    if (!st && !(st = anchor_render_labels(seg, &pic, err)))
        st = save_png(w, pic, "segments.png");
    anchor_image_destroy(pic);
    pic = NULL;
    if (!st && !(st = anchor_render_overlay(image, seg, feature, n, &pic, err)))
        st = save_png(w, pic, "overlay.png");
    anchor_image_destroy(pic);
    pic = NULL;
    if (!st && info->photo && (info->photo->h != image->h || info->photo->w != image->w))
        st = save_overlay_full(w, info->photo, seg, feature, n);
    if (!st && mkdir(in_tmp(w, "examples"), 0777) != 0)
        st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", w->path, strerror(errno));
    free(feature);

    /* explanation.json */
    cJSON *root = NULL;
    if (!st)
        st = json_explanation(w, e, image, params, info, &root, err);
    if (!st) {
        char *text = cJSON_Print(root);
        FILE *f = text ? fopen(in_tmp(w, "explanation.json"), "wb") : NULL;
        if (!text)
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for explanation.json");
        else if (!f)
            st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", w->path, strerror(errno));
        else {
            int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
            bad |= fclose(f) != 0;
            if (bad)
                st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
        }
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return st;
}

/* The folder holding `outdir` ("." for a bare name) and the base name, trailing slashes
 * dropped. Both malloc'd; 0 when out of memory. */
static int split_target(const char *outdir, char **parent, char **base)
{
    size_t n = strlen(outdir);
    while (n > 1 && outdir[n - 1] == '/')
        n--;
    *parent = malloc(n + 2);
    *base = malloc(n + 1);
    if (!*parent || !*base) {
        free(*parent);
        free(*base);
        return 0;
    }
    memcpy(*parent, outdir, n);
    (*parent)[n] = 0;
    char *slash = strrchr(*parent, '/');
    if (!slash) {
        memcpy(*base, *parent, n + 1);
        strcpy(*parent, ".");
    } else {
        strcpy(*base, slash + 1);
        if (slash == *parent)
            (*parent)[1] = 0;
        else
            *slash = 0;
    }
    return 1;
}

/* 1 when `name` is BASE.tmp.PID or BASE.old.PID (*is_old tells which) of a process that
 * no longer exists. */
static int stale_name(const char *name, const char *base, int *is_old)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) || (strncmp(name + bl, ".tmp.", 5) && strncmp(name + bl, ".old.", 5)))
        return 0;
    *is_old = name[bl + 1] == 'o';
    const char *digits = name + bl + 5;
    char *end;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (end == digits || *end || errno || pid <= 0 || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Clean up after killed runs writing the same OUTDIR (see the top of this file). */
static void remove_stale(const char *outdir)
{
    char *parent, *base;
    if (!split_target(outdir, &parent, &base))
        return;
    DIR *d = opendir(parent);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int is_old = 0;
            if (!stale_name(de->d_name, base, &is_old))
                continue;
            size_t n = strlen(parent) + strlen(de->d_name) + 2;
            char *path = malloc(n);
            if (!path)
                break;
            snprintf(path, n, "%s/%s", parent, de->d_name);
            struct stat sb;
            char *target = NULL;
            /* the previous explanation, moved aside by a run killed before its new one was in place */
            if (is_old && stat(outdir, &sb) != 0 && errno == ENOENT && (target = strdup(outdir)) &&
                replaceable(path, 0) && rename(path, target) == 0) {
                free(target);
                free(path);
                continue;
            }
            free(target);
            remove_tree(path);
            free(path);
        }
        closedir(d);
    }
    free(parent);
    free(base);
}

anchor_status anchor_output_check_target(const char *outdir, anchor_error *err)
{
    if (!outdir || !*outdir)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no output directory given");
    char *parent, *base;
    if (!split_target(outdir, &parent, &base))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    anchor_status st = ANCHOR_OK;
    struct stat sb;
    if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode))
        st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: the folder %s does not exist", outdir, parent);
    else if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: name a folder to create, not %s", outdir,
                              *base ? base : "/");
    free(parent);
    free(base);
    if (st)
        return st;
    remove_stale(outdir);
    if (stat(outdir, &sb) == 0 && (!S_ISDIR(sb.st_mode) || !replaceable(outdir, 0)))
        return anchor_error_set(err, ANCHOR_ERR_IO,
                                "%s exists and is not an anchor explanation directory; refusing to replace it",
                                outdir);
    /* the real test of writability: make the temporary folder the writer will make */
    size_t len = strlen(outdir);
    while (len > 1 && outdir[len - 1] == '/')
        len--;
    char *probe = malloc(len + 32);
    if (!probe)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    snprintf(probe, len + 32, "%.*s.tmp.%ld", (int)len, outdir, (long)getpid());
    if (mkdir(probe, 0777) != 0 && errno != EEXIST) {
        int e = errno;
        st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot write there: %s", outdir, strerror(e));
    } else {
        rmdir(probe);
    }
    free(probe);
    return st;
}

anchor_status anchor_output_write(const char *outdir, const anchor_explanation *e, const anchor_image *image,
                                  const anchor_explain_params *params, const anchor_output_info *info,
                                  anchor_error *err)
{
    anchor_output_info dflt;
    if (!info) {
        anchor_output_info_default(&dflt);
        info = &dflt;
    }
    if (!outdir || !*outdir)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no output directory given");
    size_t len = strlen(outdir);
    while (len > 1 && outdir[len - 1] == '/')
        len--;
    if (len + 40 > 4000)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "output directory path is too long");
    char target[4096], tmp[4096], old[4096];
    memcpy(target, outdir, len);
    target[len] = 0;
    memcpy(tmp, target, len);
    memcpy(old, target, len);
    snprintf(tmp + len, sizeof tmp - len, ".tmp.%ld", (long)getpid());
    snprintf(old + len, sizeof old - len, ".old.%ld", (long)getpid());

    remove_stale(target);
    struct stat sb;
    int exists = stat(target, &sb) == 0;
    if (exists && (!S_ISDIR(sb.st_mode) || !replaceable(target, 0)))
        return anchor_error_set(err, ANCHOR_ERR_IO,
                                "%s exists and is not an anchor explanation directory; refusing to replace it", target);
    remove_tree(tmp); /* a leftover of a killed run with our pid */
    if (mkdir(tmp, 0777) != 0)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));

    writer w = {tmp, "", err};
    anchor_status st = write_all(&w, e, image, params, info);
    if (st) {
        remove_tree(tmp);
        return st;
    }
    if (exists) {
        remove_tree(old);
        if (rename(target, old) != 0) {
            int en = errno;
            remove_tree(tmp);
            return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot move the previous explanation aside: %s", target,
                                    strerror(en));
        }
    }
    if (rename(tmp, target) != 0) {
        int en = errno;
        remove_tree(tmp);
        if (exists)
            rename(old, target);
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot rename %s into place: %s", target, tmp, strerror(en));
    }
    if (exists)
        remove_tree(old);
    return ANCHOR_OK;
}
