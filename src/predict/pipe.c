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
 * server with a request-size limit still sees every image exactly once, in order. */
#define _GNU_SOURCE /* F_SETPIPE_SZ: larger pipes, fewer wake-ups for 27 MB batches */
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

extern char **environ;

#define STDERR_RING 16384      /* bytes of the program's stderr we remember */
#define STDERR_TAIL_BYTES 2048 /* at most this much of it in a message ... */
#define STDERR_TAIL_LINES 20   /* ... and at most this many lines */
#define STDERR_PREFIX_ROOM 192 /* message bytes kept free for callers' prefixes */
#define EXIT_GRACE_SECONDS 5.0 /* destroy: time to exit after EOF before SIGTERM */
#define TERM_GRACE_SECONDS 1.0 /* time between SIGTERM and SIGKILL */
#define GROUP_GONE_SECONDS 1.0 /* after SIGKILL: time for the group's last members to vanish */
#define MAX_ARGS 256           /* words of a command run without the shell */

typedef struct pipe_predictor {
    char *command;
    anchor_pipe_options opt;
    pid_t pid;     /* 0 once reaped */
    pid_t pgid;    /* its process group; 0 once the group is gone or stopped */
    char stop_note[96]; /* how we stopped it, for messages */
    int wstatus;   /* valid once reaped */
    int killed_by_us;
    int to_child;  /* its stdin, -1 when closed */
    int from_child;
    int err_child; /* -1 at EOF */
    int64_t requests;
    size_t answer_bytes; /* of the current request, for messages */
    /* stderr ring */
    char ring[STDERR_RING];
    size_t ring_len, ring_pos;
    /* the request being written */
    const unsigned char *wseg[2];
    size_t wlen[2];
    int wcur;
    double deadline;
    int epipe;
    /* failure latch */
    int broken;
    anchor_status broken_status;
    char broken_message[ANCHOR_ERROR_MESSAGE_MAX];
    /* reused buffers */
    unsigned char *data;
    int64_t data_cap;
    double *scores;
    int64_t scores_cap;
    int64_t *labels;
    int64_t labels_cap;
} pipe_predictor;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

void anchor_pipe_options_default(anchor_pipe_options *opt)
{
    opt->timeout_seconds = ANCHOR_PIPE_DEFAULT_TIMEOUT;
    opt->max_batch = 0;
    opt->stop_with_caller = true;
}

/* ---- stderr ring ------------------------------------------------------------------------- */

static void ring_put(pipe_predictor *p, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p->ring[p->ring_pos] = buf[i];
        p->ring_pos = (p->ring_pos + 1) % STDERR_RING;
    }
    p->ring_len = p->ring_len + n > STDERR_RING ? STDERR_RING : p->ring_len + n;
}

/* Read what stderr has now (non-blocking). */
static void drain_stderr(pipe_predictor *p)
{
    char buf[4096];
    while (p->err_child >= 0) {
        ssize_t r = read(p->err_child, buf, sizeof buf);
        if (r > 0) {
            ring_put(p, buf, (size_t)r);
        } else if (r == 0) {
            close_fd(&p->err_child);
        } else {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                close_fd(&p->err_child);
            break;
        }
    }
}

/* The last lines of stderr as one line ("a | b | c"), at most cap-1 bytes, keeping the end. */
static void stderr_tail(const pipe_predictor *p, char *out, size_t cap)
{
    size_t n = p->ring_len < STDERR_TAIL_BYTES ? p->ring_len : STDERR_TAIL_BYTES;
    char raw[STDERR_TAIL_BYTES + 1];
    size_t start = (p->ring_pos + STDERR_RING - n) % STDERR_RING;
    for (size_t i = 0; i < n; i++)
        raw[i] = p->ring[(start + i) % STDERR_RING];
    while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' '))
        n--;
    /* keep the last STDERR_TAIL_LINES lines */
    size_t b = n;
    int lines = 0;
    while (b > 0) {
        if (raw[b - 1] == '\n' && ++lines >= STDERR_TAIL_LINES)
            break;
        b--;
    }
    /* flatten: newline -> " | ", control characters -> '?' */
    char flat[3 * STDERR_TAIL_BYTES + 1];
    size_t m = 0;
    for (size_t i = b; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '\n') {
            memcpy(flat + m, " | ", 3);
            m += 3;
        } else if (c == '\r') {
            continue;
        } else {
            flat[m++] = (c < 32 && c != '\t') || c == 127 ? '?' : (char)c;
        }
    }
    if (cap == 0)
        return;
    if (m + 1 <= cap) {
        memcpy(out, flat, m);
        out[m] = 0;
    } else { /* keep the end, where errors are */
        size_t keep = cap - 1 - 3;
        memcpy(out, "...", 3);
        memcpy(out + 3, flat + m - keep, keep);
        out[cap - 1] = 0;
    }
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
    drain_stderr(p);
    if (p->ring_len > 0) {
        static const char lead[] = "; its stderr ends: ";
        /* leave room for the prefixes callers add ("predictor call 3 (a batch of 100
         * images): "), which cut the end of a full message, and the end is the error */
        size_t room = sizeof msg - (size_t)n;
        room = room > STDERR_PREFIX_ROOM + sizeof lead + 16 ? room - STDERR_PREFIX_ROOM : room;
        if (room > sizeof lead + 16) {
            memcpy(msg + n, lead, sizeof lead - 1);
            stderr_tail(p, msg + n + sizeof lead - 1, room - (sizeof lead - 1));
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

/* ---- child lifetime ----------------------------------------------------------------------- */

/* Wait up to `seconds` for the child to exit, draining its output meanwhile. 1 = reaped. */
static int wait_child(pipe_predictor *p, double seconds)
{
    if (p->pid <= 0)
        return 1;
    double end = now_seconds() + seconds;
    for (;;) {
        int ws;
        pid_t r = waitpid(p->pid, &ws, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            p->wstatus = r == p->pid ? ws : 0;
            p->pid = 0;
            drain_stderr(p);
            return 1;
        }
        double left = end - now_seconds();
        if (left <= 0)
            return 0;
        /* sleep on stderr (keeps a chatty child from blocking) or 10 ms */
        struct pollfd fd = {p->err_child, POLLIN, 0};
        int ms = left < 0.01 ? (int)(left * 1000) + 1 : 10;
        if (p->err_child >= 0) {
            if (poll(&fd, 1, ms) > 0)
                drain_stderr(p);
        } else {
            struct timespec ts = {0, (long)ms * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (p->from_child >= 0) { /* discard unread answers so the child can finish */
            char junk[4096];
            while (read(p->from_child, junk, sizeof junk) > 0) {
            }
        }
    }
}

/* 1 while some process of the group still exists (zombies included). */
static int group_exists(pid_t pgid)
{
    return pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM);
}

/* Stop everything the command started, for good: SIGTERM to the group; after the grace
 * period SIGKILL to what is left of it, whether or not the leader is still there; the
 * leader is reaped. Grandchildren are reaped by init, so we wait a moment for the group
 * to vanish, but never without bound. stop_note says what it took. */
static void stop_group(pipe_predictor *p)
{
    pid_t g = p->pgid;
    if (p->pid <= 0 && !group_exists(g)) {
        p->pgid = 0;
        return;
    }
    p->killed_by_us = 1;
    if (g > 0)
        kill(-g, SIGTERM);
    if (p->pid > 0)
        kill(p->pid, SIGTERM);
    double end = now_seconds() + TERM_GRACE_SECONDS;
    int gone = 0;
    while (!gone) {
        double left = end - now_seconds();
        if (left <= 0)
            break;
        if (p->pid > 0) {
            wait_child(p, left < 0.02 ? left : 0.02);
        } else { /* only the leader can be waited for; poll the rest */
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
        gone = p->pid <= 0 && !group_exists(g);
    }
    if (gone) {
        snprintf(p->stop_note, sizeof p->stop_note, "stopped it with SIGTERM");
    } else {
        if (g > 0)
            kill(-g, SIGKILL);
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            int ws;
            while (waitpid(p->pid, &ws, 0) < 0 && errno == EINTR) {
            }
            p->wstatus = ws;
            p->pid = 0;
        }
        end = now_seconds() + GROUP_GONE_SECONDS;
        while (group_exists(g) && now_seconds() < end) {
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
        snprintf(p->stop_note, sizeof p->stop_note, "it outlived SIGTERM by %g s: killed its process group with SIGKILL",
                 TERM_GRACE_SECONDS);
    }
    p->pgid = 0;
}

/* "exited with status 3", "was killed by signal 9 (Killed)", or "is still running". */
static void describe_exit(const pipe_predictor *p, char *out, size_t cap)
{
    if (p->pid > 0)
        snprintf(out, cap, "is still running");
    else if (WIFEXITED(p->wstatus) && WEXITSTATUS(p->wstatus) > 128 && WEXITSTATUS(p->wstatus) < 128 + 65)
        /* /bin/sh reports a command killed by signal S as status 128 + S */
        snprintf(out, cap, "was killed by signal %d (%s; shell exit status %d)", WEXITSTATUS(p->wstatus) - 128,
                 strsignal(WEXITSTATUS(p->wstatus) - 128), WEXITSTATUS(p->wstatus));
    else if (WIFEXITED(p->wstatus))
        snprintf(out, cap, "exited with status %d%s", WEXITSTATUS(p->wstatus),
                 WEXITSTATUS(p->wstatus) == 127   ? " (command not found)"
                 : WEXITSTATUS(p->wstatus) == 126 ? " (command not executable)"
                                                  : "");
    else if (WIFSIGNALED(p->wstatus))
        snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(p->wstatus), strsignal(WTERMSIG(p->wstatus)));
    else
        snprintf(out, cap, "ended");
}

/* The child closed its end (EOF on stdout or EPIPE on stdin): find out how it ended. */
static anchor_status child_gone(pipe_predictor *p, anchor_error *err, const char *what)
{
    double left = p->deadline - now_seconds();
    if (!wait_child(p, left < 2.0 ? (left > 0.2 ? left : 0.2) : 2.0) || group_exists(p->pgid))
        stop_group(p); /* still running, or it left processes of its group behind */
    char how[128];
    describe_exit(p, how, sizeof how);
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
        double left = p->deadline - now_seconds();
        if (left <= 0) {
            stop_group(p);
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
            drain_stderr(p);
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
    p->deadline = now_seconds() + p->opt.timeout_seconds;

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
    close_fd(&p->to_child); /* EOF between requests: the program exits 0 */
    /* after a protocol failure the program may be mid-request and never see EOF: stop it */
    if (p->pid > 0 && (p->broken || !wait_child(p, EXIT_GRACE_SECONDS)))
        stop_group(p);
    if (group_exists(p->pgid)) /* the leader exited but left workers behind */
        stop_group(p);
    close_fd(&p->from_child);
    close_fd(&p->err_child);
    free(p->command);
    free(p->data);
    free(p->scores);
    free(p->labels);
    free(p);
}

/* ---- start -------------------------------------------------------------------------------- */

/* Characters that mean the shell must read the command: quoting, expansion, redirection,
 * pipelines, lists, globbing, comments. A leading NAME=value assignment needs it too. */
static int needs_shell(const char *command)
{
    if (strpbrk(command, "|&;<>()$`\\\"'*?[]#~{}\n"))
        return 1;
    size_t first = strcspn(command + strspn(command, " \t"), " \t");
    return memchr(command + strspn(command, " \t"), '=', first) != NULL;
}

/* `name` as execve needs it: a path as given, or the first executable regular file of
 * that name on PATH (the lookup is done here, before fork, so the child only execs). */
static const char *find_program(const char *name, char *buf, size_t cap)
{
    struct stat sb;
    if (strchr(name, '/'))
        return stat(name, &sb) == 0 && S_ISREG(sb.st_mode) && access(name, X_OK) == 0 ? name : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *dir = path;; ) {
        size_t len = strcspn(dir, ":");
        int n = snprintf(buf, cap, "%.*s%s%s", (int)len, len ? dir : ".", "/", name);
        if (n > 0 && (size_t)n < cap && stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) && access(buf, X_OK) == 0)
            return buf;
        if (!dir[len])
            return NULL;
        dir += len + 1;
    }
}

/* A pipe whose ends are >= 3 (so dup2 onto 0/1/2 in the child always clears CLOEXEC) and
 * close-on-exec in us. */
static int make_pipe(int fds[2])
{
    int raw[2];
    if (pipe(raw) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fds[i] = fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
        close(raw[i]);
        if (fds[i] < 0) {
            if (i == 1)
                close(fds[0]);
            else
                close(raw[1]);
            return -1;
        }
    }
    return 0;
}

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
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
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (make_pipe(in) || make_pipe(outp) || make_pipe(errp)) {
        int e = errno;
        close_fd(&in[0]), close_fd(&in[1]), close_fd(&outp[0]), close_fd(&outp[1]);
        close_fd(&errp[0]), close_fd(&errp[1]);
        pipe_destroy(p);
        return anchor_error_set(err, ANCHOR_ERR_IO, "cannot create pipes for predictor program `%s`: %s", command,
                                strerror(e));
    }

    /* the words to execute: the command itself when it needs no shell */
    char *words = NULL, *argv[MAX_ARGS + 1];
    char path_buf[4096];
    const char *prog = "/bin/sh";
    anchor_status st = ANCHOR_OK;
    if (needs_shell(command)) {
        argv[0] = "sh", argv[1] = "-c", argv[2] = p->command, argv[3] = NULL;
    } else if (!(words = strdup(command))) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    } else {
        int n = 0;
        for (char *save = NULL, *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            if (n == MAX_ARGS) {
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "predictor command `%s` has more than %d words", command,
                                      MAX_ARGS);
                break;
            }
            argv[n++] = w;
        }
        argv[n] = NULL;
        if (!st && n == 0)
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "predictor command is blank");
        if (!st && !(prog = find_program(argv[0], path_buf, sizeof path_buf)))
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                  "predictor program `%s` cannot be started: %s: command not found%s", command, argv[0],
                                  strchr(argv[0], '/') ? " (no such executable file)" : " (not on PATH)");
    }
    int ep[2] = {-1, -1}; /* the child's exec errno comes back on this close-on-exec pipe */
    if (!st && make_pipe(ep))
        st = anchor_error_set(err, ANCHOR_ERR_IO, "cannot create pipes for predictor program `%s`: %s", command,
                              strerror(errno));
    pid_t pid = -1;
    if (!st) {
        sigset_t all, old;
        sigfillset(&all);
        /* no signal handler of ours may run in the child between fork and exec */
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid_t parent = getpid();
        pid = fork();
        if (pid == 0) {
            /* only async-signal-safe calls from here to exec */
            setpgid(0, 0);
            if (o.stop_with_caller) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                    _exit(127); /* the caller died before prctl took effect */
            }
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            for (int sig = 1; sig < 65; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                    sigaction(sig, &dfl, NULL);
            if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
                _exit(127);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(prog, argv, environ);
            int e = errno;
            ssize_t ignored = write(ep[1], &e, sizeof e);
            (void)ignored;
            _exit(127);
        }
        int fork_errno = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pid < 0) {
            st = anchor_error_set(err, ANCHOR_ERR_IO, "cannot start predictor program `%s`: fork: %s", command,
                                  strerror(fork_errno));
        } else {
            setpgid(pid, pid); /* also here, so the group exists before we could signal it */
            close_fd(&ep[1]);
            int e = 0;
            ssize_t r;
            while ((r = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR) {
            }
            if (r == (ssize_t)sizeof e) { /* exec failed: the child has exited */
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
                }
                pid = -1;
                st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor program `%s` cannot be started: %s: %s",
                                      command, prog, strerror(e));
            }
        }
    }
    close_fd(&ep[0]);
    close_fd(&ep[1]);
    free(words);
    close(in[0]);
    close(outp[1]);
    close(errp[1]);
    if (st) {
        close(in[1]);
        close(outp[0]);
        close(errp[0]);
        pipe_destroy(p);
        return st;
    }
    p->pid = pid;
    p->pgid = pid;
    p->to_child = in[1];
    p->from_child = outp[0];
    p->err_child = errp[0];
    set_nonblocking(p->to_child);
    set_nonblocking(p->from_child);
#ifdef F_SETPIPE_SZ
    fcntl(p->to_child, F_SETPIPE_SZ, 1 << 20); /* best effort: limited by /proc/sys/fs/pipe-max-size */
#endif
    set_nonblocking(p->err_child);

    st = anchor_predictor_create_callback(pipe_predict, p, pipe_destroy, out, err);
    if (st)
        pipe_destroy(p);
    return st;
}
