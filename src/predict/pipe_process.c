/* SPDX-License-Identifier: Apache-2.0 */
/* The pipe predictor's program as a process: starting it (directly or through /bin/sh, in
 * its own process group, killed with the thread that started it), watching it end, and
 * stopping it with everything it started (SIGTERM, then SIGKILL to the whole group, the
 * leader always reaped), plus the ring that keeps the tail of its stderr for messages.
 * pipe.c's header comment says why each of these is done so. It is apart from the request /
 * answer protocol (pipe.c) because it is POSIX process plumbing that knows nothing of
 * .npy; it only ever reads stderr and the exec-error pipe, never the protocol's pipes'
 * contents, except to discard unread answers while waiting for the program to finish. */
#define _GNU_SOURCE /* F_SETPIPE_SZ: larger pipes, fewer wake-ups for 27 MB batches */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anchor/status.h"
#include "predict/pipe_process.h"

extern char **environ;

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
void anc_pipe_drain_stderr(pipe_predictor *p)
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
void anc_pipe_stderr_tail(const pipe_predictor *p, char *out, size_t cap)
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

/* ---- child lifetime ----------------------------------------------------------------------- */

/* Wait up to `seconds` for the child to exit, draining its output meanwhile. 1 = reaped. */
int anc_pipe_wait_child(pipe_predictor *p, double seconds)
{
    if (p->pid <= 0)
        return 1;
    double end = anc_pipe_now() + seconds;
    for (;;) {
        int ws;
        pid_t r = waitpid(p->pid, &ws, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            p->wstatus = r == p->pid ? ws : 0;
            p->pid = 0;
            anc_pipe_drain_stderr(p);
            return 1;
        }
        double left = end - anc_pipe_now();
        if (left <= 0)
            return 0;
        /* sleep on stderr (keeps a chatty child from blocking) or 10 ms */
        struct pollfd fd = {p->err_child, POLLIN, 0};
        int ms = left < 0.01 ? (int)(left * 1000) + 1 : 10;
        if (p->err_child >= 0) {
            if (poll(&fd, 1, ms) > 0)
                anc_pipe_drain_stderr(p);
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
int anc_pipe_group_exists(pid_t pgid) { return pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM); }

/* Stop everything the command started, for good: SIGTERM to the group; after the grace
 * period SIGKILL to what is left of it, whether or not the leader is still there; the
 * leader is reaped. Grandchildren are reaped by init, so we wait a moment for the group
 * to vanish, but never without bound. stop_note says what it took. */
void anc_pipe_stop_group(pipe_predictor *p)
{
    pid_t g = p->pgid;
    if (p->pid <= 0 && !anc_pipe_group_exists(g)) {
        p->pgid = 0;
        return;
    }
    p->killed_by_us = 1;
    if (g > 0)
        kill(-g, SIGTERM);
    if (p->pid > 0)
        kill(p->pid, SIGTERM);
    double end = anc_pipe_now() + TERM_GRACE_SECONDS;
    int gone = 0;
    while (!gone) {
        double left = end - anc_pipe_now();
        if (left <= 0)
            break;
        if (p->pid > 0) {
            anc_pipe_wait_child(p, left < 0.02 ? left : 0.02);
        } else { /* only the leader can be waited for; poll the rest */
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
        gone = p->pid <= 0 && !anc_pipe_group_exists(g);
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
        end = anc_pipe_now() + GROUP_GONE_SECONDS;
        while (anc_pipe_group_exists(g) && anc_pipe_now() < end) {
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
        snprintf(p->stop_note, sizeof p->stop_note,
                 "it outlived SIGTERM by %g s: killed its process group with SIGKILL", TERM_GRACE_SECONDS);
    }
    p->pgid = 0;
}

/* "exited with status 3", "was killed by signal 9 (Killed)", or "is still running". */
void anc_pipe_describe_exit(const pipe_predictor *p, char *out, size_t cap)
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
    for (const char *dir = path;;) {
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

/* Start p->command in its own process group with three fresh pipes, and keep our ends,
 * non-blocking, in p. On failure nothing is left open or running. */
anchor_status anc_pipe_spawn(pipe_predictor *p, anchor_error *err)
{
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (make_pipe(in) || make_pipe(outp) || make_pipe(errp)) {
        int e = errno;
        close_fd(&in[0]), close_fd(&in[1]), close_fd(&outp[0]), close_fd(&outp[1]);
        close_fd(&errp[0]), close_fd(&errp[1]);
        return anchor_error_set(err, ANCHOR_ERR_IO, "cannot create pipes for predictor program `%s`: %s",
                                p->command, strerror(e));
    }

    /* the words to execute: the command itself when it needs no shell */
    char *words = NULL, *argv[MAX_ARGS + 1];
    char path_buf[4096];
    const char *prog = "/bin/sh";
    anchor_status st = ANCHOR_OK;
    if (needs_shell(p->command)) {
        argv[0] = "sh", argv[1] = "-c", argv[2] = p->command, argv[3] = NULL;
    } else if (!(words = strdup(p->command))) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    } else {
        int n = 0;
        for (char *save = NULL, *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            if (n == MAX_ARGS) {
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "predictor command `%s` has more than %d words",
                                      p->command, MAX_ARGS);
                break;
            }
            argv[n++] = w;
        }
        argv[n] = NULL;
        if (!st && n == 0)
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "predictor command is blank");
        if (!st && !(prog = find_program(argv[0], path_buf, sizeof path_buf)))
            st = anchor_error_set(err, ANCHOR_ERR_PREDICTOR,
                                  "predictor program `%s` cannot be started: %s: command not found%s", p->command,
                                  argv[0], strchr(argv[0], '/') ? " (no such executable file)" : " (not on PATH)");
    }
    int ep[2] = {-1, -1}; /* the child's exec errno comes back on this close-on-exec pipe */
    if (!st && make_pipe(ep))
        st = anchor_error_set(err, ANCHOR_ERR_IO, "cannot create pipes for predictor program `%s`: %s", p->command,
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
            if (p->opt.stop_with_caller) {
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
            st = anchor_error_set(err, ANCHOR_ERR_IO, "cannot start predictor program `%s`: fork: %s", p->command,
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
                st =
                    anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "predictor program `%s` cannot be started: %s: %s",
                                     p->command, prog, strerror(e));
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
    return ANCHOR_OK;
}

/* Let the program go, as the protocol asks (EOF on its stdin between requests), and stop
 * whatever does not: the program after the grace period or after a protocol failure, and
 * any workers its group left behind. Closes our pipe ends. */
void anc_pipe_end_child(pipe_predictor *p)
{
    close_fd(&p->to_child); /* EOF between requests: the program exits 0 */
    /* after a protocol failure the program may be mid-request and never see EOF: stop it */
    if (p->pid > 0 && (p->broken || !anc_pipe_wait_child(p, EXIT_GRACE_SECONDS)))
        anc_pipe_stop_group(p);
    if (anc_pipe_group_exists(p->pgid)) /* the leader exited but left workers behind */
        anc_pipe_stop_group(p);
    close_fd(&p->from_child);
    close_fd(&p->err_child);
}
