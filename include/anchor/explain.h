/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: the explainer. Finds the anchor, the smallest set of superpixels that, kept
 * while the rest of the image is perturbed, keeps the classifier's prediction with high
 * precision, exactly as alibi 0.9's AnchorImage does (../shared/SPEC.md): same seed,
 * image, label map and deterministic predictor give the same anchor, precisions,
 * coverages and sequence of predictor batch sizes.
 *
 * Beyond alibi: predictions are memoised within one explanation (identical perturbations
 * are never sent to the model twice; all statistics still count every sample), every
 * failure is a status with a message, and all randomness comes from the call's own
 * generator seeded from params.seed. */
#ifndef ANCHOR_EXPLAIN_H
#define ANCHOR_EXPLAIN_H

#include <stdbool.h>

#include "anchor/image.h"
#include "anchor/predict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* numpy's legacy generator state, the fields of np.random.get_state(): ('MT19937', key, pos,
 * has_gauss, cached_gaussian). alibi draws every random number from numpy's global
 * generator, so a caller that shares that generator with other code (the Python package)
 * passes its state in and puts the explanation's final state back. */
#define ANCHOR_MT19937_WORDS 624
typedef struct anchor_mt19937_state {
    uint32_t key[ANCHOR_MT19937_WORDS];
    int32_t pos;            /* 0..624: the next word to use; 624 regenerates the key first */
    bool has_gauss;         /* carried through: the search draws no normals */
    double cached_gaussian;
} anchor_mt19937_state;
/* Upper bounds of the count parameters: far above any real use (alibi's defaults are 100,
 * 10000, 1, 100, 10, 10000, 1000), low enough that a typo cannot make a run that never
 * ends or exhausts memory. anchor_explain_params_validate names the bound it enforces. */
#define ANCHOR_MAX_BATCH_SIZE 100000
#define ANCHOR_MAX_COVERAGE_SAMPLES 1000000
#define ANCHOR_MAX_BEAM_SIZE 1000
#define ANCHOR_MAX_MIN_SAMPLES_START 1000000
#define ANCHOR_MAX_N_COVERED_EX 1000
#define ANCHOR_MAX_BINARY_CACHE_SIZE 1000000000 /* only a capacity: nothing is allocated up front */
#define ANCHOR_MAX_CACHE_MARGIN 10000000
/* What one explanation may hold in memory besides the images: the sample cache (one bit
 * per superpixel per sample, plus its label and background) is refused beyond this many
 * bytes, with a message; the memo stops remembering new samples beyond ANCHOR_MEMO_MAX
 * (later repeats are sent to the model again: same answers, more model calls). */
#define ANCHOR_SAMPLE_CACHE_MAX_BYTES ((int64_t)1 << 31)
#define ANCHOR_MEMO_MAX ((int64_t)1 << 22)

/* Where a running explanation is, for a progress display: reported just before each call
 * to the model (so a slow or hung model shows as "waiting") and just after it. */
typedef struct anchor_explain_progress {
    int64_t predictor_calls;  /* model calls made so far (after the memo), incl. the one under way */
    int64_t images_predicted; /* images sent to the model so far */
    int64_t images_sampled;   /* images the search asked about (before the memo) */
    int64_t batch_images;     /* images in the call under way (0 once it returned) */
    int anchor_size;          /* size of the anchors being tried now (0 before the search) */
    int n_segments;           /* K */
    double seconds;           /* since anchor_explain started */
} anchor_explain_progress;

/* Every parameter of alibi's AnchorImage.explain(), with alibi's defaults, plus the seed
 * (alibi's AnchorImage(seed=...)) and our own switches. */
typedef struct anchor_explain_params {
    double p_sample;           /* 0.5: probability that a superpixel is perturbed */
    double threshold;          /* 0.95: desired precision, in (0, 1] */
    double delta;              /* 0.1: confidence parameter, in (0, 1) */
    double tau;                /* 0.15: KL-LUCB tolerance (alibi's epsilon), > 0 */
    int64_t batch_size;        /* 100 */
    int64_t coverage_samples;  /* 10000 */
    int64_t beam_size;         /* 1 */
    bool stop_on_first;        /* false */
    int64_t max_anchor_size;   /* 0 = K (alibi's None) */
    int64_t min_samples_start; /* 100 */
    int64_t n_covered_ex;      /* 10: examples kept per prefix, per kind */
    int64_t binary_cache_size; /* 10000 */
    int64_t cache_margin;      /* 1000 */
    double epsilon_stop;       /* 0.05: alibi's hidden anchor_beam kwarg */
    uint32_t seed;             /* 0: np.random.seed(seed) */
    bool memoize;              /* true: never send the same perturbation twice */
    /* Optional trace and warnings, one line per call (alibi's verbose output and the
     * label-remap warning). NULL = quiet. */
    void (*log)(void *user, const char *line);
    void *log_user;
    bool verbose;              /* false: warnings only; true: also the LUCB/beam trace */
    int64_t verbose_every;     /* 1 */

    /* NULL: start from np.random.seed(seed). Otherwise start from this state (seed is
     * unused), e.g. np.random.get_state() taken just before alibi's explain() would run. */
    const anchor_mt19937_state *rng_state;
    /* Optional progress report (see anchor_explain_progress); NULL = none. Called on the
     * caller's thread; it must not call back into the explainer. */
    void (*progress)(void *user, const anchor_explain_progress *progress);
    void *progress_user;
} anchor_explain_params;

ANCHOR_API void anchor_explain_params_default(anchor_explain_params *p);
/* Range checks: threshold in (0,1], p_sample in [0,1], batch_size >= 1, ... */
ANCHOR_API anchor_status anchor_explain_params_validate(const anchor_explain_params *p, anchor_error *err);

typedef enum anchor_result_status {
    ANCHOR_RESULT_FOUND = 0,       /* a valid anchor (alibi success = True) */
    ANCHOR_RESULT_BELOW_THRESHOLD, /* nothing valid: alibi's best-of-size fallback (success = False) */
    ANCHOR_RESULT_EMPTY_ANCHOR     /* the empty anchor already holds the prediction */
} anchor_result_status;
ANCHOR_API const char *anchor_result_status_name(anchor_result_status s); /* "FOUND", ... */

typedef struct anchor_explain_stats {
    int64_t predictor_calls;  /* sample batches during explain, incl. the 1-image instance call */
    int64_t images_sampled;   /* images in those batches: what alibi sends to the model */
    int64_t images_predicted; /* distinct images actually sent to the model (after the memo) */
    double seconds_total;     /* wall time of anchor_explain */
    double seconds_predictor; /* of which inside the predictor */
    int64_t model_calls;      /* predictor calls actually made (after the memo; batches of 0 are skipped) */
} anchor_explain_stats;

typedef struct anchor_explanation anchor_explanation;

/* Explain `image` (N = 1; H x W x C, uint8 or float32) under the label map `segments`
 * (H x W, any integer labels: remapped to 0..K-1 by sorted value with a warning when they
 * are not already 0..K-1). `backgrounds` (may be NULL) is a B x H x W x C batch in the
 * image's dtype or uint8 (alibi's images_background). */
ANCHOR_API anchor_status anchor_explain(const anchor_image *image, const anchor_image *segments,
                                        const anchor_image *backgrounds, anchor_predictor *predictor,
                                        const anchor_explain_params *params, anchor_explanation **out,
                                        anchor_error *err);
ANCHOR_API void anchor_explanation_destroy(anchor_explanation *e);

ANCHOR_API anchor_result_status anchor_explanation_status(const anchor_explanation *e);
ANCHOR_API bool anchor_explanation_success(const anchor_explanation *e);
/* The unperturbed image's label (argmax of its scores, first index on ties; the label
 * itself for a labels predictor). A predictor answering N x 1 scores is taken to answer
 * labels, as alibi does (SPEC §2 step 3): samples agree when their score equals the
 * image's, and this returns that score truncated to an integer. */
ANCHOR_API int64_t anchor_explanation_instance_label(const anchor_explanation *e);
/* K, and the 0..K-1 label map the search used. */
ANCHOR_API int anchor_explanation_n_segments(const anchor_explanation *e);
ANCHOR_API const anchor_image *anchor_explanation_segments(const anchor_explanation *e);
ANCHOR_API bool anchor_explanation_labels_remapped(const anchor_explanation *e);

/* The anchor: its features in the order the search added them (alibi's raw['feature']),
 * and per prefix feature[0..i] its precision and coverage. */
ANCHOR_API int anchor_explanation_size(const anchor_explanation *e);
ANCHOR_API int anchor_explanation_feature(const anchor_explanation *e, int i);
ANCHOR_API double anchor_explanation_prefix_precision(const anchor_explanation *e, int i);
ANCHOR_API double anchor_explanation_prefix_coverage(const anchor_explanation *e, int i);
/* Those of the whole anchor; for the empty anchor its sampled precision and coverage 1. */
ANCHOR_API double anchor_explanation_precision(const anchor_explanation *e);
ANCHOR_API double anchor_explanation_coverage(const anchor_explanation *e);
/* alibi's raw['num_preds'] (the sample-cache capacity, or for the empty anchor the samples drawn). */
ANCHOR_API int64_t anchor_explanation_num_preds(const anchor_explanation *e);

/* Covered examples of prefix i, from the last batch drawn for it: the perturbed images
 * (image dtype, unscaled) that kept the label (`kept` true, alibi's covered_true) or lost
 * it (false, covered_false). NULL when there are none. */
ANCHOR_API const anchor_image *anchor_explanation_examples(const anchor_explanation *e, int i, bool kept);

/* The sizes of the predictor batches in call order, as alibi would make them (the first is
 * the 1-image instance call), whatever the memo saved. */
ANCHOR_API const int64_t *anchor_explanation_batch_sizes(const anchor_explanation *e, int64_t *count);
ANCHOR_API void anchor_explanation_stats(const anchor_explanation *e, anchor_explain_stats *stats);
/* The generator's state when the search ended: where alibi leaves numpy's global
 * generator after explain() (np.random.set_state() it to continue the caller's stream). */
ANCHOR_API void anchor_explanation_rng_state(const anchor_explanation *e, anchor_mt19937_state *state);

/* alibi's explanation.anchor: the anchor superpixels of `image`, contrast-stretched over
 * the whole image to 0..255 and truncated, everything else 0. Returned as uint8 H x W x C.
 * The picture is anchor_render_anchor's (render.h). */
ANCHOR_API anchor_status anchor_explanation_anchor_image(const anchor_explanation *e, const anchor_image *image,
                                              anchor_image **out, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
