/* SPDX-License-Identifier: Apache-2.0 */
/* The perturbation sampler of one anchor_explain call: alibi's AnchorImageSampler, its
 * binary cache and the memoised predictor (sampler.c, the only writer of this state).
 *
 * It knows nothing of anchors. The search asks for n samples that keep some features and
 * gets back cache rows and how many of them the model labelled like the image; which
 * anchor those rows count for is the search's business (beam.h). The search reads the
 * cache (masks, agree) and the coverage bitsets, and never writes them. */
#ifndef ANCHOR_EXPLAIN_SAMPLER_H
#define ANCHOR_EXPLAIN_SAMPLER_H

#include <stdint.h>

#include "anchor/explain.h"
#include "numpy/np_random.h"

enum { EX_LABELS_UNKNOWN = 0, EX_LABELS_ARGMAX, EX_LABELS_GIVEN, EX_LABELS_ONE_COLUMN };

typedef struct ex_sampler {
    const anchor_explain_params *p;
    anchor_error *err;

    /* The image and its superpixels. */
    const anchor_image *image;
    int64_t h, w, c;
    anchor_dtype dtype;
    size_t px_bytes, img_bytes;
    int k;                     /* K */
    int words;                 /* uint64 words per mask row */
    int64_t *run_start, *run_len; /* raster runs of each segment's pixels */
    int64_t *seg_run;          /* K + 1 offsets into the runs */
    int64_t n_runs;
    int64_t *raster_run;       /* the runs in raster order (indices into run_start/run_len) */
    int32_t *run_seg;          /* segment of each run */
    int64_t *seg_size;         /* pixels per segment */
    uint8_t *fudged;           /* segment-mean image (no backgrounds) */
    const uint8_t *bg;         /* B images in the image dtype */
    uint8_t *bg_owned;
    int64_t n_bg;

    /* The predictor and the labels. */
    anchor_predictor *predictor;
    anchor_prediction *prediction;
    int label_mode;
    int64_t instance_label;
    double instance_value;     /* one-column quirk: the score itself */
    uint8_t *scratch;          /* batch pixels */
    size_t scratch_cap;
    int64_t *send_rows, *src_row;
    int64_t send_cap;

    /* The generator and the draws. */
    np_mt19937 rng;
    double cut_labelled;       /* choice cut for p_sample */

    /* alibi's binary cache, stored as bits: row r is masks[r * words ..], agree[r] (its
     * label equals the image's) and bg_index[r] (-1 = no background). */
    int64_t n_rows, cap_rows;
    uint64_t *masks;
    uint8_t *agree;
    int32_t *bg_index;
    int64_t alibi_capacity, prealloc; /* the rows alibi would have allocated (num_preds) */

    /* Memo: cache rows by (mask, background) key, open addressing. */
    int64_t *memo;
    size_t memo_mask, memo_used;

    /* Coverage masks, as one bitset of coverage rows per feature. */
    int64_t n_cov;
    int cov_words;
    uint64_t *cov_feature;     /* K x cov_words */

    /* Accounting. */
    int64_t *batch_sizes, n_batches, cap_batches;
    int64_t images_sampled, images_predicted, model_calls;
    double seconds_predictor;
    double t0;                 /* anchor_explain's start, for progress */
    int anchor_size;           /* told by the search (anc_ex_sampler_set_anchor_size), for progress only */
} ex_sampler;

/* The size of the anchors the search is trying now: shown in progress reports. */
void anc_ex_sampler_set_anchor_size(ex_sampler *c, int size);

/* Runs, segment means and backgrounds for `image` cut by `labels` (INT32 0..k-1), and the
 * generator seeded from p->seed as np.random.seed does. */
anchor_status anc_ex_sampler_setup(ex_sampler *s, const anchor_explain_params *p, const anchor_image *image,
                               const anchor_image *labels, int k, const anchor_image *backgrounds,
                               anchor_predictor *predictor, anchor_error *err);
/* The 1-image call on the original: sets instance_label and how the predictor answers. */
anchor_status anc_ex_sampler_predict_instance(ex_sampler *s);
/* alibi's coverage set: n masks at p = 0.5, drawn before anything else. */
anchor_status anc_ex_sampler_draw_coverage(ex_sampler *s, int64_t n);
/* One labelled sampler call (compute_labels=True): n masks that keep keep[0..n_keep), then
 * the backgrounds, then the labels. The samples are cache rows [*first, *first + n);
 * *positives of them agree with the image's label. */
anchor_status anc_ex_sampler_draw(ex_sampler *s, const int32_t *keep, int n_keep, int64_t n, int64_t *first,
                              int64_t *positives);
/* The perturbed image of cache row `row`, into dst (img_bytes). */
void anc_ex_sampler_render_row(const ex_sampler *s, int64_t row, uint8_t *dst);
/* Hand over the batch log (one entry per sampler call, as alibi calls its predictor). */
int64_t *anc_ex_sampler_take_batch_log(ex_sampler *s, int64_t *n_batches);
void anc_ex_sampler_free(ex_sampler *s);

#endif
