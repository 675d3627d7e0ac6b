/* SPDX-License-Identifier: Apache-2.0 */
/* The explainer's public face (include/anchor/explain.h): parameters, input checks, one
 * anchor_explain call that owns all of its state (generator, cache, memo), and the
 * explanation accessors. The sampler (sampler.c) and the search (beam.c) each own their
 * state; this file creates both, hands the search its sampler, and collects the result. */
#include "explain/explain_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "explain/log.h"
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
    if (p->rng_state && (p->rng_state->pos < 0 || p->rng_state->pos > ANCHOR_MT19937_WORDS))
        BAD("rng_state.pos must be in [0, %d], got %ld", ANCHOR_MT19937_WORDS, (long)p->rng_state->pos);
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
    anchor_status st = anchor_image_check_finite(image, "the image", err);
    if (!st && backgrounds)
        st = anchor_image_check_finite(backgrounds, "the background images", err);
    return st;
}

void anchor_explanation_destroy(anchor_explanation *e)
{
    if (!e)
        return;
    anchor_image_destroy(e->segments);
    anc_ex_result_free(&e->found);
    free(e->batch_sizes);
    free(e);
}

anchor_status anchor_explain(const anchor_image *image, const anchor_image *segments, const anchor_image *backgrounds,
                             anchor_predictor *predictor, const anchor_explain_params *params,
                             anchor_explanation **out, anchor_error *err)
{
    double t0 = anc_ex_now();
    if (!out)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "anchor_explain: out is NULL");
    *out = NULL;
    anchor_status st = anchor_explain_params_validate(params, err);
    if (st || (st = check_inputs(image, segments, backgrounds, predictor, err)))
        return st;

    ex_sampler sampler = {0};
    ex_search search = {0};
    anchor_explanation *e = calloc(1, sizeof *e);
    if (!e)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    int k = 0;
    bool changed = false;
    if ((st = anchor_labels_normalize(segments, &k, &changed, &e->segments, err))) {
        anchor_error_prefix(err, "label map");
        goto fail;
    }
    e->k = k;
    e->remapped = changed;
    if (changed)
        anc_ex_log(params, "warning: the label map's labels are not 0..%d; remapped to 0..%d by sorted value "
                       "(alibi would mis-perturb them, alibi#748)", k - 1, k - 1);
    if ((st = anc_ex_sampler_setup(&sampler, params, image, e->segments, k, backgrounds, predictor, err)))
        goto fail;
    sampler.t0 = t0;
    if ((st = anc_ex_sampler_predict_instance(&sampler)))
        goto fail;
    e->instance_label = sampler.instance_label;
    anc_ex_search_init(&search, params, &sampler, err);
    if ((st = anc_ex_search_run(&search, &e->found)))
        goto fail;

    e->batch_sizes = anc_ex_sampler_take_batch_log(&sampler, &e->n_batches);
    e->stats.predictor_calls = e->n_batches;
    e->stats.images_sampled = sampler.images_sampled;
    e->stats.images_predicted = sampler.images_predicted;
    e->stats.model_calls = sampler.model_calls;
    e->stats.seconds_predictor = sampler.seconds_predictor;
    /* np.random.seed() clears the cached normal; a given state keeps its own. */
    memcpy(e->rng_after.key, sampler.rng.key, sizeof e->rng_after.key);
    e->rng_after.pos = sampler.rng.pos;
    e->rng_after.has_gauss = params->rng_state ? params->rng_state->has_gauss : false;
    e->rng_after.cached_gaussian = params->rng_state ? params->rng_state->cached_gaussian : 0.0;
    anc_ex_search_free(&search);
    anc_ex_sampler_free(&sampler);
    e->stats.seconds_total = anc_ex_now() - t0;
    *out = e;
    return ANCHOR_OK;
fail:
    anc_ex_search_free(&search);
    anc_ex_sampler_free(&sampler);
    anchor_explanation_destroy(e);
    return st;
}

anchor_result_status anchor_explanation_status(const anchor_explanation *e) { return e->found.status; }
bool anchor_explanation_success(const anchor_explanation *e) { return e->found.success; }
int64_t anchor_explanation_instance_label(const anchor_explanation *e) { return e->instance_label; }
int anchor_explanation_n_segments(const anchor_explanation *e) { return e->k; }
const anchor_image *anchor_explanation_segments(const anchor_explanation *e) { return e->segments; }
bool anchor_explanation_labels_remapped(const anchor_explanation *e) { return e->remapped; }
int anchor_explanation_size(const anchor_explanation *e) { return e->found.size; }

int anchor_explanation_feature(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->found.size ? e->found.feature[i] : -1;
}

double anchor_explanation_prefix_precision(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->found.size ? e->found.precision[i] : NAN;
}

double anchor_explanation_prefix_coverage(const anchor_explanation *e, int i)
{
    return i >= 0 && i < e->found.size ? e->found.coverage[i] : NAN;
}

double anchor_explanation_precision(const anchor_explanation *e) { return e->found.precision_all; }
double anchor_explanation_coverage(const anchor_explanation *e) { return e->found.coverage_all; }
int64_t anchor_explanation_num_preds(const anchor_explanation *e) { return e->found.num_preds; }

const anchor_image *anchor_explanation_examples(const anchor_explanation *e, int i, bool kept)
{
    if (i < 0 || i >= e->found.size)
        return NULL;
    return kept ? e->found.examples_true[i] : e->found.examples_false[i];
}

const int64_t *anchor_explanation_batch_sizes(const anchor_explanation *e, int64_t *count)
{
    if (count)
        *count = e->n_batches;
    return e->batch_sizes;
}

void anchor_explanation_stats(const anchor_explanation *e, anchor_explain_stats *stats) { *stats = e->stats; }
void anchor_explanation_rng_state(const anchor_explanation *e, anchor_mt19937_state *state) { *state = e->rng_after; }
