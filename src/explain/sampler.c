/* SPDX-License-Identifier: Apache-2.0 */
/* The perturbation sampler: alibi's AnchorImageSampler plus its binary cache, with
 * memoised predictions (SPEC §5, §6.2).
 *
 * A sample is a mask row over the K superpixels (1 = kept, 0 = perturbed) and, with
 * background images, the background drawn for it. The perturbed image is the original
 * with every perturbed superpixel copied from the segment-mean image ("fudged", numpy's
 * per-channel means in the image dtype) or from the chosen background. Images are built
 * from precomputed raster runs of each segment, so a row costs one image copy plus one
 * memcpy per run of a perturbed segment.
 *
 * Draw order is alibi's: n*K doubles for the mask (entry (i, j) is the (iK+j)-th), then n
 * background indices. The mask rows are stored as bits (alibi preallocates an int64 matrix
 * of batch_size*binary_cache_size rows; we grow on demand and only report that capacity).
 *
 * Memo: identical (mask, background) keys give identical images, so within one
 * explanation a key is predicted once; a batch sends only its unseen keys, deduplicated, in
 * one call, and the answers are scattered back. An all-ones mask is the original image,
 * whose label is the instance label by definition. Statistics count every sample.
 *
 * Ownership: this file alone writes the sampler's state (sampler.h). A draw returns its
 * cache rows and how many agree; attributing them to an anchor is the search's job. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) where Linux offers it */
#include "explain/sampler.h"

#include <math.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "explain/log.h"
#include "image/image_internal.h"
#include "numpy/np_sum.h"

static anchor_status nomem(ex_sampler *c, const char *what)
{
    return anchor_error_set(c->err, ANCHOR_ERR_NOMEM, "out of memory for %s", what);
}

/* ---- Setup: runs, fudged image, backgrounds ------------------------------------------ */

static void build_fudged_u8(ex_sampler *c, const int32_t *lab)
{
    const uint8_t *img = c->image->data;
    int64_t np = c->h * c->w;
    double *sum = calloc((size_t)c->k * (size_t)c->c, sizeof *sum);
    uint8_t *mean = malloc((size_t)c->k * (size_t)c->c);
    /* Integer sums are exact in float64, whatever order numpy adds them in. */
    for (int64_t i = 0; i < np; i++)
        for (int64_t ch = 0; ch < c->c; ch++)
            sum[(size_t)lab[i] * c->c + ch] += img[i * c->c + ch];
    for (int j = 0; j < c->k; j++)
        for (int64_t ch = 0; ch < c->c; ch++)
            mean[(size_t)j * c->c + ch] = (uint8_t)(sum[(size_t)j * c->c + ch] / (double)c->seg_size[j]);
    for (int64_t i = 0; i < np; i++)
        memcpy(c->fudged + i * c->c, mean + (size_t)lab[i] * c->c, (size_t)c->c);
    free(sum);
    free(mean);
}

static anchor_status build_fudged_f32(ex_sampler *c, const int32_t *lab)
{
    const float *img = c->image->data;
    float *out = (float *)c->fudged;
    int64_t maxseg = 0;
    for (int j = 0; j < c->k; j++)
        if (c->seg_size[j] > maxseg)
            maxseg = c->seg_size[j];
    float *vals = malloc((size_t)(maxseg ? maxseg : 1) * sizeof *vals);
    float *mean = malloc((size_t)c->k * (size_t)c->c * sizeof *mean);
    if (!vals || !mean) {
        free(vals);
        free(mean);
        return nomem(c, "segment means");
    }
    (void)lab;
    /* numpy: image[segments == x][:, ch] lists the segment's pixels in raster order. */
    for (int j = 0; j < c->k; j++)
        for (int64_t ch = 0; ch < c->c; ch++) {
            int64_t n = 0;
            for (int64_t r = c->seg_run[j]; r < c->seg_run[j + 1]; r++)
                for (int64_t q = 0; q < c->run_len[r]; q++)
                    vals[n++] = img[(c->run_start[r] + q) * c->c + ch];
            mean[(size_t)j * c->c + ch] = anc_np_mean_f32(vals, n);
        }
    for (int64_t i = 0; i < c->h * c->w; i++)
        memcpy(out + i * c->c, mean + (size_t)lab[i] * c->c, (size_t)c->c * sizeof(float));
    free(vals);
    free(mean);
    return ANCHOR_OK;
}

anchor_status anc_ex_sampler_setup(ex_sampler *c, const anchor_explain_params *p, const anchor_image *image,
                               const anchor_image *labels, int k, const anchor_image *backgrounds,
                               anchor_predictor *predictor, anchor_error *err)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->err = err;
    c->predictor = predictor;
    c->k = k;
    if (p->rng_state) { /* continue a caller's generator, e.g. numpy's global one */
        memcpy(c->rng.key, p->rng_state->key, sizeof c->rng.key);
        c->rng.pos = p->rng_state->pos;
    } else {
        anc_np_mt_seed(&c->rng, p->seed);
    }
    c->prealloc = p->batch_size * p->binary_cache_size;
    c->alibi_capacity = c->prealloc;
    c->image = image;
    c->h = image->h;
    c->w = image->w;
    c->c = image->c;
    c->dtype = image->dtype;
    c->px_bytes = (size_t)c->c * anchor_dtype_size(c->dtype);
    c->img_bytes = (size_t)(c->h * c->w) * c->px_bytes;
    c->words = (c->k + 63) / 64;
    const int32_t *lab = labels->data;
    int64_t np = c->h * c->w;

    /* Raster runs grouped by segment: count, then fill in raster order. */
    c->seg_size = calloc((size_t)c->k, sizeof *c->seg_size);
    c->seg_run = calloc((size_t)c->k + 1, sizeof *c->seg_run);
    if (!c->seg_size || !c->seg_run)
        return nomem(c, "segment runs");
    int64_t nruns = 0;
    for (int64_t i = 0; i < np; i++) {
        c->seg_size[lab[i]]++;
        if (i == 0 || lab[i] != lab[i - 1]) {
            c->seg_run[lab[i] + 1]++;
            nruns++;
        }
    }
    for (int j = 0; j < c->k; j++)
        c->seg_run[j + 1] += c->seg_run[j];
    c->run_start = malloc((size_t)nruns * sizeof *c->run_start);
    c->run_len = malloc((size_t)nruns * sizeof *c->run_len);
    int64_t *fill = malloc((size_t)c->k * sizeof *fill);
    c->n_runs = nruns;
    c->raster_run = malloc((size_t)nruns * sizeof *c->raster_run);
    c->run_seg = malloc((size_t)nruns * sizeof *c->run_seg);
    if (!c->run_start || !c->run_len || !fill || !c->raster_run || !c->run_seg) {
        free(fill);
        return nomem(c, "segment runs");
    }
    memcpy(fill, c->seg_run, (size_t)c->k * sizeof *fill);
    int64_t cur = -1, n_raster = 0;
    for (int64_t i = 0; i < np; i++) {
        if (i == 0 || lab[i] != lab[i - 1]) {
            cur = fill[lab[i]]++;
            c->raster_run[n_raster++] = cur;
            c->run_seg[cur] = lab[i];
            c->run_start[cur] = i;
            c->run_len[cur] = 0;
        }
        c->run_len[cur]++;
    }
    free(fill);

    if (backgrounds) {
        c->n_bg = backgrounds->n;
        if (backgrounds->dtype == c->dtype) {
            c->bg = backgrounds->data;
        } else { /* uint8 backgrounds for a float32 image: numpy casts the values */
            size_t count = (size_t)backgrounds->n * (size_t)np * (size_t)c->c;
            float *f = malloc(count * sizeof *f);
            if (!f)
                return nomem(c, "background images");
            const uint8_t *u = backgrounds->data;
            for (size_t i = 0; i < count; i++)
                f[i] = (float)u[i];
            c->bg_owned = (uint8_t *)f;
            c->bg = c->bg_owned;
        }
    } else {
        c->fudged = malloc(c->img_bytes);
        if (!c->fudged)
            return nomem(c, "the segment-mean image");
        if (c->dtype == ANCHOR_DTYPE_U8)
            build_fudged_u8(c, lab);
        else {
            anchor_status st = build_fudged_f32(c, lab);
            if (st)
                return st;
        }
    }
    c->cut_labelled = anc_np_choice01_cut(c->p->p_sample);
    return anchor_prediction_create(&c->prediction, c->err);
}

void anc_ex_sampler_free(ex_sampler *c)
{
    free(c->seg_size);
    free(c->seg_run);
    free(c->run_start);
    free(c->run_len);
    free(c->raster_run);
    free(c->run_seg);
    free(c->fudged);
    free(c->bg_owned);
    anchor_prediction_destroy(c->prediction);
    free(c->scratch);
    free(c->send_rows);
    free(c->src_row);
    free(c->masks);
    free(c->agree);
    free(c->bg_index);
    free(c->memo);
    free(c->cov_feature);
    free(c->batch_sizes);
}

/* ---- Rendering ------------------------------------------------------------------------ */

/* One pass over the runs in raster order, each byte written once: kept runs from the
 * image, perturbed runs from the segment-mean image or the drawn background. Runs are
 * contiguous in raster order, so neighbours with the same source merge into one copy. */
void anc_ex_sampler_render_row(const ex_sampler *c, int64_t row, uint8_t *dst)
{
    const uint8_t *img = c->image->data;
    const uint64_t *m = c->masks + (size_t)row * c->words;
    const uint8_t *src = c->bg_index[row] >= 0 ? c->bg + (size_t)c->bg_index[row] * c->img_bytes : c->fudged;
    const uint8_t *pending = NULL;
    size_t start = 0, len = 0;
    for (int64_t q = 0; q < c->n_runs; q++) {
        int64_t r = c->raster_run[q];
        int j = c->run_seg[r];
        const uint8_t *from = (m[j >> 6] >> (j & 63) & 1) ? img : src;
        if (from != pending) {
            if (len)
                memcpy(dst + start, pending + start, len);
            pending = from;
            start = (size_t)c->run_start[r] * c->px_bytes;
            len = 0;
        }
        len += (size_t)c->run_len[r] * c->px_bytes;
    }
    if (len)
        memcpy(dst + start, pending + start, len);
}

/* ---- Predictions ---------------------------------------------------------------------- */

static anchor_status record_batch(ex_sampler *c, int64_t n)
{
    if (!anchor_grow((void **)&c->batch_sizes, &c->cap_batches, c->n_batches + 1, sizeof *c->batch_sizes, 64))
        return nomem(c, "the batch log");
    c->batch_sizes[c->n_batches++] = n;
    c->images_sampled += n;
    return ANCHOR_OK;
}

/* Run the predictor on n images held in c->scratch. */
static void report_progress(const ex_sampler *c, int64_t batch_images)
{
    if (!c->p->progress)
        return;
    anchor_explain_progress pr = {c->model_calls, c->images_predicted, c->images_sampled, batch_images,
                                  c->anchor_size, c->k, anc_ex_now() - c->t0};
    c->p->progress(c->p->progress_user, &pr);
}

static anchor_status call_predictor(ex_sampler *c, int64_t n)
{
    struct anchor_image view = {n, c->h, c->w, c->c, c->dtype, c->scratch, false};
    c->model_calls++;
    c->images_predicted += n;
    report_progress(c, n);
    double t0 = anc_ex_now();
    anchor_status st = anchor_predictor_predict(c->predictor, &view, c->prediction, c->err);
    c->seconds_predictor += anc_ex_now() - t0;
    report_progress(c, 0);
    if (st)
        return anchor_error_prefix(c->err, "predictor call %lld (a batch of %lld images)",
                                   (long long)c->model_calls, (long long)n);
    return ANCHOR_OK;
}

static int label_mode_of(const anchor_prediction *pr)
{
    int64_t l = anchor_prediction_classes(pr);
    return l == 0 ? EX_LABELS_GIVEN : (l == 1 ? EX_LABELS_ONE_COLUMN : EX_LABELS_ARGMAX);
}

/* Label of image i: the given label, the argmax (first index on ties), or for one-column
 * scores the score itself (alibi then compares scores, SPEC §2 step 3). */
static void label_of(const anchor_prediction *pr, int64_t i, int64_t *label, double *value)
{
    int64_t l = anchor_prediction_classes(pr);
    if (l == 0) {
        *label = anchor_prediction_labels(pr)[i];
        *value = (double)*label;
        return;
    }
    const double *s = anchor_prediction_scores(pr) + (size_t)i * (size_t)l;
    int64_t best = 0;
    for (int64_t k = 1; k < l; k++)
        if (s[k] > s[best])
            best = k;
    *label = l == 1 ? (fabs(s[0]) < 9.2e18 ? (int64_t)s[0] : 0) : best; /* no overflowing cast */
    *value = l == 1 ? s[0] : (double)best;
}

/* The batch buffer: a batch of 100 photos is tens of MB, and touching it page by page
 * costs more than filling it, so ask for huge pages where the kernel offers them. */
static anchor_status ensure_scratch(ex_sampler *c, int64_t n)
{
    size_t need = (size_t)(n ? n : 1) * c->img_bytes;
    if (need > c->scratch_cap) {
        const size_t huge = (size_t)2 << 20;
        size_t cap = (need + huge - 1) / huge * huge;
        uint8_t *s = aligned_alloc(huge, cap);
        if (!s)
            return anchor_error_set(c->err, ANCHOR_ERR_NOMEM, "out of memory for a batch of %lld images",
                                    (long long)n);
#ifdef MADV_HUGEPAGE
        madvise(s, cap, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
        free(c->scratch);
        c->scratch = s;
        c->scratch_cap = cap;
    }
    if (n > c->send_cap) {
        int64_t *a = realloc(c->send_rows, (size_t)n * sizeof *a);
        if (a)
            c->send_rows = a;
        int64_t *b = realloc(c->src_row, (size_t)n * sizeof *b);
        if (b)
            c->src_row = b;
        if (!a || !b)
            return nomem(c, "a batch");
        c->send_cap = n;
    }
    return ANCHOR_OK;
}

anchor_status anc_ex_sampler_predict_instance(ex_sampler *c)
{
    /* one buffer for the largest batch the search makes, allocated once */
    int64_t largest = c->p->batch_size > c->p->min_samples_start ? c->p->batch_size : c->p->min_samples_start;
    anchor_status st = record_batch(c, 1);
    if (!st)
        st = ensure_scratch(c, largest);
    if (st)
        return st;
    memcpy(c->scratch, c->image->data, c->img_bytes);
    if ((st = call_predictor(c, 1)))
        return st;
    c->label_mode = label_mode_of(c->prediction);
    label_of(c->prediction, 0, &c->instance_label, &c->instance_value);
    return ANCHOR_OK;
}

/* ---- The memo ------------------------------------------------------------------------- */

static int row_all_ones(const ex_sampler *c, int64_t row)
{
    const uint64_t *m = c->masks + (size_t)row * c->words;
    for (int w = 0; w < c->words; w++) {
        uint64_t want = (w == c->words - 1 && c->k % 64) ? ((1ULL << (c->k % 64)) - 1) : ~0ULL;
        if (m[w] != want)
            return 0;
    }
    return 1;
}

static uint64_t row_key_hash(const ex_sampler *c, int64_t row)
{
    const uint64_t *m = c->masks + (size_t)row * c->words;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(int64_t)c->bg_index[row];
    for (int w = 0; w < c->words; w++) {
        h ^= m[w];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h;
}

static int rows_equal(const ex_sampler *c, int64_t a, int64_t b)
{
    return c->bg_index[a] == c->bg_index[b] &&
           !memcmp(c->masks + (size_t)a * c->words, c->masks + (size_t)b * c->words, (size_t)c->words * 8);
}

/* Find the first row with row's key, or insert row itself. Returns the row found. */
static anchor_status memo_find_or_insert(ex_sampler *c, int64_t row, int64_t *found)
{
    if ((int64_t)c->memo_used >= ANCHOR_MEMO_MAX) { /* full (explain.h): look up, never insert */
        size_t j = row_key_hash(c, row) & c->memo_mask;
        for (; c->memo[j] >= 0; j = (j + 1) & c->memo_mask)
            if (rows_equal(c, c->memo[j], row)) {
                *found = c->memo[j];
                return ANCHOR_OK;
            }
        *found = row;
        return ANCHOR_OK;
    }
    if ((c->memo_used + 1) * 2 > c->memo_mask + 1 || !c->memo) {
        size_t size = c->memo ? 2 * (c->memo_mask + 1) : 1024;
        int64_t *t = malloc(size * sizeof *t);
        if (!t)
            return nomem(c, "the prediction memo");
        for (size_t i = 0; i < size; i++)
            t[i] = -1;
        if (c->memo)
            for (size_t i = 0; i <= c->memo_mask; i++)
                if (c->memo[i] >= 0) {
                    size_t j = row_key_hash(c, c->memo[i]) & (size - 1);
                    while (t[j] >= 0)
                        j = (j + 1) & (size - 1);
                    t[j] = c->memo[i];
                }
        free(c->memo);
        c->memo = t;
        c->memo_mask = size - 1;
    }
    size_t j = row_key_hash(c, row) & c->memo_mask;
    while (c->memo[j] >= 0) {
        if (rows_equal(c, c->memo[j], row)) {
            *found = c->memo[j];
            return ANCHOR_OK;
        }
        j = (j + 1) & c->memo_mask;
    }
    c->memo[j] = row;
    c->memo_used++;
    *found = row;
    return ANCHOR_OK;
}

/* Labels for cache rows [r0, r0+n): one alibi call of n images, of which only unseen
 * keys reach the model (all of them with the memo off). */
static anchor_status predict_rows(ex_sampler *c, int64_t r0, int64_t n)
{
    anchor_status st = record_batch(c, n);
    if (!st)
        st = ensure_scratch(c, n);
    if (st)
        return st;
    int64_t n_send = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t row = r0 + i;
        if (!c->p->memoize) {
            c->src_row[i] = row;
            c->send_rows[n_send++] = row;
            continue;
        }
        if (row_all_ones(c, row)) {
            c->src_row[i] = -1; /* the original image */
            continue;
        }
        int64_t found = row;
        if ((st = memo_find_or_insert(c, row, &found)))
            return st;
        c->src_row[i] = found;
        if (found == row)
            c->send_rows[n_send++] = row;
    }
    if (n_send) {
        for (int64_t s = 0; s < n_send; s++)
            anc_ex_sampler_render_row(c, c->send_rows[s], c->scratch + (size_t)s * c->img_bytes);
        if ((st = call_predictor(c, n_send)))
            return st;
        int mode = label_mode_of(c->prediction);
        if (mode != c->label_mode)
            return anchor_error_set(c->err, ANCHOR_ERR_PREDICTOR,
                                    "predictor call %lld answered %s, but the first call answered %s",
                                    (long long)c->model_calls, mode == EX_LABELS_GIVEN ? "labels" : "scores",
                                    c->label_mode == EX_LABELS_GIVEN ? "labels" : "scores");
        for (int64_t s = 0; s < n_send; s++) {
            int64_t label;
            double value;
            label_of(c->prediction, s, &label, &value);
            c->agree[c->send_rows[s]] = c->label_mode == EX_LABELS_ONE_COLUMN ? value == c->instance_value
                                                                             : label == c->instance_label;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t row = r0 + i;
        if (c->src_row[i] < 0)
            c->agree[row] = 1;
        else if (c->src_row[i] != row)
            c->agree[row] = c->agree[c->src_row[i]];
    }
    return ANCHOR_OK;
}

/* ---- Draws ---------------------------------------------------------------------------- */

static anchor_status ensure_rows(ex_sampler *c, int64_t n)
{
    if (c->n_rows + n <= c->cap_rows)
        return ANCHOR_OK;
    int64_t cap = c->cap_rows ? c->cap_rows : 1024;
    while (cap < c->n_rows + n)
        cap *= 2;
    /* the bound (explain.h) applies to what the search needs, not to the doubling slack */
    int64_t row_bytes = c->words * (int64_t)sizeof *c->masks + 1 + (int64_t)sizeof *c->bg_index;
    if ((c->n_rows + n) > ANCHOR_SAMPLE_CACHE_MAX_BYTES / row_bytes)
        return anchor_error_set(c->err, ANCHOR_ERR_LIMIT,
                                "the sample cache would hold more than %lld MiB (%lld samples of %d superpixels); "
                                "lower --threshold or --binary-cache-size, or use fewer superpixels",
                                (long long)(ANCHOR_SAMPLE_CACHE_MAX_BYTES >> 20), (long long)(c->n_rows + n), c->k);
    if (cap > ANCHOR_SAMPLE_CACHE_MAX_BYTES / row_bytes)
        cap = ANCHOR_SAMPLE_CACHE_MAX_BYTES / row_bytes;
    uint64_t *m = realloc(c->masks, (size_t)cap * (size_t)c->words * sizeof *m);
    if (m)
        c->masks = m;
    uint8_t *a = realloc(c->agree, (size_t)cap);
    if (a)
        c->agree = a;
    int32_t *b = realloc(c->bg_index, (size_t)cap * sizeof *b);
    if (b)
        c->bg_index = b;
    if (!m || !a || !b)
        return anchor_error_set(c->err, ANCHOR_ERR_NOMEM, "out of memory for %lld cached samples", (long long)cap);
    c->cap_rows = cap;
    return ANCHOR_OK;
}

anchor_status anc_ex_sampler_draw_coverage(ex_sampler *c, int64_t n)
{
    c->n_cov = n;
    c->cov_words = (int)((n + 63) / 64);
    c->cov_feature = calloc((size_t)c->k * (size_t)c->cov_words, sizeof *c->cov_feature);
    if (!c->cov_feature)
        return nomem(c, "the coverage samples");
    double cut = anc_np_choice01_cut(0.5); /* alibi's coverage masks ignore p_sample */
    for (int64_t r = 0; r < n; r++) {
        uint64_t bit = 1ULL << (r & 63);
        size_t w = (size_t)(r >> 6);
        for (int j = 0; j < c->k; j++)
            if (!(np_mt_random_double(&c->rng) < cut))
                c->cov_feature[(size_t)j * c->cov_words + w] |= bit;
    }
    return ANCHOR_OK;
}

anchor_status anc_ex_sampler_draw(ex_sampler *c, const int32_t *keep, int n_keep, int64_t n, int64_t *first,
                              int64_t *positives)
{
    anchor_status st = ensure_rows(c, n);
    if (st)
        return st;
    int64_t r0 = c->n_rows;
    /* 1. the mask: n*K choices, then the kept columns set to 1 */
    for (int64_t i = 0; i < n; i++) {
        uint64_t *m = c->masks + (size_t)(r0 + i) * c->words;
        memset(m, 0, (size_t)c->words * sizeof *m);
        for (int j = 0; j < c->k; j++)
            if (!(np_mt_random_double(&c->rng) < c->cut_labelled))
                m[j >> 6] |= 1ULL << (j & 63);
        for (int q = 0; q < n_keep; q++)
            m[keep[q] >> 6] |= 1ULL << (keep[q] & 63);
    }
    /* 2. the backgrounds, after the whole mask */
    for (int64_t i = 0; i < n; i++)
        c->bg_index[r0 + i] = c->n_bg ? (int32_t)anc_np_randint(&c->rng, c->n_bg) : -1;
    /* 3. labels */
    if ((st = predict_rows(c, r0, n)))
        return st;
    /* 4. the cache grows as alibi's would (update_state's preallocation) */
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++)
        pos += c->agree[r0 + i];
    c->n_rows += n;
    int64_t margin = c->p->cache_margin > n ? c->p->cache_margin : n;
    if (c->n_rows >= c->alibi_capacity - margin)
        c->alibi_capacity += c->prealloc;
    *first = r0;
    *positives = pos;
    return ANCHOR_OK;
}

int64_t *anc_ex_sampler_take_batch_log(ex_sampler *c, int64_t *n_batches)
{
    int64_t *log = c->batch_sizes;
    *n_batches = c->n_batches;
    c->batch_sizes = NULL;
    c->n_batches = c->cap_batches = 0;
    return log;
}

void anc_ex_sampler_set_anchor_size(ex_sampler *c, int size) { c->anchor_size = size; }
