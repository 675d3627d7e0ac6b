/* SPDX-License-Identifier: Apache-2.0 */
/* The pipe predictor's state and its process side (private): pipe.c speaks the request /
 * answer protocol, pipe_process.c starts, watches and stops the program and keeps the tail
 * of its stderr. pipe.c calls pipe_process.c, never the other way round. */
#ifndef ANCHOR_PREDICT_PIPE_PROCESS_H
#define ANCHOR_PREDICT_PIPE_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "anchor/predict.h"

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
    pid_t pid;          /* 0 once reaped */
    pid_t pgid;         /* its process group; 0 once the group is gone or stopped */
    char stop_note[96]; /* how we stopped it, for messages */
    int wstatus;        /* valid once reaped */
    int killed_by_us;
    int to_child; /* its stdin, -1 when closed */
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

static inline double anc_pipe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Read what the program's stderr has now (non-blocking) into the ring. */
void anc_pipe_drain_stderr(pipe_predictor *p);
/* The last lines of stderr as one line ("a | b | c"), at most cap-1 bytes, keeping the end. */
void anc_pipe_stderr_tail(const pipe_predictor *p, char *out, size_t cap);
/* Wait up to `seconds` for the program to exit, draining its output meanwhile. 1 = reaped. */
int anc_pipe_wait_child(pipe_predictor *p, double seconds);
/* 1 while some process of the group still exists (zombies included). */
int anc_pipe_group_exists(pid_t pgid);
/* Stop everything the command started, for good (SIGTERM, then SIGKILL to the group). */
void anc_pipe_stop_group(pipe_predictor *p);
/* "exited with status 3", "was killed by signal 9 (Killed)", or "is still running". */
void anc_pipe_describe_exit(const pipe_predictor *p, char *out, size_t cap);
/* Start p->command (fills pid, pgid and the pipe ends); nothing left behind on failure. */
anchor_status anc_pipe_spawn(pipe_predictor *p, anchor_error *err);
/* Close the program's stdin, give it time to exit, stop what remains; close our ends. */
void anc_pipe_end_child(pipe_predictor *p);

#endif
