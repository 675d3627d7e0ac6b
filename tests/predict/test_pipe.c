/* SPDX-License-Identifier: Apache-2.0 */
/* The pipe predictor (src/predict/pipe.c) against toy_linear.py (exact scores from the
 * alibi fixtures) and against fake_predictor.py, which breaks the protocol on purpose:
 * every failure must come back as a status with a message that names it and quotes the
 * program's stderr, within the timeout, without SIGPIPE killing us or a zombie left. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anchor/anchor.h"
#include "image/codec.h"
#include "harness.h"

static const char *here; /* tests/predict, from argv[1] */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* n images of h x w x c, image i filled with value 10*(i+1) (uint8) or (i+1)/10 (float32). */
static anchor_image *make_batch(int64_t n, int64_t h, int64_t w, int64_t c, anchor_dtype dt)
{
    anchor_image *b;
    if (anchor_image_create(n, h, w, c, dt, &b, NULL))
        return NULL;
    size_t per = (size_t)(h * w * c);
    for (int64_t i = 0; i < n; i++)
        for (size_t j = 0; j < per; j++) {
            if (dt == ANCHOR_DTYPE_U8)
                ((unsigned char *)anchor_image_data(b))[i * per + j] = (unsigned char)(10 * (i + 1));
            else
                ((float *)anchor_image_data(b))[i * per + j] = (float)(i + 1) / 10.0f;
        }
    return b;
}

static anchor_predictor *fake(const char *mode, double timeout, int64_t max_batch)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/fake_predictor.py %s", here, mode);
    anchor_pipe_options o;
    anchor_pipe_options_default(&o);
    o.timeout_seconds = timeout;
    o.max_batch = max_batch;
    anchor_predictor *p = NULL;
    anchor_error err;
    if (anchor_predictor_create_command(cmd, &o, &p, &err))
        fprintf(stderr, "create failed: %s\n", err.message);
    return p;
}

/* Run one batch through mode, expect failure with status st and every needle in the message. */
static void expect_failure(const char *mode, anchor_status st, const char *needle1, const char *needle2,
                           int64_t n)
{
    anchor_predictor *p = fake(mode, 3.0, 0);
    CHECK(p != NULL);
    if (!p)
        return;
    anchor_image *b = make_batch(n, 16, 16, 3, ANCHOR_DTYPE_U8);
    anchor_prediction *out;
    anchor_prediction_create(&out, NULL);
    anchor_error err;
    anchor_error_clear(&err);
    double t0 = now();
    anchor_status got = anchor_predictor_predict(p, b, out, &err);
    double dt = now() - t0;
    CHECKF(got == st, "mode %s: status %d (%s), want %d", mode, got, err.message, st);
    CHECKF(strstr(err.message, needle1) != NULL, "mode %s: '%s' not in: %s", mode, needle1, err.message);
    if (needle2)
        CHECKF(strstr(err.message, needle2) != NULL, "mode %s: '%s' not in: %s", mode, needle2, err.message);
    CHECKF(dt < 5.0, "mode %s took %.1f s", mode, dt);
    /* the predictor stays failed (or, for a recoverable answer, fails the same way again) */
    anchor_error err2;
    CHECK(anchor_predictor_predict(p, b, out, &err2) != ANCHOR_OK);
    printf("%-12s -> %s\n", mode, err.message);
    t0 = now();
    anchor_predictor_destroy(p);
    CHECKF(now() - t0 < 3.0, "mode %s: destroy took %.1f s", mode, now() - t0);
    anchor_prediction_destroy(out);
    anchor_image_destroy(b);
}

static void test_fake_ok(void)
{
    const char *modes[] = {"ok", "f32", "labels", "stderr-flood"};
    for (int m = 0; m < 4; m++) {
        anchor_predictor *p = fake(modes[m], 20.0, 0);
        CHECK(p != NULL);
        if (!p)
            continue;
        anchor_prediction *out;
        anchor_prediction_create(&out, NULL);
        for (int round = 0; round < 3; round++) {
            anchor_dtype dt = round == 1 ? ANCHOR_DTYPE_F32 : ANCHOR_DTYPE_U8;
            int64_t n = round == 2 ? 7 : 3;
            anchor_image *b = make_batch(n, 20, 30, round == 2 ? 1 : 3, dt);
            anchor_error err;
            anchor_status st = anchor_predictor_predict(p, b, out, &err);
            CHECKF(st == ANCHOR_OK, "%s round %d: %s", modes[m], round, err.message);
            if (st == ANCHOR_OK) {
                CHECK(anchor_prediction_count(out) == n);
                for (int64_t i = 0; i < n; i++) {
                    double mean = dt == ANCHOR_DTYPE_U8 ? 10.0 * (i + 1) / 255.0 : (double)((float)(i + 1) / 10.0f);
                    if (m == 2) {
                        CHECK(anchor_prediction_classes(out) == 0);
                        CHECK(anchor_prediction_labels(out)[i] == (mean > 0.5 ? 0 : 1));
                    } else {
                        const double *s = anchor_prediction_scores(out);
                        CHECK(anchor_prediction_classes(out) == 3);
                        double tol = m == 1 ? 1e-6 : 1e-12;
                        CHECKF(fabs(s[i * 3] - mean) < tol && fabs(s[i * 3 + 2] - 0.5) < tol, "%s: row %lld = %g",
                               modes[m], (long long)i, s[i * 3]);
                    }
                }
            }
            anchor_image_destroy(b);
        }
        double t0 = now();
        anchor_predictor_destroy(p);
        CHECKF(now() - t0 < 2.0, "destroy of a well-behaved program took %.1f s", now() - t0);
        anchor_prediction_destroy(out);
    }
}

static void test_max_batch(void)
{
    char logpath[256];
    snprintf(logpath, sizeof logpath, "/tmp/anchor_test_pipe_%ld.log", (long)getpid());
    remove(logpath);
    char mode[512];
    snprintf(mode, sizeof mode, "count %s", logpath);
    anchor_predictor *p = fake(mode, 20.0, 4);
    anchor_prediction *out;
    anchor_prediction_create(&out, NULL);
    anchor_image *b = make_batch(11, 8, 8, 3, ANCHOR_DTYPE_U8);
    anchor_error err;
    CHECKF(anchor_predictor_predict(p, b, out, &err) == ANCHOR_OK, "%s", err.message);
    CHECK(anchor_prediction_count(out) == 11);
    for (int i = 0; i < 11 && anchor_prediction_scores(out); i++)
        CHECK(fabs(anchor_prediction_scores(out)[i * 3] - 10.0 * (i + 1) / 255.0) < 1e-12);
    anchor_predictor_destroy(p);
    FILE *f = fopen(logpath, "r");
    CHECK(f != NULL);
    if (f) {
        int a = 0, b2 = 0, c = 0, d = 0;
        int k = fscanf(f, "%d %d %d %d", &a, &b2, &c, &d);
        CHECKF(k == 3 && a == 4 && b2 == 4 && c == 1 + 2, "requests %d: %d %d %d", k, a, b2, c);
        fclose(f);
    }
    remove(logpath);
    anchor_image_destroy(b);
    anchor_prediction_destroy(out);
}

static void test_sigpipe_and_state(void)
{
    /* a program that exits without reading: our 3 MB request hits EPIPE */
    sigset_t before, after, pend;
    sigprocmask(SIG_SETMASK, NULL, &before);
    struct sigaction sa_before, sa_after;
    sigaction(SIGPIPE, NULL, &sa_before);
    anchor_predictor *p = fake("exit-now", 5.0, 0);
    anchor_image *b = make_batch(12, 299, 299, 3, ANCHOR_DTYPE_U8);
    anchor_prediction *out;
    anchor_prediction_create(&out, NULL);
    anchor_error err;
    nanosleep(&(struct timespec){0, 300000000L}, NULL);
    anchor_status st = anchor_predictor_predict(p, b, out, &err);
    CHECKF(st == ANCHOR_ERR_PREDICTOR, "exit-now: %d %s", st, err.message);
    CHECKF(strstr(err.message, "exited with status 0") != NULL, "%s", err.message);
    printf("%-12s -> %s\n", "exit-now", err.message);
    sigprocmask(SIG_SETMASK, NULL, &after);
    sigaction(SIGPIPE, NULL, &sa_after);
    sigpending(&pend);
    CHECK(sigismember(&before, SIGPIPE) == sigismember(&after, SIGPIPE));
    CHECK(sa_before.sa_handler == sa_after.sa_handler);
    CHECK(!sigismember(&pend, SIGPIPE));
    anchor_predictor_destroy(p);
    anchor_image_destroy(b);
    anchor_prediction_destroy(out);
}

static void test_missing_and_stubborn(void)
{
    anchor_predictor *p = NULL;
    anchor_error err;
    /* run without a shell: a missing program is found missing at once, by name */
    CHECK(anchor_predictor_create_command("/nonexistent/dir/predictor --flag", NULL, &p, &err) ==
          ANCHOR_ERR_PREDICTOR && p == NULL);
    CHECKF(strstr(err.message, "/nonexistent/dir/predictor: command not found"), "%s", err.message);
    printf("%-12s -> %s\n", "missing", err.message);
    /* through the shell (a pipeline): sh's own 127 */
    CHECK(anchor_predictor_create_command("/nonexistent/dir/predictor | cat", NULL, &p, &err) == ANCHOR_OK);
    anchor_image *b = make_batch(2, 16, 16, 3, ANCHOR_DTYPE_U8);
    anchor_prediction *out;
    anchor_prediction_create(&out, NULL);
    anchor_status st = anchor_predictor_predict(p, b, out, &err);
    CHECK(st == ANCHOR_ERR_PREDICTOR);
    printf("%-12s -> %s\n", "missing|cat", err.message);
    anchor_predictor_destroy(p);

    /* bad options */
    anchor_pipe_options o;
    anchor_pipe_options_default(&o);
    CHECK(o.timeout_seconds == 300 && o.max_batch == 0);
    o.timeout_seconds = 0;
    CHECK(anchor_predictor_create_command("cat", &o, &p, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(anchor_predictor_create_command("", NULL, &p, &err) == ANCHOR_ERR_INVALID_ARGUMENT);

    /* a program that ignores EOF and SIGTERM: destroy must still end it (SIGKILL) and reap */
    CHECK(anchor_predictor_create_command("trap '' TERM; sleep 1000", NULL, &p, &err) == ANCHOR_OK);
    double t0 = now();
    anchor_predictor_destroy(p);
    double dt = now() - t0;
    CHECKF(dt < 9.0, "destroy took %.1f s", dt);
    anchor_image_destroy(b);
    anchor_prediction_destroy(out);
}

static void test_toy_linear(void)
{
    const char *shared = getenv("ANCHOR_SHARED");
    char path[4096];
    if (!shared) {
        printf("SKIP toy_linear part: ANCHOR_SHARED unset\n");
        return;
    }
    snprintf(path, sizeof path, "%s/fixtures/alibi/case01_chelsea_default/image.png", shared);
    anchor_image *img;
    anchor_error err;
    if (anc_png_load_raw(&img, path, &err)) {
        printf("SKIP toy_linear part: %s\n", err.message);
        return;
    }
    const char *outputs[] = {"f64", "f32", "labels"};
    for (int k = 0; k < 3; k++) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/predictors/toy_linear.py --grid 13 --classes 10 --output %s",
                 shared, outputs[k]);
        anchor_predictor *p;
        CHECK(anchor_predictor_create_command(cmd, NULL, &p, &err) == ANCHOR_OK);
        anchor_prediction *out;
        anchor_prediction_create(&out, NULL);
        anchor_status st = anchor_predictor_predict(p, img, out, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
        if (st == ANCHOR_OK && k == 0) {
            /* expected.json: instance_scores_top3[0] = [8, 0.2576393096628118] */
            CHECK(anchor_prediction_classes(out) == 10);
            CHECKF(anchor_prediction_scores(out)[8] == 0.2576393096628118, "%.17g", anchor_prediction_scores(out)[8]);
        } else if (st == ANCHOR_OK && k == 1) {
            CHECK(anchor_prediction_scores(out)[8] == (double)(float)0.2576393096628118);
        } else if (st == ANCHOR_OK) {
            CHECK(anchor_prediction_labels(out)[0] == 8);
        }
        anchor_predictor_destroy(p);
        anchor_prediction_destroy(out);
    }
    anchor_image_destroy(img);
}

int main(int argc, char **argv)
{
    here = argc > 1 ? argv[1] : "tests/predict";
    test_fake_ok();
    test_max_batch();
    test_toy_linear();
    test_sigpipe_and_state();
    test_missing_and_stubborn();
    expect_failure("crash", ANCHOR_ERR_PREDICTOR, "exited with status 3", "ValueError: boom in the model", 2);
    expect_failure("segv", ANCHOR_ERR_PREDICTOR, "killed by signal 11", "about to die", 2);
    expect_failure("wrong-n", ANCHOR_ERR_PREDICTOR, "answered 3 rows to request 1 of 2 images", NULL, 2);
    expect_failure("wrong-shape", ANCHOR_ERR_PREDICTOR, "shape (2, 3, 1)", NULL, 2);
    expect_failure("int-scores", ANCHOR_ERR_PREDICTOR, "dtype int64 and shape (2, 3)", NULL, 2);
    expect_failure("f16", ANCHOR_ERR_PREDICTOR, "malformed .npy", "'<f2'", 2);
    expect_failure("nan", ANCHOR_ERR_PREDICTOR, "non-finite score (nan) for image 1, class 1", NULL, 3);
    expect_failure("garbage", ANCHOR_ERR_PREDICTOR, "malformed .npy", "magic", 2);
    expect_failure("truncated", ANCHOR_ERR_PREDICTOR, "in the middle of its answer", "oops, cut short", 2);
    expect_failure("early", ANCHOR_ERR_PREDICTOR, "before reading all of it", NULL, 6000); /* 4.6 MB: more than a pipe holds */
    expect_failure("hang", ANCHOR_ERR_TIMEOUT, "did not answer request 1 within 3 s", "thinking forever", 2);
    /* no child left behind */
    int ws;
    CHECK(waitpid(-1, &ws, WNOHANG) < 0 && errno == ECHILD);
    return harness_finish();
}
