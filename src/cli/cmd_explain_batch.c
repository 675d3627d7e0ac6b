/* SPDX-License-Identifier: Apache-2.0 */
/* anchor explain on many images: the batch mode of the explain command.
 *
 * Chosen when explain gets several IMAGE arguments, a folder, an @list, or one of the
 * batch flags. Everything about the batch (listing, shards, resume, results, report) is
 * the library's anchor_batch_run; this file checks the arguments, loads the classifier
 * once, hands the runner a callback that explains one image through exactly the steps of
 * a single `anchor explain` (cmd_explain.h), and shows progress.
 *
 * The classifier is shared by the jobs behind anchor_predictor_create_serialized: the pipe
 * program answers one request at a time, and an ONNX model may be run by one thread at a
 * time (anchor/onnx.h). The engine's own threads (OpenMP, all cores) then work on one batch
 * while the other jobs segment, sample and write, which is where --jobs gains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <anchor/anchor.h>
#include <anchor/batch.h>
#include "cli.h"
#include "cmd_explain.h"

#define CMD "explain"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct job_ctx {
    const cli_explain_options *o;
    anchor_predictor *pred; /* shared, serialized */
} job_ctx;

/* One image, as `anchor explain IMAGE -o OUTDIR` would explain it. */
static anchor_status explain_file(void *user, const char *file, const char *outdir, anchor_explanation **out,
                                  anchor_error *err)
{
    const job_ctx *ctx = user;
    double t0 = now_seconds();
    cli_explain_options o = *ctx->o;
    o.image = file;
    o.outdir = outdir;
    anchor_image *img = NULL, *labels = NULL, *bg = NULL, *photo = NULL;
    int64_t n_bg = 0;
    char *kwargs = NULL;
    *out = NULL;
    anchor_status st = cli_explain_load_image(&o, &img, &photo, err);
    if (!st)
        st = cli_explain_make_segments(&o, img, &labels, &kwargs, err);
    if (!st)
        st = cli_explain_load_backgrounds(&o, img, &bg, &n_bg, err);
    if (!st)
        st = anchor_explain(img, labels, bg, ctx->pred, &o.params, out, err);
    if (!st) {
        anchor_output_info info;
        char segdesc[4200];
        cli_explain_output_info(&o, n_bg, now_seconds() - t0, segdesc, sizeof segdesc, kwargs, &info);
        info.photo = photo;
        st = anchor_output_write(outdir, *out, img, &o.params, &info, err);
    }
    if (st) {
        anchor_explanation_destroy(*out);
        *out = NULL;
    }
    free(kwargs);
    anchor_image_destroy(img);
    anchor_image_destroy(photo);
    anchor_image_destroy(labels);
    anchor_image_destroy(bg);
    return st;
}

/* ---- progress ------------------------------------------------------------------------------- */

typedef struct progress {
    bool tty;
    char current[256];
} progress;

static void fmt_duration(char *buf, size_t cap, double s)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, cap, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void on_started(void *user, const char *path)
{
    progress *pg = user;
    snprintf(pg->current, sizeof pg->current, "%s", path);
}

static void on_progress(void *user, const anchor_batch_progress *p)
{
    progress *pg = user;
    int64_t worked = p->done - p->skipped;
    double rate = p->seconds > 0 ? (double)worked / p->seconds : 0;
    char eta[32];
    fmt_duration(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1);
    if (!pg->tty) {
        const anchor_batch_result *r = p->result;
        if (!r)
            return;
        if (strcmp(r->status, "ERROR"))
            fprintf(stderr, "[%lld/%lld] %s: %s, class %lld, precision %.4f, coverage %.4f, %.2f s\n",
                    (long long)p->done, (long long)p->total, r->path, r->status, (long long)r->class_index,
                    r->precision, r->coverage, r->seconds);
        else
            fprintf(stderr, "[%lld/%lld] %s: ERROR: %s\n", (long long)p->done, (long long)p->total, r->path,
                    r->error ? r->error : "");
        return;
    }
    struct winsize ws;
    int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 40 ? ws.ws_col : 80;
    const int barw = 24;
    int fill = p->total ? (int)(barw * p->done / p->total) : barw;
    char bar[32];
    for (int i = 0; i < barw; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[barw] = 0;
    char line[512];
    int n = snprintf(line, sizeof line, "[%s] %lld/%lld %.2f img/s ETA %s%s%lld failed  ", bar, (long long)p->done,
                     (long long)p->total, rate, eta, "  ", (long long)p->failed);
    const char *cur = p->done < p->total ? pg->current : "";
    int room = cols - 1 - n;
    if (room > 3 && *cur) {
        int len = (int)strlen(cur);
        if (len > room) /* keep the end of the path: the file name */
            snprintf(line + n, sizeof line - (size_t)n, "...%s", cur + len - (room - 3));
        else
            snprintf(line + n, sizeof line - (size_t)n, "%s", cur);
    }
    fprintf(stderr, "\r%-*.*s", cols - 1, cols - 1, line);
    if (p->done == p->total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- the command ------------------------------------------------------------------------------ */

int cli_explain_batch(cli_explain_options *o)
{
    anchor_error err;
    anchor_error_clear(&err);
    int64_t rw = 0, rh = 0;
    if (o->resize && !cli_parse_size(o->resize, &rw, &rh)) {
        cli_error(CMD, "--resize: expected WIDTHxHEIGHT (e.g. 299x299), got '%s'", o->resize);
        return 2;
    }
    if (!o->resize && o->resize_filter && !o->model) {
        cli_error(CMD, "--resize-filter needs --resize (or --model, which resizes to its input size)");
        return 2;
    }
    /* every check that needs no classifier, before the classifier starts */
    anchor_batch_input_options io;
    anchor_batch_input_options_default(&io);
    io.recursive = o->recursive;
    anchor_batch_inputs *in = NULL;
    anchor_class_names *names = NULL;
    anchor_model *model = NULL;
    anchor_predictor *inner = NULL, *shared = NULL;
    int rc = 2;
    if (anchor_batch_inputs_create(o->inputs, o->n_inputs, &io, &in, &err)) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }
    if (o->shard) {
        int64_t si, sn;
        if (anchor_batch_shard_parse(o->shard, &si, &sn, &err) || anchor_batch_inputs_shard(in, si, sn, &err)) {
            cli_error(CMD, "%s", err.message);
            goto done;
        }
    }
    struct stat sb;
    if (stat(o->outdir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        cli_error(CMD, "-o %s: exists and is not a folder", o->outdir);
        goto done;
    }
    if (anchor_batch_inputs_check_output(in, o->outdir, &err)) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }
    if (o->class_names && anchor_class_names_load(o->class_names, &names, &err)) {
        cli_error(CMD, "--labels %s", err.message);
        goto done;
    }

    rc = 1;
    anchor_status st;
    char model_size[64];
    if (o->model) {
        if ((st = cli_explain_load_model(o, &model, &err))) {
            cli_error(CMD, "%s", err.message);
            goto done;
        }
        int64_t mh = anchor_model_input_height(model), mw = anchor_model_input_width(model);
        if (mh > 0 && mw > 0) {
            if (!o->resize) {
                snprintf(model_size, sizeof model_size, "%lldx%lld", (long long)mw, (long long)mh);
                o->resize = model_size;
            } else if (rw != mw || rh != mh) {
                cli_error(CMD, "%s takes %lld x %lld images but --resize %s makes them %lld x %lld (H x W)", o->model,
                          (long long)mh, (long long)mw, o->resize, (long long)rh, (long long)rw);
                rc = 2;
                goto done;
            }
        }
        st = anchor_predictor_create_model(model, &inner, &err);
        if (!st)
            model = NULL; /* owned by the predictor */
    } else {
        anchor_pipe_options po;
        anchor_pipe_options_default(&po);
        po.timeout_seconds = o->timeout;
        po.max_batch = o->max_batch;
        st = anchor_predictor_create_command(o->predict_cmd, &po, &inner, &err);
    }
    if (!st)
        st = anchor_predictor_create_serialized(inner, &shared, &err);
    if (st) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }

    job_ctx ctx = {o, shared};
    progress pg = {.tty = isatty(STDERR_FILENO) == 1};
    anchor_batch_params bp;
    anchor_batch_params_default(&bp);
    bp.jobs = (int)o->jobs;
    bp.force = o->force;
    bp.class_names = names;
    if (!o->quiet) {
        bp.progress = on_progress;
        bp.started = on_started;
        bp.progress_user = &pg;
    }
    anchor_batch_summary sum;
    if ((st = anchor_batch_run(in, o->outdir, &bp, explain_file, &ctx, &sum, &err))) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }
    if (!o->quiet)
        printf("%lld images: %lld explained (%lld from an earlier run), %lld failed, %.1f s; results in %s\n",
               (long long)sum.total, (long long)sum.ok, (long long)sum.skipped, (long long)sum.failed, sum.seconds,
               o->outdir);
    rc = sum.failed == 0 ? 0 : sum.ok == 0 ? 1 : 3;
done:
    anchor_predictor_destroy(shared);
    anchor_predictor_destroy(inner);
    anchor_model_destroy(model);
    anchor_class_names_destroy(names);
    anchor_batch_inputs_destroy(in);
    return rc;
}
