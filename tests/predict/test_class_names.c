/* SPDX-License-Identifier: Apache-2.0 */
/* Class names and top-k next to anchor_prediction.
 *  - anchor_class_names_load reads Keras's own imagenet_class_index.json and the plain
 *    1000-line list from ../shared/models the way Python reads them (json.load, and
 *    str.split('\n') without the empty string after the final newline): counts and
 *    names checked at both ends and in the middle; small files cover "\r\n", a missing
 *    final newline, keys out of order, and the malformed JSON that must be refused.
 *  - anchor_prediction_top_k equals np.argsort(-scores, kind="stable") on rows full of
 *    ties (tests/fixtures/api, tools/make_api_fixtures.py), for every k. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anchor/predict.h"
#include "harness.h"

static char tmpdir[] = "/tmp/anchor_class_names_XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static void expect_names(const char *file, const char *text, int64_t count, const char *const *names)
{
    anchor_error err = {0};
    anchor_class_names *cn = NULL;
    CHECKF(anchor_class_names_load(write_tmp(file, text), &cn, &err) == ANCHOR_OK, "%s: %s", file, err.message);
    if (!cn)
        return;
    CHECKF(anchor_class_names_count(cn) == count, "%s: %lld names", file, (long long)anchor_class_names_count(cn));
    for (int64_t i = 0; i < count && i < anchor_class_names_count(cn); i++)
        CHECKF(!strcmp(anchor_class_names_get(cn, i), names[i]), "%s: name %lld is '%s'", file, (long long)i,
               anchor_class_names_get(cn, i));
    CHECK(anchor_class_names_get(cn, -1) == NULL && anchor_class_names_get(cn, count) == NULL);
    anchor_class_names_destroy(cn);
}

static void expect_refused(const char *file, const char *text, anchor_status want, const char *words)
{
    anchor_error err = {0};
    anchor_class_names *cn = (anchor_class_names *)1;
    anchor_status st = anchor_class_names_load(write_tmp(file, text), &cn, &err);
    CHECKF(st == want && !cn, "%s: status %d", file, (int)st);
    CHECKF(strstr(err.message, words) && strstr(err.message, file), "%s: %s", file, err.message);
}

static void test_small_files(void)
{
    static const char *const abc[] = {"cat", "dog", "tiger shark"};
    static const char *const blank[] = {"a", "", "c"};
    expect_names("lines.txt", "cat\ndog\ntiger shark\n", 3, abc);
    expect_names("no_final_newline.txt", "cat\ndog\ntiger shark", 3, abc);
    expect_names("crlf.txt", "cat\r\ndog\r\ntiger shark\r\n", 3, abc);
    expect_names("blank_line.txt", "a\n\nc\n", 3, blank);
    expect_names("keras.json", " {\"2\": [\"n1\", \"tiger shark\"], \"0\": [\"n0\", \"cat\"], \"1\": \"dog\"}", 3, abc);
    expect_refused("dup.json", "{\"0\": [\"n\", \"a\"], \"0\": [\"n\", \"b\"]}", ANCHOR_ERR_FORMAT, "got key '0'");
    expect_refused("range.json", "{\"0\": [\"n\", \"a\"], \"2\": [\"n\", \"b\"]}", ANCHOR_ERR_FORMAT, "keys 0..1");
    expect_refused("number.json", "{\"0\": [\"n\", 5]}", ANCHOR_ERR_FORMAT, "got key '0'");
    expect_refused("broken.json", "{\"0\": [\"n\", \"a\"", ANCHOR_ERR_FORMAT, "not valid JSON");
    anchor_error err = {0};
    anchor_class_names *cn = (anchor_class_names *)1;
    CHECK(anchor_class_names_load("/nonexistent/names.txt", &cn, &err) == ANCHOR_ERR_IO && !cn);
}

static void test_shared_lists(const char *shared)
{
    static const struct {
        const char *file;
        const char *name0, *name500, *name999;
    } lists[] = {{"imagenet_class_index.json", "tench", "cliff_dwelling", "toilet_tissue"},
                 {"imagenet_labels_1000.txt", "tench", "cliff dwelling", "toilet tissue"}};
    for (size_t i = 0; i < 2; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/models/%s", shared, lists[i].file);
        anchor_error err = {0};
        anchor_class_names *cn = NULL;
        CHECKF(anchor_class_names_load(path, &cn, &err) == ANCHOR_OK, "%s", err.message);
        if (!cn)
            continue;
        CHECK(anchor_class_names_count(cn) == 1000);
        CHECKF(!strcmp(anchor_class_names_get(cn, 0), lists[i].name0), "%s", lists[i].file);
        CHECKF(!strcmp(anchor_class_names_get(cn, 500), lists[i].name500), "%s", lists[i].file);
        CHECKF(!strcmp(anchor_class_names_get(cn, 999), lists[i].name999), "%s", lists[i].file);
        anchor_class_names_destroy(cn);
    }
}

static anchor_image *load(const char *name)
{
    char path[4096];
    const char *root = getenv("ANCHOR_FIXTURES");
    snprintf(path, sizeof path, "%s/api/%s.npy", root ? root : "tests/fixtures", name);
    anchor_image *im = NULL;
    anchor_error err = {0};
    CHECKF(anchor_npy_load(path, &im, &err) == ANCHOR_OK, "%s", err.message);
    return im;
}

static void test_top_k(void)
{
    anchor_image *scores = load("topk_scores"), *order = load("topk_order");
    anchor_prediction *p = NULL;
    anchor_error err = {0};
    if (!scores || !order || anchor_prediction_create(&p, &err)) {
        CHECK(0);
        goto done;
    }
    int64_t n = anchor_image_height(scores), L = anchor_image_width(scores); /* (N, L) reads as 1 x N x L x 1 */
    CHECK(anchor_prediction_set_scores(p, n, L, ANCHOR_DTYPE_F64, anchor_image_cdata(scores), &err) == ANCHOR_OK);
    const int64_t *want = anchor_image_cdata(order);
    int64_t top[64];
    for (int64_t row = 0; row < n; row++)
        for (int64_t k = 1; k <= L + 3; k++) {
            int64_t got = anchor_prediction_top_k(p, row, k, top);
            int64_t kk = k < L ? k : L;
            CHECKF(got == kk, "row %lld k %lld: %lld", (long long)row, (long long)k, (long long)got);
            CHECKF(!memcmp(top, want + row * L, (size_t)kk * sizeof *top), "row %lld k %lld differs from NumPy",
                   (long long)row, (long long)k);
        }
    CHECK(anchor_prediction_top_k(p, n, 3, top) == 0 && anchor_prediction_top_k(p, -1, 3, top) == 0);
    CHECK(anchor_prediction_top_k(p, 0, 0, top) == 0);
    int64_t labels[2] = {3, 1};
    CHECK(anchor_prediction_set_labels(p, 2, labels, &err) == ANCHOR_OK);
    CHECK(anchor_prediction_top_k(p, 0, 3, top) == 0); /* labels have no ranking */
done:
    anchor_prediction_destroy(p);
    anchor_image_destroy(scores);
    anchor_image_destroy(order);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_small_files();
    test_top_k();
    const char *shared = getenv("ANCHOR_SHARED");
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/models/imagenet_class_index.json", shared ? shared : "");
    if (shared && access(probe, R_OK) == 0)
        test_shared_lists(shared);
    else
        printf("skipped the shared class lists: %s not found\n", probe);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return harness_finish();
}
