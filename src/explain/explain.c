/* The explainer's public face (include/anchor/explain.h): parameters, input checks, one
 * anchor_explain call that owns all of its state (generator, cache, memo), and the
 * explanation accessors. The search itself is beam.c; the sampler is sampler.c. */
#include "explain/explain_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "image/image_internal.h"

void anchor_explain_params_default(anchor_explain_params *p)
{
    memset(p, 0, sizeof *p);
    p->p_sample = 0.5;
    p->threshold = 0.95;
    p->delta = 0.1;
    p->tau = 0.15;
    p->batch_size = 100;
    p->coverage_samples = 10000;
    p->beam_size = 1;
    p->stop_on_first = 0;
    p->max_anchor_size = 0;
    p->min_samples_start = 100;
    p->n_covered_ex = 10;
    p->binary_cache_size = 10000;
    p->cache_margin = 1000;
    p->epsilon_stop = 0.05;
    p->seed = 0;
    p->memoize = 1;
    p->verbose_every = 1;
}

anchor_status anchor_explain_params_validate(const anchor_explain_params *p, anchor_error *err)
{
#define BAD(...) return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, __VA_ARGS__)
    if (!p)
        BAD("explain parameters are NULL");
    if (!(p->threshold > 0 && p->threshold <= 1))
        BAD("threshold must be in (0, 1], got %g", p->threshold);
    if (!(p->p_sample >= 0 && p->p_sample <= 1))
        BAD("p_sample must be in [0, 1], got %g", p->p_sample);
    if (!(p->delta > 0 && p->delta < 1))
        BAD("delta must be in (0, 1), got %g", p->delta);
    if (!(p->tau > 0) || isinf(p->tau))
        BAD("tau must be a finite number > 0, got %g", p->tau);
    if (!(p->epsilon_stop >= 0) || isinf(p->epsilon_stop))
        BAD("epsilon_stop must be a finite number >= 0, got %g", p->epsilon_stop);
#define RANGE(field, lo, hi)                                                                               \
    if (p->field < (lo) || p->field > (hi))                                                                \
    BAD(#field " must be in [%lld, %lld], got %lld", (long long)(lo), (long long)(hi), (long long)p->field)
    RANGE(batch_size, 1, ANCHOR_MAX_BATCH_SIZE);
    RANGE(beam_size, 1, ANCHOR_MAX_BEAM_SIZE);
    RANGE(coverage_samples, 1, ANCHOR_MAX_COVERAGE_SAMPLES);
    RANGE(min_samples_start, 1, ANCHOR_MAX_MIN_SAMPLES_START);
    RANGE(n_covered_ex, 0, ANCHOR_MAX_N_COVERED_EX);
    RANGE(binary_cache_size, 1, ANCHOR_MAX_BINARY_CACHE_SIZE);
    RANGE(cache_margin, 0, ANCHOR_MAX_CACHE_MARGIN);
    if (p->max_anchor_size < 0 || p->max_anchor_size > ANCHOR_MAX_SEGMENTS)
        BAD("max_anchor_size must be in [0, %d] (0 = the number of superpixels), got %lld", ANCHOR_MAX_SEGMENTS,
            (long long)p->max_anchor_size);
    if (p->verbose_every <= 0)
        BAD("verbose_every must be >= 1, got %lld", (long long)p->verbose_every);
#undef RANGE
#undef BAD
    return ANCHOR_OK;
}

const char *anchor_result_status_name(anchor_result_status s)
{
    switch (s) {
    case ANCHOR_RESULT_FOUND: return "FOUND";
    case ANCHOR_RESULT_BELOW_THRESHOLD: return "BELOW_THRESHOLD";
    case ANCHOR_RESULT_EMPTY_ANCHOR: return "EMPTY_ANCHOR";
    }
    return "UNKNOWN";
}

static anchor_status check_inputs(const anchor_image *image, const anchor_image *segments,
                                  const anchor_image *backgrounds, anchor_predictor *predictor, anchor_error *err)
{
#define BAD(...) return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, __VA_ARGS__)
    if (!image)
        BAD("the image to explain is NULL");
    if (!segments)
        BAD("the label map is NULL");
    if (!predictor)
        BAD("the predictor is NULL");
    if (image->n != 1)
        BAD("explain one image at a time: got a batch of %lld", (long long)image->n);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "the image must be uint8 or float32, not %s",
                                anchor_dtype_name(image->dtype));
    if (segments->n != 1 || segments->c != 1)
        BAD("the label map must be one H x W array, got %lldx%lldx%lldx%lld", (long long)segments->n,
            (long long)segments->h, (long long)segments->w, (long long)segments->c);
    if (segments->h != image->h || segments->w != image->w)
        BAD("the label map is %lldx%lld (HxW) but the image is %lldx%lld", (long long)segments->h,
            (long long)segments->w, (long long)image->h, (long long)image->w);
    if (backgrounds) {
        if (backgrounds->h != image->h || backgrounds->w != image->w || backgrounds->c != image->c)
            BAD("background images are %lldx%lldx%lld (HxWxC) but the image is %lldx%lldx%lld",
                (long long)backgrounds->h, (long long)backgrounds->w, (long long)backgrounds->c,
                (long long)image->h, (long long)image->w, (long long)image->c);
        if (backgrounds->dtype != image->dtype && backgrounds->dtype != ANCHOR_DTYPE_U8)
            BAD("background images must be %s or uint8 like the image, not %s", anchor_dtype_name(image->dtype),
                anchor_dtype_name(backgrounds->dtype));
        if (backgrounds->n < 1 || backgrounds->n > (1LL << 31))
            BAD("the number of background images must be in [1, 2^31], got %lld", (long long)backgrounds->n);
    }
#undef BAD
    anchor_status st = anc_image_check_finite(image, "the image", err);
    if (!st && backgrounds)
        st = anc_image_check_finite(backgrounds, "the background images", err);
    return st;
}

/* The label map as INT32 0..K-1. Maps that already are 0..K-1 (the usual case) are
 * copied in one pass; anything else goes through anchor_labels_normalize (a sort). */
static anchor_status labels_0_to_k(const anchor_image *seg, anchor_image **out, int *k, int *changed,
                                   anchor_error *err)
{
    size_t np = (size_t)(seg->h * seg->w);
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < np; i++) {
        int64_t v;
        switch (seg->dtype) {
        case ANCHOR_DTYPE_U8: v = ((const uint8_t *)seg->data)[i]; break;
        case ANCHOR_DTYPE_U16: v = ((const uint16_t *)seg->data)[i]; break;
        case ANCHOR_DTYPE_I32: v = ((const int32_t *)seg->data)[i]; break;
        case ANCHOR_DTYPE_I64: v = ((const int64_t *)seg->data)[i]; break;
        default: return anchor_labels_normalize(seg, out, k, changed, err); /* reports the dtype */
        }
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    if (mn != 0 || mx >= ANCHOR_MAX_SEGMENTS)
        return anchor_labels_normalize(seg, out, k, changed, err);
    uint8_t *seen = calloc((size_t)mx + 1, 1);
    if (!seen)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    anchor_status st = anchor_image_create(out, 1, seg->h, seg->w, 1, ANCHOR_DTYPE_I32, err);
    if (st) {
        free(seen);
        return st;
    }
    int32_t *dst = (*out)->data;
    for (size_t i = 0; i < np; i++) {
        switch (seg->dtype) {
        case ANCHOR_DTYPE_U8: dst[i] = ((const uint8_t *)seg->data)[i]; break;
        case ANCHOR_DTYPE_U16: dst[i] = ((const uint16_t *)seg->data)[i]; break;
        case ANCHOR_DTYPE_I32: dst[i] = ((const int32_t *)seg->data)[i]; break;
        default: dst[i] = (int32_t)((const int64_t *)seg->data)[i]; break;
        }
        seen[dst[i]] = 1;
    }
    int all = 1;
    for (int64_t v = 0; v <= mx; v++)
        all &= seen[v];
    free(seen);
    if (!all) { /* gaps: remap by sorted value */
        anchor_image_destroy(*out);
        *out = NULL;
        return anchor_labels_normalize(seg, out, k, changed, err);
    }
    *k = (int)(mx + 1);
    *changed = 0;
    return ANCHOR_OK;
}

void anchor_explanation_destroy(anchor_explanation *e)
{
    if (!e)
        return;
    anchor_image_destroy(e->segments);
    free(e->feature);
    free(e->precision);
    free(e->coverage);
    for (int i = 0; i < e->size; i++) {
        if (e->examples_true)
            anchor_image_destroy(e->examples_true[i]);
        if (e->examples_false)
            anchor_image_destroy(e->examples_false[i]);
    }
    free(e->examples_true);
    free(e->examples_false);
    free(e->batch_sizes);
    free(e);
}

anchor_status anchor_explain(const anchor_image *image, const anchor_image *segments, const anchor_image *backgrounds,
                             anchor_predictor *predictor, const anchor_explain_params *params,
                             anchor_explanation **out, anchor_error *err)
{
    double t0 = ex_now();
    if (!out)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "anchor_explain: out is NULL");
    *out = NULL;
    anchor_status st = anchor_explain_params_validate(params, err);
    if (st || (st = check_inputs(image, segments, backgrounds, predictor, err)))
        return st;

    ex_ctx c;
    memset(&c, 0, sizeof c);
    c.p = params;
    c.err = err;
    c.predictor = predictor;
    c.t0 = t0;
    anchor_explanation *e = calloc(1, sizeof *e);
    if (!e)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    int k = 0, changed = 0;
    if ((st = labels_0_to_k(segments, &e->segments, &k, &changed, err))) {
        anchor_error_prefix(err, "label map");
        goto fail;
    }
    c.k = k;
    e->k = k;
    e->remapped = changed;
    if (changed)
        ex_log(&c, "warning: the label map's labels are not 0..%d; remapped to 0..%d by sorted value "
                   "(alibi would mis-perturb them, alibi#748)", k - 1, k - 1);
    np_mt_seed(&c.rng, params->seed);
    if ((st = ex_sampler_setup(&c, image, e->segments, backgrounds)))
        goto fail;
    if ((st = ex_predict_instance(&c)))
        goto fail;
    e->instance_label = c.instance_label;
    if ((st = ex_anchor_beam(&c, e)))
        goto fail;

    e->batch_sizes = c.batch_sizes;
    e->n_batches = c.n_batches;
    c.batch_sizes = NULL;
    e->stats.predictor_calls = e->n_batches;
    e->stats.images_sampled = c.images_sampled;
    e->stats.images_predicted = c.images_predicted;
    e->stats.model_calls = c.model_calls;
    e->stats.seconds_predictor = c.seconds_predictor;
    ex_anchors_free(&c);
    ex_sampler_free(&c);
    e->stats.seconds_total = ex_now() - t0;
    *out = e;
    return ANCHOR_OK;
fail:
    ex_anchors_free(&c);
    ex_sampler_free(&c);
    anchor_explanation_destroy(e);
    return st;
}

anchor_result_status anchor_explanation_status(const anchor_explanation *e) { return e->status; }
int anchor_explanation_success(const anchor_explanation *e) { return e->success; }
int64_t anchor_explanation_instance_label(const anchor_explanation *e) { return e->instance_label; }
int anchor_explanation_n_segments(const anchor_explanation *e) { return e->k; }
const anchor_image *anchor_explanation_segments(const anchor_explanation *e) { return e->segments; }
int anchor_explanation_labels_remapped(const anchor_explanation *e) { return e->remapped; }
int anchor_explanation_size(const anchor_explanation *e) { return e->size; }

int anchor_explanation_feature(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->size ? e->feature[i] : -1;
}

double anchor_explanation_prefix_precision(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->size ? e->precision[i] : NAN;
}

double anchor_explanation_prefix_coverage(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->size ? e->coverage[i] : NAN;
}

double anchor_explanation_precision(const anchor_explanation *e) { return e->precision_all; }
double anchor_explanation_coverage(const anchor_explanation *e) { return e->coverage_all; }
int64_t anchor_explanation_num_preds(const anchor_explanation *e) { return e->num_preds; }

const anchor_image *anchor_explanation_examples(const anchor_explanation *e, int i, int kept)
{
    if (i < 0 || i >= e->size)
        return NULL;
    return kept ? e->examples_true[i] : e->examples_false[i];
}

const int64_t *anchor_explanation_batch_sizes(const anchor_explanation *e, int64_t *count)
{
    if (count)
        *count = e->n_batches;
    return e->batch_sizes;
}

void anchor_explanation_stats(const anchor_explanation *e, anchor_explain_stats *stats) { *stats = e->stats; }

/* alibi: astype(int)(scale_image(image) * mask), scale_image = (x - min) / (max - min) * 255
 * over the whole array, in float64 for uint8 input and float32 for float32 input. */
anchor_status anchor_explanation_anchor_image(const anchor_explanation *e, const anchor_image *image,
                                              anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (!image || image->n != 1 || image->h != e->segments->h || image->w != e->segments->w)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "anchor image: the image must be the explained one (%lldx%lld)",
                                (long long)e->segments->h, (long long)e->segments->w);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "anchor image: uint8 or float32 image needed, not %s",
                                anchor_dtype_name(image->dtype));
    anchor_status st = anchor_image_create(out, 1, image->h, image->w, image->c, ANCHOR_DTYPE_U8, err);
    if (st)
        return st;
    uint8_t *in_anchor = calloc((size_t)(e->k ? e->k : 1), 1);
    if (!in_anchor) {
        anchor_image_destroy(*out);
        *out = NULL;
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < e->size; i++)
        in_anchor[e->feature[i]] = 1;
    size_t np = (size_t)(image->h * image->w), nc = (size_t)image->c;
    const int32_t *lab = e->segments->data;
    uint8_t *dst = (*out)->data;
    if (image->dtype == ANCHOR_DTYPE_U8) {
        const uint8_t *x = image->data;
        uint8_t mn = 255, mx = 0;
        for (size_t i = 0; i < np * nc; i++) {
            mn = x[i] < mn ? x[i] : mn;
            mx = x[i] > mx ? x[i] : mx;
        }
        for (size_t i = 0; i < np; i++)
            for (size_t ch = 0; ch < nc; ch++) {
                double v = (double)(uint8_t)(x[i * nc + ch] - mn) / (double)(uint8_t)(mx - mn) * 255.0 + 0.0;
                v *= in_anchor[lab[i]] ? 1.0 : 0.0;
                dst[i * nc + ch] = isnan(v) ? 0 : (uint8_t)(int64_t)v;
            }
    } else {
        const float *x = image->data;
        float mn = x[0], mx = x[0];
        for (size_t i = 0; i < np * nc; i++) {
            mn = x[i] < mn ? x[i] : mn;
            mx = x[i] > mx ? x[i] : mx;
        }
        for (size_t i = 0; i < np; i++)
            for (size_t ch = 0; ch < nc; ch++) {
                float s = (x[i * nc + ch] - mn) / (mx - mn) * 255.0f + 0.0f;
                double v = (double)s * (in_anchor[lab[i]] ? 1.0 : 0.0);
                dst[i * nc + ch] = (isnan(v) || v < 0 || v > 255) ? 0 : (uint8_t)(int64_t)v;
            }
    }
    free(in_anchor);
    return ANCHOR_OK;
}
