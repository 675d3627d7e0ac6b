/* SPDX-License-Identifier: Apache-2.0 */
/* The pipe predictor: a classifier that runs as a separate program (include/anchor/predict.h).
 *
 * Protocol (../shared/fixtures/alibi/README.md): the program is started once and kept
 * running: executed directly (argv split on blanks, found on PATH) when COMMAND has no
 * shell syntax, otherwise by `/bin/sh -c COMMAND`. Each batch is one .npy request (N,H,W,C) on its
 * stdin; the program answers one .npy on its stdout, (N,L) float32/float64 scores or (N,)
 * integer labels. Closing its stdin between two requests asks it to exit with status 0.
 *
 * How we talk to it without ever blocking forever:
 *  - All three pipe ends we hold are non-blocking and close-on-exec. One pump loop polls
 *    the request pipe (while bytes remain to write), the answer pipe (while we still need
 *    bytes) and the stderr pipe (always), until a per-request deadline. Writing the request
 *    and reading the answer are interleaved, so a program that answers early, or that
 *    floods stderr before reading, can never deadlock us: stderr is drained into a ring
 *    buffer whose tail (last ~20 lines / 2 KB) goes into every error message.
 *  - The answer is read through anc_npy_read_header with a reader that is this pump,
 *    then the data bytes straight into a buffer, so the timeout covers every byte.
 *  - A program that dies makes our writes fail with EPIPE, which would raise SIGPIPE and
 *    kill the caller. We block SIGPIPE in the calling thread during a request and, if our
 *    write raised one that was not already pending, consume it with sigtimedwait before
 *    restoring the old mask, so the process-wide signal state is never changed.
 *  - The child leads its own process group, and everything it starts (a pipeline, a
 *    forked worker) stays in that group. Stopping it means the group: SIGTERM, then,
 *    after a grace period, SIGKILL to whatever is left of the group, even when the
 *    leader is already gone (a shell that dies first would otherwise leave its children
 *    running); the leader is always reaped. The child also gets SIGKILL when the thread
 *    that started it dies (PR_SET_PDEATHSIG), so a killed `anchor` leaves no predictor
 *    behind; programs it started see their stdin or stdout pipe close.
 *  - After any protocol failure the stream is out of step, so the predictor stays broken:
 *    later calls fail at once with the first message.
 *
 * max_batch splits a large batch into several requests and joins the answers, so a
 * server with a request-size limit still sees every image exactly once, in order.
 *
 * This file is the protocol (the pump, requests, answers, the failure latch); starting,
 * watching and stopping the program is pipe_process.c. */
#define _GNU_SOURCE /* sigtimedwait, strsignal with glibc */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/grow.h"
#include "image/image_internal.h"
#include "image/npy.h"
#include "predict/pipe_answer.h"
#include "predict/predictor_internal.h"
#include "predict/pipe_process.h"

void anchor_pipe_options_default(anchor_pipe_options *opt)
{
    opt->timeout_seconds = ANCHOR_PIPE_DEFAULT_TIMEOUT;
    opt->max_batch = 0;
    opt->stop_with_caller = true;
}

/* Record a failure with the program's stderr tail appended; latch it when fatal. */
static anchor_status pipe_fail(pipe_predictor *p, anchor_error *err, anchor_status st, int fatal, const char *fmt,
                               ...) __attribute__((format(printf, 5, 6)));
static anchor_status pipe_fail(pipe_predictor *p, anchor_error *err, anchor_status st, int fatal, const char *fmt,
                               ...)
{
    char msg[ANCHOR_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    anc_pipe_drain_stderr(p);
    if (p->ring_len > 0) {
        static const char lead[] = "; its stderr ends: ";
        /* leave room for the prefixes callers add ("predictor call 3 (a batch of 100
         * images): "), which cut the end of a full message, and the end is the error */
        size_t room = sizeof msg - (size_t)n;
        room = room > STDERR_PREFIX_ROOM + sizeof lead + 16 ? room - STDERR_PREFIX_ROOM : room;
        if (room > sizeof lead + 16) {
            memcpy(msg + n, lead, sizeof lead - 1);
            anc_pipe_stderr_tail(p, msg + n + sizeof lead - 1, room - (sizeof lead - 1));
        }
    } else {
        snprintf(msg + n, sizeof msg - (size_t)n, " (its stderr is empty)");
    }
    if (fatal && !p->broken) {
        p->broken = 1;
        p->broken_status = st;
        memcpy(p->broken_message, msg, sizeof msg);
    }
    return anchor_error_set(err, st, "%s", msg);
}

/* The child closed its end (EOF on stdout or EPIPE on stdin): find out how it ended. */
static anchor_status child_gone(pipe_predictor *p, anchor_error *err, const char *what)
{
    double left = p->deadline - anc_pipe_now();
    if (!anc_pipe_wait_child(p, left < 2.0 ? (left > 0.2 ? left : 0.2) : 2.0) || anc_pipe_group_exists(p->pgid))
        anc_pipe_stop_group(p); /* still running, or it left processes of its group behind */
    char how[128];
    anc_pipe_describe_exit(p, how, sizeof how);
    return pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 1, "predictor program `%s` %s %s (request %lld)",
                     p->command, how, what, (long long)p->requests);
}

/* ---- the pump ----------------------------------------------------------------------------- */

/* Move the pending request bytes, stderr and answer bytes until `need` answer bytes are in
 * `buf` (need may be 0: just finish writing). Fails on timeout, EOF or a write error. */
static anchor_status pump(pipe_predictor *p, unsigned char *buf, size_t need, anchor_error *err)
{
    size_t got = 0;
    for (;;) {
        int writing = p->to_child >= 0 && p->wcur < 2;
        if (got == need && !writing)
            return ANCHOR_OK;
        if (got == need && need > 0)
            return ANCHOR_OK; /* the answer we wanted is here; writing resumes with the next read */
        struct pollfd fds[3];
        int nf = 0, iw = -1, ir = -1, ie = -1;
        if (writing) {
            fds[nf] = (struct pollfd){p->to_child, POLLOUT, 0};
            iw = nf++;
        }
        if (got < need) {
            fds[nf] = (struct pollfd){p->from_child, POLLIN, 0};
            ir = nf++;
        }
        if (p->err_child >= 0) {
            fds[nf] = (struct pollfd){p->err_child, POLLIN, 0};
            ie = nf++;
        }
        double left = p->deadline - anc_pipe_now();
        if (left <= 0) {
            anc_pipe_stop_group(p);
            return pipe_fail(p, err, ANCHOR_ERR_TIMEOUT, 1,
                             "predictor program `%s` did not answer request %lld within %g s (%s; see "
                             "--predict-timeout)",
                             p->command, (long long)p->requests, p->opt.timeout_seconds, p->stop_note);
        }
        int ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        int r = poll(fds, (nfds_t)nf, ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return pipe_fail(p, err, ANCHOR_ERR_IO, 1, "poll on the predictor pipes failed: %s", strerror(errno));
        }
        if (ie >= 0 && fds[ie].revents)
            anc_pipe_drain_stderr(p);
        if (iw >= 0 && fds[iw].revents) {
            while (p->wcur < 2) {
                if (p->wlen[p->wcur] == 0) {
                    p->wcur++;
                    continue;
                }
                ssize_t w = write(p->to_child, p->wseg[p->wcur], p->wlen[p->wcur]);
                if (w > 0) {
                    p->wseg[p->wcur] += w;
                    p->wlen[p->wcur] -= (size_t)w;
                    continue;
                }
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (w < 0 && errno == EPIPE) {
                    p->epipe = 1;
                    close_fd(&p->to_child);
                    return child_gone(p, err, "before reading the whole request");
                }
                return pipe_fail(p, err, ANCHOR_ERR_IO, 1, "writing a request to predictor program `%s` failed: %s",
                                 p->command, w < 0 ? strerror(errno) : "no progress");
            }
        }
        if (ir >= 0 && fds[ir].revents) {
            for (;;) {
                ssize_t g = read(p->from_child, buf + got, need - got);
                if (g > 0) {
                    got += (size_t)g;
                    p->answer_bytes += (size_t)g;
                    if (got == need)
                        break;
                    continue;
                }
                if (g < 0 && errno == EINTR)
                    continue;
                if (g < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (g == 0)
                    return child_gone(p, err,
                                      p->answer_bytes ? "in the middle of its answer" : "without answering");
                return pipe_fail(p, err, ANCHOR_ERR_IO, 1, "reading from predictor program `%s` failed: %s",
                                 p->command, strerror(errno));
            }
        }
    }
}

static anchor_status pump_reader(void *ctx, void *buf, size_t n, anchor_error *err)
{
    return pump(ctx, buf, n, err);
}

/* ---- one request --------------------------------------------------------------------------- */

/* Send images [first, first+count) of batch; append the answer at row `first` of p->scores
 * or p->labels. */
static anchor_status request(pipe_predictor *p, const anchor_image *batch, int64_t first, int64_t count,
                             anc_pipe_answer *a,
                             anchor_error *err)
{
    size_t image_bytes = anchor_image_nbytes(batch) / (size_t)batch->n;
    char head[256];
    int64_t shape[4] = {count, batch->h, batch->w, batch->c};
    size_t hl = anc_npy_format_header(head, sizeof head, batch->dtype, 4, shape);
    if (!hl)
        return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "cannot format a .npy request header");
    p->requests++;
    p->wseg[0] = (const unsigned char *)head;
    p->wlen[0] = hl;
    p->wseg[1] = (const unsigned char *)batch->data + (size_t)first * image_bytes;
    p->wlen[1] = (size_t)count * image_bytes;
    p->wcur = 0;
    p->answer_bytes = 0;
    p->deadline = anc_pipe_now() + p->opt.timeout_seconds;

    anchor_npy_header h;
    /* an answer never needs more than 2^20 classes per image */
    size_t max_bytes = (size_t)(count + 1) * ((size_t)1 << 23);
    anchor_error sub;
    anchor_error_clear(&sub);
    anchor_status st = anc_npy_read_header(pump_reader, p, max_bytes, &h, &sub);
    if (st) {
        p->wcur = 2;
        if (p->broken) /* the pump already described it */
            return anchor_error_set(err, sub.status, "%s", sub.message);
        return pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 1,
                         "predictor program `%s` answered request %lld with a malformed .npy: %s%s", p->command,
                         (long long)p->requests, sub.message,
                         sub.status == ANCHOR_ERR_FORMAT ? " (its stdout must carry nothing but .npy answers; "
                                                           "print diagnostics to stderr)"
                                                         : "");
    }
    if ((st = anc_pipe_answer_check(&h, count, p->requests, a, &sub)))
        return pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 1, "predictor program `%s` %s", p->command, sub.message);
    if (!anchor_grow((void **)&p->data, &p->data_cap, h.nbytes ? (int64_t)h.nbytes : 1, 1, 1024))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for a %zu-byte answer", h.nbytes);
    if ((st = pump(p, p->data, h.nbytes, err)))
        return st;
    if (p->wcur < 2 || p->to_child < 0) {
        /* answered before reading the whole request: protocol violation */
        p->wcur = 2;
        return pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 1,
                         "predictor program `%s` answered request %lld before reading all of it", p->command,
                         (long long)p->requests);
    }
    /* copy out, widened, with the checks that need the values */
    size_t rows = (size_t)(first + count);
    if (!a->is_labels &&
        !anchor_grow((void **)&p->scores, &p->scores_cap, (int64_t)(rows * (size_t)a->classes), sizeof(double), 1024))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for scores");
    if (a->is_labels && !anchor_grow((void **)&p->labels, &p->labels_cap, (int64_t)rows, sizeof(int64_t), 1024))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for labels");
    double *scores = a->is_labels ? NULL : p->scores + (size_t)first * (size_t)a->classes;
    int64_t *labels = a->is_labels ? p->labels + first : NULL;
    if ((st = anc_pipe_answer_convert(&h, p->data, a, p->requests, scores, labels, &sub)))
        return pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 0, "predictor program `%s` %s", p->command, sub.message);
    return ANCHOR_OK;
}

/* The callback behind the handle: split, send, join, deliver. */
static anchor_status pipe_predict(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    pipe_predictor *p = user;
    if (p->broken)
        return anchor_error_set(err, p->broken_status, "%s", p->broken_message);
    if (batch->dtype != ANCHOR_DTYPE_U8 && batch->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "the pipe protocol sends uint8 or float32 images, not %s",
                                anchor_dtype_name(batch->dtype));

    /* Block SIGPIPE for this thread while we write; remember whether one was pending. */
    sigset_t block, old, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    p->epipe = 0;

    anchor_status st = ANCHOR_OK;
    int64_t step = p->opt.max_batch > 0 ? p->opt.max_batch : batch->n;
    if (step < 1)
        step = 1;
    anc_pipe_answer first_answer = {0, 0, 0};
    for (int64_t at = 0; at < batch->n && st == ANCHOR_OK; at += step) {
        int64_t count = batch->n - at < step ? batch->n - at : step;
        anc_pipe_answer a = {0, 0, 0};
        st = request(p, batch, at, count, &a, err);
        if (st)
            break;
        if (at == 0) {
            first_answer = a;
        } else if (a.is_labels != first_answer.is_labels || a.classes != first_answer.classes) {
            st = pipe_fail(p, err, ANCHOR_ERR_PREDICTOR, 1,
                           "predictor program `%s` answered request %lld with %lld %s, but earlier parts of the same "
                           "batch with %lld",
                           p->command, (long long)p->requests, (long long)a.classes,
                           a.is_labels ? "labels" : "classes", (long long)first_answer.classes);
        }
    }
    if (st == ANCHOR_OK) {
        if (first_answer.is_labels)
            st = anchor_prediction_set_labels(out, batch->n, p->labels, err);
        else
            st = anchor_prediction_set_scores(out, batch->n, first_answer.classes, ANCHOR_DTYPE_F64, p->scores, err);
    }

    if (p->epipe && !was_pending) { /* swallow the SIGPIPE our write raised */
        struct timespec zero = {0, 0};
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE))
            while (sigtimedwait(&block, NULL, &zero) < 0 && errno == EINTR) {
            }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return st;
}
static void pipe_destroy(void *user)
{
    pipe_predictor *p = user;
    if (!p)
        return;
    anc_pipe_end_child(p);
    free(p->command);
    free(p->data);
    free(p->scores);
    free(p->labels);
    free(p);
}

anchor_status anchor_predictor_create_command(const char *command, const anchor_pipe_options *opt,
                                              anchor_predictor **out, anchor_error *err)
{
    *out = NULL;
    if (!command || !*command)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "predictor command is empty");
    anchor_pipe_options o;
    anchor_pipe_options_default(&o);
    if (opt)
        o = *opt;
    if (!(o.timeout_seconds > 0) || !isfinite(o.timeout_seconds))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "predictor timeout must be a positive number of seconds, not %g", o.timeout_seconds);
    if (o.max_batch < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "max batch must be >= 0 (0 = no limit), not %lld",
                                (long long)o.max_batch);

    pipe_predictor *p = calloc(1, sizeof *p);
    if (!p || !(p->command = strdup(command))) {
        free(p);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    p->opt = o;
    p->to_child = p->from_child = p->err_child = -1;
    anchor_status st = anc_pipe_spawn(p, err);
    if (st) {
        pipe_destroy(p);
        return st;
    }

    st = anchor_predictor_create_callback(pipe_predict, p, pipe_destroy, out, err);
    if (st)
        pipe_destroy(p);
    return st;
}
