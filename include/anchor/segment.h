/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: cutting an image into superpixels.
 *
 * The methods reproduce scikit-image 0.19.3 label for label: slic, quickshift and
 * felzenszwalb, plus a regular grid and user label maps. A label map is an anchor_image of
 * N = 1, C = 1, dtype INT32.
 *
 * Input convention (alibi's): the segmenters receive uint8, float32 or float64 images with
 * 1 or 3 channels; anchor_segmenter_run repeats a 1-channel image to 3 channels first, as
 * alibi does before calling skimage, while the explainer keeps perturbing the 1-channel
 * original. */
#ifndef ANCHOR_SEGMENT_H
#define ANCHOR_SEGMENT_H

#include <stdbool.h>

#include "anchor/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many segments in a label map used for explanation (mask rows are K wide). */
#define ANCHOR_MAX_SEGMENTS 65536

/* skimage.segmentation.slic parameters (channel_axis = -1, mask = None). */
typedef struct anchor_slic_params {
    int n_segments;           /* > 0 */
    double compactness;       /* > 0 */
    int max_num_iter;         /* >= 0 */
    double sigma;             /* >= 0; Gaussian pre-smoothing, scipy.ndimage semantics */
    double spacing[2];        /* row and column spacing, > 0 (skimage default 1, 1) */
    int convert2lab;           /* -1 = auto (skimage's None: True for 3 channels), 0, 1 */
    bool enforce_connectivity;
    double min_size_factor;    /* >= 0 */
    double max_size_factor;    /* > 0 */
    bool slic_zero;
    int start_label;           /* 0 or 1 */
} anchor_slic_params;

/* skimage's own defaults: n_segments 100, compactness 10, max_num_iter 10, sigma 0, ...
 * anchor_slic_params_default and anchor_slic_params_skimage are the same preset. */
ANCHOR_API void anchor_slic_params_default(anchor_slic_params *p);
ANCHOR_API void anchor_slic_params_skimage(anchor_slic_params *p);
/* alibi's defaults: skimage's with n_segments 10, compactness 10, sigma 0.5, start_label 0. */
ANCHOR_API void anchor_slic_params_alibi(anchor_slic_params *p);
/* SLIC on a 1- or 3-channel image. Labels start at p->start_label, as skimage's do. */
ANCHOR_API anchor_status anchor_slic(const anchor_image *image, const anchor_slic_params *p,
                                     anchor_image **labels, anchor_error *err);

/* skimage.segmentation.quickshift parameters. */
typedef struct anchor_quickshift_params {
    double ratio;       /* in [0, 1] */
    double kernel_size; /* > 0 */
    double max_dist;    /* > 0 */
    double sigma;       /* >= 0 */
    bool convert2lab;
    int64_t random_seed;
} anchor_quickshift_params;
/* skimage's defaults (the same preset under two names, as for slic). */
ANCHOR_API void anchor_quickshift_params_default(anchor_quickshift_params *p);
ANCHOR_API void anchor_quickshift_params_skimage(anchor_quickshift_params *p);
ANCHOR_API anchor_status anchor_quickshift(const anchor_image *image, const anchor_quickshift_params *p,
                                anchor_image **labels, anchor_error *err);

/* skimage.segmentation.felzenszwalb parameters. */
typedef struct anchor_felzenszwalb_params {
    double scale; /* > 0 */
    double sigma; /* >= 0 */
    int min_size; /* >= 0 */
} anchor_felzenszwalb_params;
/* skimage's defaults (the same preset under two names, as for slic). */
ANCHOR_API void anchor_felzenszwalb_params_default(anchor_felzenszwalb_params *p);
ANCHOR_API void anchor_felzenszwalb_params_skimage(anchor_felzenszwalb_params *p);
ANCHOR_API anchor_status anchor_felzenszwalb(const anchor_image *image, const anchor_felzenszwalb_params *p,
                                  anchor_image **labels, anchor_error *err);

/* A rows x cols grid of equal tiles; the last row and column take the remainder. */
typedef struct anchor_grid_params {
    int rows, cols; /* 1 .. image height / width */
} anchor_grid_params;
/* 4 x 4, the segmenter's default grid. */
ANCHOR_API void anchor_grid_params_default(anchor_grid_params *p);
ANCHOR_API anchor_status anchor_grid(int64_t height, int64_t width, const anchor_grid_params *p,
                          anchor_image **labels, anchor_error *err);

/* ---- Method-independent front end (what the CLI and alibi-style callers use) ---------
 * anchor_segmenter_create takes a method name ("slic", "quickshift", "felzenszwalb",
 * "grid") and starts from alibi's default table (slic: n_segments 10, compactness 10,
 * sigma 0.5, start_label 0; the others: skimage's defaults; grid: 4 x 4).
 * anchor_segmenter_set takes skimage's parameter names and values as text. As in alibi,
 * user kwargs are used as given, not merged with alibi's table: the first set() call
 * resets every parameter to skimage's default before applying the value. Unknown keys,
 * malformed values and out-of-range values fail with a message naming the key. */
typedef struct anchor_segmenter anchor_segmenter;
ANCHOR_API anchor_status anchor_segmenter_create(const char *method, anchor_segmenter **out, anchor_error *err);
ANCHOR_API anchor_status anchor_segmenter_set(anchor_segmenter *s, const char *key, const char *value,
                                   anchor_error *err);
ANCHOR_API const char *anchor_segmenter_method(const anchor_segmenter *s);
/* The segmentation kwargs as alibi records them in meta.params, as a JSON object: the
 * set() calls in order (values that read as numbers become JSON numbers, the rest
 * strings; a key set twice keeps its last value), or when there were none alibi's default
 * table ({"n_segments": 10, "compactness": 10, "sigma": 0.5, "start_label": 0} for slic,
 * {} for the others). *out is malloc'd: release it with free(). */
ANCHOR_API anchor_status anchor_segmenter_kwargs_json(const anchor_segmenter *s, char **out, anchor_error *err);
/* Run on an image (gray is repeated to 3 channels for the pixel-based methods). The
 * labels are returned as the method produces them (slic with start_label 1 gives 1..K). */
ANCHOR_API anchor_status anchor_segmenter_run(const anchor_segmenter *s, const anchor_image *image,
                                              anchor_image **labels, anchor_error *err);
ANCHOR_API void anchor_segmenter_destroy(anchor_segmenter *s);

/* ---- Label maps ----------------------------------------------------------------------
 * Remap any integer label map (INT32, INT64, UINT8 or UINT16, N = 1, C = 1) to INT32 labels
 * 0..K-1 by sorted value. *n_segments receives K; *changed (may be NULL) is set to true when
 * the input was not already 0..K-1. Fails beyond ANCHOR_MAX_SEGMENTS. */
ANCHOR_API anchor_status anchor_labels_normalize(const anchor_image *labels, int *n_segments, bool *changed, anchor_image **out,
                                      anchor_error *err);

/* Load a user label map: .npy (integer dtypes) or a 16-bit/8-bit gray PNG. */
ANCHOR_API anchor_status anchor_labels_load(const char *path, anchor_image **labels, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
