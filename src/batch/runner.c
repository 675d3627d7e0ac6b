/* SPDX-License-Identifier: Apache-2.0 */
/* Running a batch (include/anchor/batch.h): N worker threads take the next image of the
 * list, explain it through the caller's callback, and record the result.
 *
 * Crash safety comes from two facts: an image folder appears whole or not at all (the
 * callback writes it with anchor_output_write), and its result line is appended to
 * results.jsonl with one write() and flushed to disk before the next image is counted done.
 * A killed run therefore leaves complete folders and complete lines (at worst a torn last
 * line, which the reader skips); a rerun redoes exactly the images without both.
 *
 * The result list, the file and the progress callback are touched only under one lock, so
 * the caller's progress display never sees two images at once. Each job's explanation is
 * the callback's alone; the runner adds no randomness, so an image's anchor is the same
 * whatever the number of jobs. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "batch/batch_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/grow.h"

void anchor_batch_params_default(anchor_batch_params *p)
{
    memset(p, 0, sizeof *p);
    p->jobs = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct run {
    const anchor_batch_inputs *in;
    const char *outdir;
    const anchor_batch_params *p;
    anchor_batch_explain_fn fn;
    void *user;
    anc_record *recs; /* one per input, in list order */
    char *todo;       /* 1 = explain this run */
    int64_t next;     /* the next input to hand out */
    int fd;           /* results.jsonl, appending */
    anchor_batch_progress prog;
    double t0;
    anchor_status fatal; /* results.jsonl could not be written: stop handing out images */
    anchor_error fatal_err;
    pthread_mutex_t lock;
} run;

/* Append one line and push it to the disk. */
static anchor_status append_line(run *r, const anchor_batch_result *res, anchor_error *err)
{
    char *line = anc_record_to_json(res);
    if (!line)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    size_t len = strlen(line);
    line[len] = '\n'; /* cJSON's buffer is len + 1: the NUL becomes the newline */
    const char *s = line;
    size_t left = len + 1;
    anchor_status st = ANCHOR_OK;
    while (left) {
        ssize_t w = write(r->fd, s, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            st = anchor_error_set(err, ANCHOR_ERR_IO, "%s/results.jsonl: write failed: %s", r->outdir,
                                  strerror(errno));
            break;
        }
        s += w;
        left -= (size_t)w;
    }
    if (!st && fdatasync(r->fd) != 0 && errno != EINVAL)
        st = anchor_error_set(err, ANCHOR_ERR_IO, "%s/results.jsonl: sync failed: %s", r->outdir, strerror(errno));
    cJSON_free(line);
    return st;
}

static void explain_one(run *r, int64_t i)
{
    const anchor_batch_inputs *in = r->in;
    char *dir = anc_path_join(r->outdir, anchor_batch_inputs_name(in, i));
    anchor_error err;
    anchor_error_clear(&err);
    anchor_explanation *e = NULL;
    double t0 = now_seconds();
    anchor_status st = dir ? r->fn(r->user, anchor_batch_inputs_file(in, i), dir, &e, &err)
                           : anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
    if (!st && !e)
        st = anchor_error_set(&err, ANCHOR_ERR_INTERNAL, "the explain callback returned no explanation");
    anchor_batch_result res = {0};
    res.path = anchor_batch_inputs_relative(in, i);
    res.file = anchor_batch_inputs_file(in, i);
    res.output = anchor_batch_inputs_name(in, i);
    res.class_index = -1;
    res.precision = res.coverage = NAN;
    res.seconds = now_seconds() - t0;
    int *features = NULL;
    if (st) {
        res.status = "ERROR";
        res.error = err.message[0] ? err.message : anchor_status_name(st);
    } else {
        res.status = anchor_result_status_name(anchor_explanation_status(e));
        res.class_index = anchor_explanation_instance_label(e);
        if (r->p->class_names)
            res.class_name = anchor_class_names_get(r->p->class_names, res.class_index); /* NULL out of range */
        res.n_features = anchor_explanation_size(e);
        features = malloc(sizeof(int) * (size_t)(res.n_features + 1));
        for (int k = 0; features && k < res.n_features; k++)
            features[k] = anchor_explanation_feature(e, k);
        res.features = features;
        if (!features)
            res.n_features = 0;
        res.n_segments = anchor_explanation_n_segments(e);
        res.precision = anchor_explanation_precision(e);
        res.coverage = anchor_explanation_coverage(e);
        anchor_explain_stats s;
        anchor_explanation_stats(e, &s);
        res.images_predicted = s.images_predicted;
    }
    pthread_mutex_lock(&r->lock);
    anc_record_free(&r->recs[i]);
    if (!r->fatal) {
        anchor_status ast = anc_record_copy(&r->recs[i], &res, &r->fatal_err);
        if (!ast)
            ast = append_line(r, &res, &r->fatal_err);
        if (ast)
            r->fatal = ast; /* no more images: the results could not be kept */
    }
    r->prog.done++;
    if (st)
        r->prog.failed++;
    else
        r->prog.ok++;
    r->prog.seconds = now_seconds() - r->t0;
    r->prog.path = res.path;
    r->prog.result = &r->recs[i].r;
    if (r->p->progress && !r->fatal)
        r->p->progress(r->p->progress_user, &r->prog);
    pthread_mutex_unlock(&r->lock);
    free(features);
    free(dir);
    anchor_explanation_destroy(e);
}

static void *worker(void *arg)
{
    run *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int64_t n = anchor_batch_inputs_count(r->in);
        while (r->next < n && !r->todo[r->next])
            r->next++;
        int64_t i = r->fatal ? n : r->next;
        if (i < n) {
            r->next++;
            if (r->p->started)
                r->p->started(r->p->progress_user, anchor_batch_inputs_relative(r->in, i));
        }
        pthread_mutex_unlock(&r->lock);
        if (i >= n)
            return NULL;
        explain_one(r, i);
    }
}

static int cmp_rec(const void *a, const void *b)
{
    const anc_record *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Complete from an earlier run: a result line that is not an error, and its folder. */
static int complete(const char *outdir, const anc_record *prev, const char *name)
{
    if (!prev || !anc_record_ok(prev))
        return 0;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/explanation.json", outdir, name);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

anchor_status anchor_batch_run(const anchor_batch_inputs *in, const char *outdir, const anchor_batch_params *params,
                               anchor_batch_explain_fn explain_fn, void *user, anchor_batch_summary *summary,
                               anchor_error *err)
{
    anchor_batch_params dflt;
    if (!params) {
        anchor_batch_params_default(&dflt);
        params = &dflt;
    }
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (!explain_fn || !outdir || !*outdir)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "batch: no explain callback or output folder");
    if (params->jobs < 1 || params->jobs > 1024)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "batch: jobs must be in 1..1024, not %d",
                                params->jobs);
    anchor_status st = anc_mkdirs(outdir, err);
    if (st)
        return st;
    int64_t n = anchor_batch_inputs_count(in);
    run r;
    memset(&r, 0, sizeof r);
    r.in = in;
    r.outdir = outdir;
    r.p = params;
    r.fn = explain_fn;
    r.user = user;
    r.fd = -1;
    r.t0 = now_seconds();
    r.recs = calloc((size_t)n + 1, sizeof *r.recs);
    r.todo = calloc((size_t)n + 1, 1);
    char *jsonl = anc_path_join(outdir, "results.jsonl");
    anc_record *prev = NULL;
    int64_t n_prev = 0;
    if (!r.recs || !r.todo || !jsonl) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = anc_records_read(jsonl, &prev, &n_prev, err)))
        goto done;
    r.prog.total = n;
    if (n_prev > 1)
        qsort(prev, (size_t)n_prev, sizeof *prev, cmp_rec);
    for (int64_t i = 0; i < n; i++) {
        anc_record key = {.path = (char *)anchor_batch_inputs_relative(in, i)};
        const anc_record *old = n_prev ? bsearch(&key, prev, (size_t)n_prev, sizeof *prev, cmp_rec) : NULL;
        if (!params->force && complete(outdir, old, anchor_batch_inputs_name(in, i))) {
            if ((st = anc_record_copy(&r.recs[i], &old->r, err)))
                goto done;
            r.prog.skipped++;
            r.prog.done++;
        } else {
            r.todo[i] = 1;
        }
    }
    r.fd = open(jsonl, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (r.fd < 0) {
        st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot open: %s", jsonl, strerror(errno));
        goto done;
    }
    pthread_mutex_init(&r.lock, NULL);
    int jobs = params->jobs;
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    int started = 0;
    if (threads)
        for (; started < jobs - 1; started++)
            if (pthread_create(&threads[started], NULL, worker, &r) != 0)
                break; /* fewer threads still finish the list */
    worker(&r); /* the calling thread is one of the jobs */
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&r.lock);
    close(r.fd);
    if (r.fatal) {
        *err = r.fatal_err;
        st = r.fatal;
        goto done;
    }
    /* the final files, in list order (images of this run only) */
    st = anc_results_write(outdir, r.recs, n, err);
    if (summary) {
        summary->total = n;
        for (int64_t i = 0; i < n; i++) {
            if (!r.todo[i])
                summary->skipped++;
            if (anc_record_ok(&r.recs[i]))
                summary->ok++;
            else
                summary->failed++;
        }
        summary->seconds = now_seconds() - r.t0;
    }
done:
    for (int64_t k = 0; k < n_prev; k++)
        anc_record_free(&prev[k]);
    free(prev);
    for (int64_t i = 0; r.recs && i < n; i++)
        anc_record_free(&r.recs[i]);
    free(r.recs);
    free(r.todo);
    free(jsonl);
    return st;
}

/* ---- merging shard folders ------------------------------------------------------------------ */

/* A record with its position among all folders' lines, so that sorting by path keeps the
 * later folder's record after the earlier one's. */
typedef struct ordered {
    anc_record rec;
    int64_t order;
} ordered;

static int cmp_ordered(const void *a, const void *b)
{
    const ordered *x = a, *y = b;
    int c = strcmp(x->rec.path, y->rec.path);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

anchor_status anchor_batch_merge(const char *const *dirs, int n_dirs, const char *outdir,
                                 anchor_batch_summary *summary, anchor_error *err)
{
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (n_dirs < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no batch folders given");
    anchor_status st = anc_mkdirs(outdir, err);
    if (st)
        return st;
    char realout[PATH_MAX];
    if (!realpath(outdir, realout))
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: %s", outdir, strerror(errno));
    ordered *all = NULL;
    int64_t n = 0, cap = 0;
    for (int d = 0; d < n_dirs && !st; d++) {
        char realdir[PATH_MAX];
        struct stat sb;
        if (!realpath(dirs[d], realdir) || stat(realdir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: not a folder", dirs[d]);
            break;
        }
        char *jsonl = anc_path_join(realdir, "results.jsonl");
        anc_record *recs = NULL;
        int64_t nr = 0;
        if (!jsonl)
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        else if (stat(jsonl, &sb) != 0)
            st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: no results.jsonl: not a batch folder", dirs[d]);
        else
            st = anc_records_read(jsonl, &recs, &nr, err);
        free(jsonl);
        char *rel = st ? NULL : anc_relative_path(realout, realdir);
        if (!st && !rel)
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        if (!st && !anchor_grow((void **)&all, &cap, n + nr, sizeof *all, 64))
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        for (int64_t k = 0; k < nr; k++) {
            if (!st) {
                /* the image folder, as seen from the merged folder */
                char *out = recs[k].output ? anc_path_join(rel, recs[k].output) : NULL;
                if (recs[k].output && !out)
                    st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
                anchor_batch_result r = recs[k].r;
                r.output = out && !strncmp(out, "./", 2) ? out + 2 : out;
                if (!st && !(st = anc_record_copy(&all[n].rec, &r, err))) {
                    all[n].order = n;
                    n++;
                }
                free(out);
            }
            anc_record_free(&recs[k]);
        }
        free(recs);
        free(rel);
    }
    /* one record per image: its success if any, else the last one */
    anc_record *merged = st ? NULL : calloc((size_t)n + 1, sizeof *merged);
    if (!st && !merged)
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    int64_t k = 0;
    if (!st) {
        if (n > 1)
            qsort(all, (size_t)n, sizeof *all, cmp_ordered);
        for (int64_t i = 0; i < n; i++) {
            anc_record *last = k ? &merged[k - 1] : NULL;
            if (!last || strcmp(last->path, all[i].rec.path)) {
                merged[k++] = all[i].rec;
            } else if (anc_record_ok(last) && !anc_record_ok(&all[i].rec)) {
                anc_record_free(&all[i].rec);
            } else {
                anc_record_free(last);
                *last = all[i].rec;
            }
        }
        n = 0; /* every record now belongs to merged */
        st = anc_results_write(outdir, merged, k, err);
    }
    if (!st && summary) {
        summary->total = k;
        for (int64_t i = 0; i < k; i++)
            anc_record_ok(&merged[i]) ? summary->ok++ : summary->failed++;
    }
    for (int64_t i = 0; i < k; i++)
        anc_record_free(&merged[i]);
    for (int64_t i = 0; i < n; i++)
        anc_record_free(&all[i].rec);
    free(merged);
    free(all);
    return st;
}

