/* SPDX-License-Identifier: Apache-2.0 */
/* Known-answer tests of anchor_explain with C callbacks on a synthetic 32 x 64 image cut
 * into 8 square superpixels (2 rows x 4 columns of 16 x 16). Pixels alternate between
 * two values inside each superpixel, so a perturbed superpixel (segment mean or a flat
 * background) is told apart from a kept one by looking at one pixel.
 * The main classifier says class 1 iff superpixels 2 and 5 are both kept: the anchor must
 * be {2, 5}. Variants: empty anchor, fallback, beam, max_anchor_size, backgrounds, gray,
 * float32, a label map that is not 0..K-1, labels and one-column answers, the memo, and
 * every input check. */
#include <math.h>
#include <string.h>

#include "anchor/anchor.h"
#include "harness.h"

#define H 32
#define W 64
#define K 8

typedef struct model {
    const anchor_image *original;
    int kind;  /* 0: scores, 1: labels, 2: one column, 3: always the same, 4: parity, 5: fail, 6: tied scores */
    int calls; /* callbacks made */
    int64_t images;
} model;

static int seg_of(int y, int x) { return (y / 16) * 4 + x / 16; }

static anchor_image *make_image(int channels, anchor_dtype dtype)
{
    anchor_image *img;
    anchor_image_create(1, H, W, channels, dtype, &img, NULL);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < channels; c++) {
                int v = ((x + y) & 1) ? 200 - 20 * c : 10 + seg_of(y, x) + c;
                size_t i = ((size_t)y * W + x) * channels + c;
                if (dtype == ANCHOR_DTYPE_U8)
                    ((uint8_t *)anchor_image_data(img))[i] = (uint8_t)v;
                else
                    ((float *)anchor_image_data(img))[i] = (float)v / 255.0f;
            }
    return img;
}

static anchor_image *make_labels(int scale, int offset)
{
    anchor_image *lab;
    anchor_image_create(1, H, W, 1, ANCHOR_DTYPE_I32, &lab, NULL);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ((int32_t *)anchor_image_data(lab))[y * W + x] = seg_of(y, x) * scale + offset;
    return lab;
}

/* Is superpixel s of image b of the batch unchanged? (its top-left pixel, every channel) */
static int kept(const model *m, const anchor_image *batch, int64_t b, int s)
{
    int64_t c = anchor_image_channels(batch);
    size_t es = anchor_dtype_size(anchor_image_dtype(batch));
    size_t px = ((size_t)(s / 4) * 16 * W + (size_t)(s % 4) * 16) * (size_t)c * es;
    size_t img_bytes = (size_t)H * W * (size_t)c * es;
    const uint8_t *a = (const uint8_t *)anchor_image_cdata(batch) + (size_t)b * img_bytes + px;
    const uint8_t *o = (const uint8_t *)anchor_image_cdata(m->original) + px;
    return !memcmp(a, o, (size_t)c * es);
}

static anchor_status predict(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    model *m = user;
    m->calls++;
    int64_t n = anchor_image_count(batch);
    m->images += n;
    if (m->kind == 5)
        return anchor_error_set(err, ANCHOR_ERR_PREDICTOR, "model exploded");
    double *s = malloc((size_t)(n ? n : 1) * 2 * sizeof *s);
    int64_t *l = malloc((size_t)(n ? n : 1) * sizeof *l);
    for (int64_t b = 0; b < n; b++) {
        int yes = kept(m, batch, b, 2) && kept(m, batch, b, 5);
        if (m->kind == 3)
            yes = 1;
        if (m->kind == 4) { /* parity of the kept superpixels: no small anchor decides it */
            int n_kept = 0;
            for (int q = 0; q < K; q++)
                n_kept += kept(m, batch, b, q);
            yes = n_kept % 2 == 0;
        }
        l[b] = yes ? 1 : 0;
        s[2 * b] = yes ? 0.2 : 0.8;
        s[2 * b + 1] = yes ? 0.8 : 0.2;
        if (m->kind == 6 && yes) /* a tie: argmax takes the first index, class 0 */
            s[2 * b] = s[2 * b + 1] = 0.5;
    }
    anchor_status st;
    if (m->kind == 1)
        st = anchor_prediction_set_labels(out, n, l, err);
    else if (m->kind == 2) {
        for (int64_t b = 0; b < n; b++)
            s[b] = (double)l[b];
        st = anchor_prediction_set_scores(out, n, 1, ANCHOR_DTYPE_F64, s, err);
    } else
        st = anchor_prediction_set_scores(out, n, 2, ANCHOR_DTYPE_F64, s, err);
    free(s);
    free(l);
    return st;
}

typedef struct logbuf {
    int lines, warnings;
} logbuf;

static void log_line(void *user, const char *line)
{
    logbuf *b = user;
    b->lines++;
    b->warnings += strstr(line, "warning") != NULL;
}

static anchor_status explain(const anchor_image *img, const anchor_image *lab, const anchor_image *bg, int kind,
                             const anchor_explain_params *p, anchor_explanation **e, model *m, anchor_error *err)
{
    memset(m, 0, sizeof *m);
    m->original = img;
    m->kind = kind;
    anchor_predictor *pred;
    anchor_predictor_create_callback(predict, m, NULL, &pred, err);
    anchor_status st = anchor_explain(img, lab, bg, pred, p, e, err);
    anchor_predictor_destroy(pred);
    return st;
}

static int has_features(const anchor_explanation *e, int a, int b)
{
    if (anchor_explanation_size(e) != 2)
        return 0;
    int f0 = anchor_explanation_feature(e, 0), f1 = anchor_explanation_feature(e, 1);
    return (f0 == a && f1 == b) || (f0 == b && f1 == a);
}

static void expect_2_5(const char *what, const anchor_image *img, const anchor_image *lab, const anchor_image *bg,
                       int kind, const anchor_explain_params *p)
{
    anchor_explanation *e = NULL;
    anchor_error err = {0};
    model m;
    anchor_status st = explain(img, lab, bg, kind, p, &e, &m, &err);
    CHECKF(st == ANCHOR_OK, "%s: %s", what, err.message);
    if (st)
        return;
    CHECKF(has_features(e, 2, 5), "%s: anchor of size %d, first feature %d", what, anchor_explanation_size(e),
           anchor_explanation_feature(e, 0));
    CHECKF(anchor_explanation_status(e) == ANCHOR_RESULT_FOUND, "%s: status %s", what,
           anchor_result_status_name(anchor_explanation_status(e)));
    CHECKF(anchor_explanation_precision(e) == 1.0, "%s: precision %g", what, anchor_explanation_precision(e));
    CHECK(anchor_explanation_success(e) == 1);
    CHECK(anchor_explanation_instance_label(e) == 1);
    double cov = anchor_explanation_coverage(e);
    CHECKF(cov > 0.2 && cov < 0.3, "%s: coverage %g (about 1/4 expected)", what, cov);
    /* examples of the full anchor keep superpixels 2 and 5 */
    const anchor_image *ex = anchor_explanation_examples(e, 1, 1);
    CHECKF(ex && anchor_image_count(ex) > 0, "%s: no covered_true examples", what);
    if (ex)
        for (int64_t b = 0; b < anchor_image_count(ex); b++)
            CHECK(kept(&m, ex, b, 2) && kept(&m, ex, b, 5));
    CHECK(anchor_explanation_examples(e, 1, 0) == NULL); /* precision 1: nothing lost the label */
    /* the model never saw more distinct images than there are masks (x backgrounds) */
    anchor_explain_stats s;
    anchor_explanation_stats(e, &s);
    int64_t distinct = (int64_t)(1 << K) * (bg ? anchor_image_count(bg) : 1);
    if (p->memoize)
        CHECKF(s.images_predicted <= distinct && s.images_predicted < s.images_sampled,
               "%s: %lld images predicted of %lld sampled", what, (long long)s.images_predicted,
               (long long)s.images_sampled);
    CHECK(m.images == s.images_predicted);
    CHECK(m.calls == s.model_calls);
    int64_t nb, sum = 0;
    const int64_t *sizes = anchor_explanation_batch_sizes(e, &nb);
    for (int64_t i = 0; i < nb; i++)
        sum += sizes[i];
    CHECK(sum == s.images_sampled && nb == s.predictor_calls && sizes[0] == 1 && sizes[1] == p->min_samples_start);
    anchor_explanation_destroy(e);
}

static void test_known_answers(void)
{
    anchor_image *img = make_image(3, ANCHOR_DTYPE_U8), *lab = make_labels(1, 0);
    anchor_explain_params p;
    anchor_explain_params_default(&p);
    p.seed = 7;
    expect_2_5("rgb uint8, scores", img, lab, NULL, 0, &p);
    expect_2_5("labels predictor", img, lab, NULL, 1, &p);
    expect_2_5("one-column scores count as labels", img, lab, NULL, 2, &p);
    p.beam_size = 3;
    expect_2_5("beam 3", img, lab, NULL, 0, &p);
    p.beam_size = 1;
    p.p_sample = 0.3;
    expect_2_5("p_sample 0.3", img, lab, NULL, 0, &p);
    p.p_sample = 0.5;

    anchor_image *bg;
    anchor_image_create(2, H, W, 3, ANCHOR_DTYPE_U8, &bg, NULL);
    memset(anchor_image_data(bg), 255, (size_t)H * W * 3);
    memset((uint8_t *)anchor_image_data(bg) + (size_t)H * W * 3, 77, (size_t)H * W * 3);
    expect_2_5("backgrounds", img, lab, bg, 0, &p);

    anchor_image *gray = make_image(1, ANCHOR_DTYPE_U8);
    expect_2_5("gray HxWx1", gray, lab, NULL, 0, &p);
    anchor_image *f32 = make_image(3, ANCHOR_DTYPE_F32);
    expect_2_5("float32", f32, lab, NULL, 0, &p);
    expect_2_5("float32 with uint8 backgrounds", f32, lab, bg, 0, &p);

    /* labels 10, 20, ..., 80: remapped by sorted value, with a warning */
    anchor_image *lab10 = make_labels(10, 10);
    logbuf lb = {0};
    p.log = log_line;
    p.log_user = &lb;
    anchor_explanation *e;
    anchor_error err = {0};
    model m;
    CHECK(explain(img, lab10, NULL, 0, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(has_features(e, 2, 5));
    CHECK(anchor_explanation_labels_remapped(e) == 1 && anchor_explanation_n_segments(e) == K);
    CHECK(lb.warnings == 1);
    CHECK(((const int32_t *)anchor_image_cdata(anchor_explanation_segments(e)))[W - 1] == 3);
    anchor_explanation_destroy(e);
    p.log = NULL;

    /* the memo changes nothing but the model's work (parity model, sizes <= 4) */
    anchor_explanation *on, *off;
    model mon, moff;
    p.memoize = 1;
    p.max_anchor_size = 4;
    CHECK(explain(img, lab, NULL, 4, &p, &on, &mon, &err) == ANCHOR_OK);
    p.memoize = 0;
    CHECK(explain(img, lab, NULL, 4, &p, &off, &moff, &err) == ANCHOR_OK);
    p.memoize = 1;
    p.max_anchor_size = 0;
    CHECK(anchor_explanation_size(on) == anchor_explanation_size(off));
    for (int i = 0; i < anchor_explanation_size(on); i++) {
        CHECK(anchor_explanation_feature(on, i) == anchor_explanation_feature(off, i));
        CHECK(anchor_explanation_prefix_precision(on, i) == anchor_explanation_prefix_precision(off, i));
        CHECK(anchor_explanation_prefix_coverage(on, i) == anchor_explanation_prefix_coverage(off, i));
    }
    int64_t n_on, n_off;
    const int64_t *b_on = anchor_explanation_batch_sizes(on, &n_on), *b_off = anchor_explanation_batch_sizes(off, &n_off);
    CHECK(n_on == n_off && !memcmp(b_on, b_off, (size_t)n_on * sizeof *b_on));
    anchor_explain_stats s_on, s_off;
    anchor_explanation_stats(on, &s_on);
    anchor_explanation_stats(off, &s_off);
    CHECK(s_off.images_predicted == s_off.images_sampled && moff.images == s_off.images_sampled);
    CHECKF(s_on.images_predicted < s_on.images_sampled && s_on.images_predicted <= 256,
           "memo: %lld predicted of %lld", (long long)s_on.images_predicted, (long long)s_on.images_sampled);
    CHECK(s_on.images_sampled == s_off.images_sampled);
    printf("memo: %lld of %lld images sent to the model\n", (long long)s_on.images_predicted,
           (long long)s_on.images_sampled);
    /* the parity model has no anchor of size <= 4: best-of-size fallback */
    CHECKF(anchor_explanation_status(on) == ANCHOR_RESULT_BELOW_THRESHOLD, "parity: status %s",
           anchor_result_status_name(anchor_explanation_status(on)));
    CHECK(anchor_explanation_success(on) == 0);
    CHECK(anchor_explanation_num_preds(on) == p.batch_size * p.binary_cache_size);
    anchor_explanation_destroy(on);
    anchor_explanation_destroy(off);

    /* a constant model: the empty anchor */
    CHECK(explain(img, lab, NULL, 3, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(anchor_explanation_status(e) == ANCHOR_RESULT_EMPTY_ANCHOR);
    CHECK(anchor_explanation_size(e) == 0 && anchor_explanation_success(e) == 1);
    CHECK(anchor_explanation_precision(e) == 1.0 && anchor_explanation_coverage(e) == 1.0);
    CHECK(anchor_explanation_num_preds(e) == 100);
    int64_t nb;
    anchor_explanation_batch_sizes(e, &nb);
    CHECK(nb == 2);
    anchor_image *anchor_img;
    CHECK(anchor_explanation_anchor_image(e, img, &anchor_img, &err) == ANCHOR_OK);
    int nonzero = 0;
    for (size_t i = 0; i < anchor_image_nbytes(anchor_img); i++)
        nonzero += ((const uint8_t *)anchor_image_cdata(anchor_img))[i] != 0;
    CHECK(nonzero == 0);
    anchor_image_destroy(anchor_img);
    anchor_explanation_destroy(e);

    /* tied scores on the image: its label is class 0 (first index), so samples that keep
     * 2 and 5 (tie, class 0) agree and the others (class 0 outright) agree as well */
    CHECK(explain(img, lab, NULL, 6, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(anchor_explanation_instance_label(e) == 0);
    CHECK(anchor_explanation_status(e) == ANCHOR_RESULT_EMPTY_ANCHOR);
    anchor_explanation_destroy(e);

    /* max_anchor_size 1: {2, 5} is out of reach; fallback to one of them */
    p.max_anchor_size = 1;
    CHECK(explain(img, lab, NULL, 0, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(anchor_explanation_status(e) == ANCHOR_RESULT_BELOW_THRESHOLD);
    CHECK(anchor_explanation_size(e) == 1);
    int f = anchor_explanation_feature(e, 0);
    CHECKF(f == 2 || f == 5, "max_anchor_size 1: feature %d", f);
    anchor_explanation_destroy(e);
    p.max_anchor_size = 0;

    /* the anchor image: superpixels 2 and 5 stretched to 0..255, black elsewhere */
    CHECK(explain(img, lab, NULL, 0, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(anchor_explanation_anchor_image(e, img, &anchor_img, &err) == ANCHOR_OK);
    const uint8_t *a = anchor_image_cdata(anchor_img), *o = anchor_image_cdata(img);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * W + x) * 3 + c;
                int s = seg_of(y, x);
                /* min 10, max 200: (v - 10) / 190 * 255, truncated */
                int want = (s == 2 || s == 5) ? (int)((double)(o[i] - 10) / 190.0 * 255.0) : 0;
                bad += a[i] != want;
            }
    CHECKF(bad == 0, "anchor image: %d pixels differ", bad);
    anchor_image_destroy(anchor_img);
    anchor_explanation_destroy(e);

    /* verbose trace through the log callback; stop_on_first with a wider beam */
    logbuf vb = {0};
    p.verbose = 1;
    p.log = log_line;
    p.log_user = &vb;
    p.beam_size = 2;
    p.stop_on_first = 1;
    CHECK(explain(img, lab, NULL, 0, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(has_features(e, 2, 5));
    CHECKF(vb.lines > 3 && vb.warnings == 0, "verbose: %d lines, %d warnings", vb.lines, vb.warnings);
    anchor_explanation_destroy(e);
    p.verbose = 0;
    p.log = NULL;
    p.beam_size = 1;
    p.stop_on_first = 0;

    /* the same seed gives the same answer */
    anchor_explanation *e2;
    CHECK(explain(img, lab, NULL, 4, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(explain(img, lab, NULL, 4, &p, &e2, &m, &err) == ANCHOR_OK);
    CHECK(anchor_explanation_size(e) == anchor_explanation_size(e2) &&
          anchor_explanation_precision(e) == anchor_explanation_precision(e2) &&
          anchor_explanation_coverage(e) == anchor_explanation_coverage(e2));
    anchor_explanation_destroy(e);
    anchor_explanation_destroy(e2);

    /* a huge binary cache is not allocated up front */
    p.binary_cache_size = 1000000000;
    p.batch_size = 1000;
    CHECK(explain(img, lab, NULL, 0, &p, &e, &m, &err) == ANCHOR_OK);
    CHECK(has_features(e, 2, 5));
    CHECK(anchor_explanation_num_preds(e) == 1000LL * 1000000000LL);
    anchor_explanation_destroy(e);

    anchor_image_destroy(img);
    anchor_image_destroy(lab);
    anchor_image_destroy(bg);
    anchor_image_destroy(gray);
    anchor_image_destroy(f32);
    anchor_image_destroy(lab10);
}

static void expect_bad(const char *what, anchor_status want, const char *needle, const anchor_image *img,
                       const anchor_image *lab, const anchor_image *bg, int kind, const anchor_explain_params *p)
{
    anchor_explanation *e = (anchor_explanation *)1;
    anchor_error err = {0};
    model m;
    anchor_status st = explain(img, lab, bg, kind, p, &e, &m, &err);
    CHECKF(st == want && e == NULL && strstr(err.message, needle), "%s: status %d, message '%s'", what, st,
           err.message);
}

static void test_bad_inputs(void)
{
    anchor_image *img = make_image(3, ANCHOR_DTYPE_U8), *lab = make_labels(1, 0);
    anchor_explain_params p;
#define BAD_PARAM(field, value, needle)                                                  \
    do {                                                                                 \
        anchor_explain_params_default(&p);                                               \
        p.field = value;                                                                 \
        expect_bad(#field, ANCHOR_ERR_INVALID_ARGUMENT, needle, img, lab, NULL, 0, &p);  \
    } while (0)
    BAD_PARAM(threshold, 0.0, "threshold");
    BAD_PARAM(threshold, 1.5, "threshold");
    BAD_PARAM(threshold, NAN, "threshold");
    BAD_PARAM(p_sample, -0.1, "p_sample");
    BAD_PARAM(p_sample, 1.01, "p_sample");
    BAD_PARAM(delta, 0.0, "delta");
    BAD_PARAM(delta, 1.0, "delta");
    BAD_PARAM(tau, 0.0, "tau");
    BAD_PARAM(batch_size, 0, "batch_size");
    BAD_PARAM(beam_size, 0, "beam_size");
    BAD_PARAM(coverage_samples, -5, "coverage_samples");
    BAD_PARAM(min_samples_start, 0, "min_samples_start");
    BAD_PARAM(n_covered_ex, -1, "n_covered_ex");
    BAD_PARAM(binary_cache_size, 0, "binary_cache_size");
    BAD_PARAM(cache_margin, -1, "cache_margin");
    BAD_PARAM(max_anchor_size, -1, "max_anchor_size");
    anchor_explain_params_default(&p);
    CHECK(anchor_explain_params_validate(&p, NULL) == ANCHOR_OK);

    anchor_image *lab_small;
    anchor_image_create(1, H, W - 1, 1, ANCHOR_DTYPE_I32, &lab_small, NULL);
    expect_bad("label map shape", ANCHOR_ERR_INVALID_ARGUMENT, "label map", img, lab_small, NULL, 0, &p);
    anchor_image *bg_bad;
    anchor_image_create(2, H, W, 1, ANCHOR_DTYPE_U8, &bg_bad, NULL);
    expect_bad("background shape", ANCHOR_ERR_INVALID_ARGUMENT, "background", img, lab, bg_bad, 0, &p);
    anchor_image *bg_f64;
    anchor_image_create(2, H, W, 3, ANCHOR_DTYPE_F64, &bg_f64, NULL);
    expect_bad("background dtype", ANCHOR_ERR_INVALID_ARGUMENT, "background", img, lab, bg_f64, 0, &p);
    anchor_image *img_i32;
    anchor_image_create(1, H, W, 3, ANCHOR_DTYPE_I32, &img_i32, NULL);
    expect_bad("image dtype", ANCHOR_ERR_UNSUPPORTED, "uint8 or float32", img_i32, lab, NULL, 0, &p);
    anchor_image *lab_f32;
    anchor_image_create(1, H, W, 1, ANCHOR_DTYPE_F32, &lab_f32, NULL);
    expect_bad("label map dtype", ANCHOR_ERR_INVALID_ARGUMENT, "integer", img, lab_f32, NULL, 0, &p);
    expect_bad("predictor failure", ANCHOR_ERR_PREDICTOR, "model exploded", img, lab, NULL, 5, &p);
    expect_bad("predictor failure context", ANCHOR_ERR_PREDICTOR, "predictor call 1", img, lab, NULL, 5, &p);
    /* more than ANCHOR_MAX_SEGMENTS labels */
    anchor_image *big_img, *big_lab;
    anchor_image_create(1, 300, 300, 1, ANCHOR_DTYPE_U8, &big_img, NULL);
    anchor_image_create(1, 300, 300, 1, ANCHOR_DTYPE_I32, &big_lab, NULL);
    for (int i = 0; i < 300 * 300; i++)
        ((int32_t *)anchor_image_data(big_lab))[i] = i;
    expect_bad("too many segments", ANCHOR_ERR_LIMIT, "segments", big_img, big_lab, NULL, 0, &p);
    anchor_image_destroy(big_img);
    anchor_image_destroy(big_lab);
    anchor_image_destroy(lab_small);
    anchor_image_destroy(bg_bad);
    anchor_image_destroy(bg_f64);
    anchor_image_destroy(img_i32);
    anchor_image_destroy(lab_f32);
    anchor_image_destroy(img);
    anchor_image_destroy(lab);
}

int main(void)
{
    test_known_answers();
    test_bad_inputs();
    return harness_finish();
}
