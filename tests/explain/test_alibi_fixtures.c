/* SPDX-License-Identifier: Apache-2.0 */
/* The alibi reference runs (../shared/fixtures/alibi/case*) through the C API, with the
 * toy model ported to C (toy_linear.c). Each case must reproduce alibi's expected.json:
 * feature list, per-prefix precision and coverage (exact doubles), success, instance
 * label, K, raw num_preds, example counts and the batch-size sequence. With the memo off
 * the batches are alibi's, so their CRC-32s must equal the recorded ones too; with the
 * memo on the result must be identical and fewer images reach the model.
 * Usage: test_alibi_fixtures [case-name ...] (default: every case directory). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "anchor/anchor.h"
#include "harness.h"
#include "toy_linear.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct crc_log {
    toy_linear model;
    int answer_labels; /* answer argmax labels instead of scores (toy_linear.py --output labels) */
    double cpu_in_model;
    uint32_t *crc;
    int64_t *n;
    int count, cap;
} crc_log;

static anchor_status logging_predict(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    crc_log *l = user;
    double t0 = cpu_now();
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->crc = realloc(l->crc, (size_t)l->cap * sizeof *l->crc);
        l->n = realloc(l->n, (size_t)l->cap * sizeof *l->n);
    }
    size_t nb = anchor_image_nbytes(batch);
    const unsigned char *p = anchor_image_cdata(batch);
    uLong crc = crc32(0L, Z_NULL, 0);
    while (nb) { /* zlib takes uInt lengths */
        uInt chunk = nb > (1u << 30) ? (1u << 30) : (uInt)nb;
        crc = crc32(crc, p, chunk);
        p += chunk;
        nb -= chunk;
    }
    l->crc[l->count] = (uint32_t)crc;
    l->n[l->count++] = anchor_image_count(batch);
    anchor_status st;
    if (l->answer_labels) {
        int64_t n = anchor_image_count(batch), L = l->model.classes;
        double *sc = malloc((size_t)(n ? n : 1) * (size_t)L * sizeof *sc);
        int64_t *lab = malloc((size_t)(n ? n : 1) * sizeof *lab);
        toy_linear_scores(&l->model, batch, sc);
        for (int64_t b = 0; b < n; b++) {
            lab[b] = 0;
            for (int64_t k = 1; k < L; k++)
                lab[b] = sc[b * L + k] > sc[b * L + lab[b]] ? k : lab[b];
        }
        st = anchor_prediction_set_labels(out, n, lab, err);
        free(sc);
        free(lab);
    } else
        st = toy_linear_predict(&l->model, batch, out, err);
    l->cpu_in_model += cpu_now() - t0;
    return st;
}

static cJSON *load_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

static double num(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key)->valuedouble; }

typedef struct run_result {
    anchor_explanation *e;
    int anchor_png_diff; /* bytes of our anchor image that differ from anchor.png, -1 unknown */
    double cpu_total;
    crc_log log;
} run_result;

/* np.random.get_state() right after np.random.seed(seed), with a cached normal that the
 * search must carry through untouched. */
static void seeded_state(anchor_mt19937_state *s, uint32_t seed)
{
    s->key[0] = seed;
    for (uint32_t i = 1; i < ANCHOR_MT19937_WORDS; i++)
        s->key[i] = 1812433253u * (s->key[i - 1] ^ (s->key[i - 1] >> 30)) + i;
    s->pos = ANCHOR_MT19937_WORDS;
    s->has_gauss = true;
    s->cached_gaussian = -0.125;
}

static int run_case(const char *dir, int memoize, int answer_labels, run_result *r, const cJSON *params)
{
    char path[4096];
    anchor_error err = {0};
    anchor_image *image = NULL, *segments = NULL, *bg = NULL;
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(params, "image");
    snprintf(path, sizeof path, "%s/%s", dir, cJSON_GetObjectItemCaseSensitive(img, "file")->valuestring);
    if (anchor_image_load_any(path, ANCHOR_COLOR_ASIS, &image, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        return -1;
    }
    snprintf(path, sizeof path, "%s/segments.npy", dir);
    if (anchor_npy_load(path, &segments, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        anchor_image_destroy(image);
        return -1;
    }
    const cJSON *bgj = cJSON_GetObjectItemCaseSensitive(params, "backgrounds");
    if (bgj && !cJSON_IsNull(bgj)) {
        snprintf(path, sizeof path, "%s/%s", dir, cJSON_GetObjectItemCaseSensitive(bgj, "file")->valuestring);
        if (anchor_npy_load(path, &bg, &err)) {
            fprintf(stderr, "%s: %s\n", path, err.message);
            return -1;
        }
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(params, "explain");
    anchor_explain_params p;
    anchor_explain_params_default(&p);
    p.seed = (uint32_t)num(params, "seed");
    p.p_sample = num(ex, "p_sample");
    p.threshold = num(ex, "threshold");
    p.delta = num(ex, "delta");
    p.tau = num(ex, "tau");
    p.batch_size = (int64_t)num(ex, "batch_size");
    p.coverage_samples = (int64_t)num(ex, "coverage_samples");
    p.beam_size = (int64_t)num(ex, "beam_size");
    p.stop_on_first = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ex, "stop_on_first"));
    const cJSON *mas = cJSON_GetObjectItemCaseSensitive(ex, "max_anchor_size");
    p.max_anchor_size = cJSON_IsNull(mas) ? 0 : (int64_t)mas->valuedouble;
    p.min_samples_start = (int64_t)num(ex, "min_samples_start");
    p.n_covered_ex = (int64_t)num(ex, "n_covered_ex");
    p.binary_cache_size = (int64_t)num(ex, "binary_cache_size");
    p.cache_margin = (int64_t)num(ex, "cache_margin");
    p.epsilon_stop = num(ex, "epsilon_stop");
    p.memoize = memoize;
    anchor_mt19937_state start;
    if (memoize && !answer_labels) {
        seeded_state(&start, p.seed);
        p.seed = 12345; /* must be ignored */
        p.rng_state = &start;
    }
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(params, "predictor");
    memset(&r->log, 0, sizeof r->log);
    r->log.answer_labels = answer_labels;
    r->log.model.grid = (int)num(pr, "grid");
    r->log.model.classes = (int)num(pr, "classes");
    r->log.model.gain = num(pr, "gain");
    r->log.model.centre = num(pr, "centre");
    r->log.model.bias_scale = num(pr, "bias_scale");
    anchor_predictor *pred = NULL;
    anchor_predictor_create_callback(logging_predict, &r->log, NULL, &pred, &err);
    double t0 = cpu_now();
    anchor_status st = anchor_explain(image, segments, bg, pred, &p, &r->e, &err);
    r->cpu_total = cpu_now() - t0;
    if (st)
        fprintf(stderr, "%s: anchor_explain failed: %s\n", dir, err.message);
    r->anchor_png_diff = -1;
    anchor_image *mine = NULL, *theirs = NULL;
    snprintf(path, sizeof path, "%s/anchor.png", dir);
    if (!st && !anchor_explanation_anchor_image(r->e, image, &mine, &err) &&
        !anchor_image_load_any(path, ANCHOR_COLOR_ASIS, &theirs, &err) &&
        anchor_image_nbytes(mine) == anchor_image_nbytes(theirs)) {
        r->anchor_png_diff = 0;
        const uint8_t *a = anchor_image_cdata(mine), *b = anchor_image_cdata(theirs);
        for (size_t i = 0; i < anchor_image_nbytes(mine); i++)
            r->anchor_png_diff += a[i] != b[i];
    }
    anchor_image_destroy(mine);
    anchor_image_destroy(theirs);
    anchor_predictor_destroy(pred);
    anchor_image_destroy(image);
    anchor_image_destroy(segments);
    anchor_image_destroy(bg);
    return st ? -1 : 0;
}

#define EXPECT(cond, ...)                         \
    do {                                          \
        CHECKF(cond, __VA_ARGS__);                \
        if (!(cond))                              \
            bad++;                                \
    } while (0)

/* The generator's final state against rng_after.json; `given` = the run started from a
 * state with a cached normal (seeded_state). */
static int compare_rng(const char *name, const anchor_explanation *e, const cJSON *after, int given)
{
    int bad = 0;
    anchor_mt19937_state s;
    anchor_explanation_rng_state(e, &s);
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(after, "key");
    EXPECT(cJSON_GetArraySize(key) == ANCHOR_MT19937_WORDS, "%s: rng_after.json key has %d words", name,
           cJSON_GetArraySize(key));
    int first = -1;
    for (int i = 0; i < ANCHOR_MT19937_WORDS && i < cJSON_GetArraySize(key); i++)
        if (s.key[i] != (uint32_t)cJSON_GetArrayItem(key, i)->valuedouble) {
            first = i;
            break;
        }
    EXPECT(first < 0, "%s: generator key differs from rng_after.json at word %d", name, first);
    EXPECT(s.pos == (int32_t)num(after, "pos"), "%s: generator pos %d, alibi left %d", name, (int)s.pos,
           (int)num(after, "pos"));
    EXPECT(s.has_gauss == (given ? true : num(after, "has_gauss") != 0), "%s: has_gauss %d", name, s.has_gauss);
    EXPECT(s.cached_gaussian == (given ? -0.125 : num(after, "cached_gaussian")), "%s: cached_gaussian %g", name,
           s.cached_gaussian);
    return bad;
}

/* Compare one run with expected.json; returns the number of mismatches. */
static int compare(const char *name, const anchor_explanation *e, const cJSON *exp)
{
    int bad = 0;
    EXPECT(anchor_explanation_instance_label(e) == (int64_t)num(exp, "instance_label"), "%s: instance label %lld",
           name, (long long)anchor_explanation_instance_label(e));
    EXPECT(anchor_explanation_n_segments(e) == (int)num(exp, "K"), "%s: K", name);
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(exp, "feature");
    const cJSON *prec = cJSON_GetObjectItemCaseSensitive(exp, "precision_per_prefix");
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(exp, "coverage_per_prefix");
    const cJSON *exs = cJSON_GetObjectItemCaseSensitive(exp, "examples_per_prefix");
    int n = cJSON_GetArraySize(feat);
    EXPECT(anchor_explanation_size(e) == n, "%s: anchor size %d, expected %d", name, anchor_explanation_size(e), n);
    for (int i = 0; i < n && i < anchor_explanation_size(e); i++) {
        EXPECT(anchor_explanation_feature(e, i) == cJSON_GetArrayItem(feat, i)->valueint, "%s: feature %d = %d", name,
               i, anchor_explanation_feature(e, i));
        EXPECT(anchor_explanation_prefix_precision(e, i) == cJSON_GetArrayItem(prec, i)->valuedouble,
               "%s: precision %d = %.17g", name, i, anchor_explanation_prefix_precision(e, i));
        EXPECT(anchor_explanation_prefix_coverage(e, i) == cJSON_GetArrayItem(cov, i)->valuedouble,
               "%s: coverage %d = %.17g", name, i, anchor_explanation_prefix_coverage(e, i));
        const cJSON *ei = cJSON_GetArrayItem(exs, i);
        const anchor_image *t = anchor_explanation_examples(e, i, 1), *f = anchor_explanation_examples(e, i, 0);
        EXPECT((t ? anchor_image_count(t) : 0) == (int64_t)num(ei, "covered_true"), "%s: covered_true %d", name, i);
        EXPECT((f ? anchor_image_count(f) : 0) == (int64_t)num(ei, "covered_false"), "%s: covered_false %d", name, i);
    }
    EXPECT(anchor_explanation_precision(e) == num(exp, "precision"), "%s: precision %.17g", name,
           anchor_explanation_precision(e));
    EXPECT(anchor_explanation_coverage(e) == num(exp, "coverage"), "%s: coverage %.17g", name,
           anchor_explanation_coverage(e));
    EXPECT(anchor_explanation_success(e) == cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exp, "success")),
           "%s: success", name);
    EXPECT(anchor_explanation_num_preds(e) == (int64_t)num(exp, "raw_num_preds"), "%s: num_preds %lld", name,
           (long long)anchor_explanation_num_preds(e));
    const cJSON *bs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(exp, "predictor"), "batch_sizes");
    int64_t nb;
    const int64_t *sizes = anchor_explanation_batch_sizes(e, &nb);
    EXPECT(nb == cJSON_GetArraySize(bs), "%s: %lld batches, expected %d", name, (long long)nb, cJSON_GetArraySize(bs));
    for (int i = 0; i < nb && i < cJSON_GetArraySize(bs); i++)
        if (sizes[i] != cJSON_GetArrayItem(bs, i)->valueint) {
            EXPECT(0, "%s: batch %d has %lld images, expected %d", name, i, (long long)sizes[i],
                   cJSON_GetArrayItem(bs, i)->valueint);
            break;
        }
    return bad;
}

static int test_case(const char *shared, const char *name)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/fixtures/alibi/%s", shared, name);
    snprintf(path, sizeof path, "%s/params.json", dir);
    cJSON *params = load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    cJSON *exp = load_json(path);
    snprintf(path, sizeof path, "%s/rng_after.json", dir);
    cJSON *after = load_json(path);
    CHECKF(params && exp && after, "%s: cannot read params.json / expected.json / rng_after.json", name);
    if (!params || !exp || !after) {
        cJSON_Delete(params), cJSON_Delete(exp), cJSON_Delete(after);
        return 1;
    }
    int bad = 0;
    run_result off, on;
    CHECKF(run_case(dir, 0, 0, &off, params) == 0, "%s: memo-off run", name);
    if (off.e) {
        bad += compare(name, off.e, exp);
        bad += compare_rng(name, off.e, after, 0);
        /* CRCs: the memo-off batches are alibi's batches */
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(exp, "predictor"), "calls");
        int nc = cJSON_GetArraySize(calls), first_bad = -1;
        for (int i = 0; i < nc && i < off.log.count; i++) {
            uint32_t want = (uint32_t)strtoul(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(calls, i), "crc32")->valuestring, NULL, 16);
            if (want != off.log.crc[i]) {
                first_bad = i;
                break;
            }
        }
        CHECKF(first_bad < 0 && off.log.count == nc, "%s: batch CRCs: first divergence at call %d of %d (made %d)",
               name, first_bad, nc, off.log.count);
        if (first_bad >= 0 || off.log.count != nc)
            bad++;
    }
    CHECKF(run_case(dir, 1, 0, &on, params) == 0, "%s: memo-on run", name);
    if (on.e) {
        bad += compare(name, on.e, exp);
        bad += compare_rng(name, on.e, after, 1);
        CHECKF(on.anchor_png_diff == 0, "%s: anchor image differs from anchor.png in %d bytes", name,
               on.anchor_png_diff);
        bad += on.anchor_png_diff != 0;
        anchor_explain_stats s;
        anchor_explanation_stats(on.e, &s);
        CHECKF(s.images_predicted <= s.images_sampled, "%s: memo predicted %lld of %lld", name,
               (long long)s.images_predicted, (long long)s.images_sampled);
        const cJSON *tm = cJSON_GetObjectItemCaseSensitive(exp, "timing");
        double alibi_overhead = num(tm, "explain_seconds") - num(tm, "predictor_seconds");
        double ours = on.cpu_total - on.log.cpu_in_model;
        printf("%s: memo sends %lld of %lld images in %lld calls; wall %.3f s total, %.3f s in the model; "
               "explainer CPU %.4f s = 1/%.0f of alibi's overhead (%.3f s)\n",
               name, (long long)s.images_predicted, (long long)s.images_sampled, (long long)s.model_calls,
               s.seconds_total, s.seconds_predictor, ours, alibi_overhead / ours, alibi_overhead);
    }
    /* a predictor answering labels gives the same explanation (small K: quick) */
    if (num(exp, "K") <= 15) {
        run_result lab;
        CHECKF(run_case(dir, 1, 1, &lab, params) == 0, "%s: labels run", name);
        if (lab.e) {
            bad += compare(name, lab.e, exp);
            bad += compare_rng(name, lab.e, after, 0);
        }
        anchor_explanation_destroy(lab.e);
        free(lab.log.crc), free(lab.log.n);
    }
    printf("%s: %s\n", name, bad ? "MISMATCH" : "exact match");
    anchor_explanation_destroy(off.e);
    anchor_explanation_destroy(on.e);
    free(off.log.crc), free(off.log.n), free(on.log.crc), free(on.log.n);
    cJSON_Delete(params);
    cJSON_Delete(exp);
    cJSON_Delete(after);
    return bad;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    const char *shared = harness_shared_or_skip();
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            test_case(shared, argv[i]);
        return harness_finish();
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fixtures/alibi", shared);
    DIR *d = opendir(dir);
    CHECKF(d != NULL, "cannot open %s", dir);
    if (!d)
        return harness_finish();
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256)
        if (!strncmp(de->d_name, "case", 4))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    CHECKF(n >= 10, "expected at least 10 cases, found %d", n);
    for (int i = 0; i < n; i++) {
        test_case(shared, names[i]);
        free(names[i]);
    }
    return harness_finish();
}
