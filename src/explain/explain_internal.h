/* Private state of one anchor_explain call: the sampler (masks, perturbed images, the
 * memoised predictor), alibi's "binary cache" and per-anchor statistics, and the result.
 * Nothing here is global: everything lives in an ex_ctx owned by the call. */
#ifndef ANCHOR_EXPLAIN_INTERNAL_H
#define ANCHOR_EXPLAIN_INTERNAL_H

#include <stdint.h>

#include "anchor/explain.h"
#include "explain/np_random.h"

/* Per-anchor state, keyed by the sorted tuple (alibi's t_* dictionaries). */
typedef struct ex_anchor {
    int32_t *items;           /* sorted features */
    int32_t *order;           /* t_order: features in the order they were added */
    int size;
    int has_order;
    double nsamples, positives, coverage;
    uint64_t *cov;            /* coverage rows that keep every feature (bitset), or NULL */
    int cov_owned;            /* 0: size-1 anchors borrow their row of cov_feature */
    int64_t *rows;            /* t_idx: cache rows attributed to this anchor (see lazy_parent) */
    int64_t nrows, caprows;
    /* A proposed candidate's inherited rows are kept as a recipe, not a list: the first
     * lazy_parent_n rows of lazy_parent that keep lazy_f (alibi's t_idx[t] filtered by
     * f). `rows` then holds only the rows drawn for it since. The list is built when the
     * candidate becomes a parent; most candidates never do, and with K in the thousands
     * the lists would take gigabytes. -1 = rows is complete. */
    int64_t lazy_parent, lazy_parent_n;
    int lazy_f;
    int has_examples;         /* sampled directly at least once (t_covered_true exists) */
    int64_t *ex_true, *ex_false; /* cache rows of the last batch's examples */
    int64_t n_true, n_false;
    int64_t proposed_round;   /* last size round that proposed it */
} ex_anchor;

enum { EX_LABELS_UNKNOWN = 0, EX_LABELS_ARGMAX, EX_LABELS_GIVEN, EX_LABELS_ONE_COLUMN };

typedef struct ex_ctx {
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

    /* alibi's binary cache, stored as bits. */
    int64_t n_rows, cap_rows;
    uint64_t *masks;
    uint8_t *agree;
    int32_t *bg_index;
    int64_t alibi_capacity, prealloc;

    /* Memo: cache rows by (mask, background) key, open addressing. */
    int64_t *memo;
    size_t memo_mask, memo_used;

    /* Coverage masks, as one bitset of coverage rows per feature. */
    int64_t n_cov;
    int cov_words;
    uint64_t *cov_feature;     /* K x cov_words */

    /* Anchors and their lookup table. */
    ex_anchor *anchors;
    int64_t n_anchors, cap_anchors;
    int64_t *amap;
    size_t amap_mask, amap_used;

    /* Accounting. */
    int64_t *batch_sizes, n_batches, cap_batches;
    int64_t images_sampled, images_predicted, model_calls;
    double seconds_predictor;
    double t0;                 /* anchor_explain's start, for progress */
    int current_size;          /* anchor size being tried, for progress */
} ex_ctx;

struct anchor_explanation {
    anchor_result_status status;
    int success;
    int64_t instance_label;
    int k;
    anchor_image *segments;
    int remapped;
    int size;
    int *feature;
    double *precision, *coverage;
    double precision_all, coverage_all;
    int64_t num_preds;
    anchor_image **examples_true, **examples_false;
    int64_t *batch_sizes, n_batches;
    anchor_explain_stats stats;
};

/* sampler.c */
anchor_status ex_sampler_setup(ex_ctx *c, const anchor_image *image, const anchor_image *labels,
                               const anchor_image *backgrounds);
anchor_status ex_predict_instance(ex_ctx *c);
/* Draw n labelled samples for anchor `aid` (alibi's sampler call + update_state). */
anchor_status ex_draw_one(ex_ctx *c, int64_t aid, int64_t n, double *positives);
anchor_status ex_draw_coverage(ex_ctx *c, int64_t n);
/* Render cache row `row` into dst (img_bytes). */
void ex_render_row(const ex_ctx *c, int64_t row, uint8_t *dst);
void ex_sampler_free(ex_ctx *c);
void ex_log(const ex_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double ex_now(void);

/* beam.c */
anchor_status ex_anchor_lookup(ex_ctx *c, const int32_t *items, int size, int create, int64_t *aid);
anchor_status ex_anchor_beam(ex_ctx *c, anchor_explanation *e);
void ex_anchors_free(ex_ctx *c);

#endif
