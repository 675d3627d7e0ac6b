/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: writing an explanation to a directory, for programs and for people.
 *
 * OUTDIR/
 *   explanation.json  alibi's Explanation layout (meta: name, type, explanations, params,
 *                     version; data: anchor, segments, precision, coverage, raw), arrays
 *                     given by file name, plus "status" and "stats"
 *   anchor.png        alibi's explanation.anchor as uint8 (anchor superpixels contrast-
 *                     stretched over the whole image, everything else black)
 *   segments.npy      the int32 H x W label map the search used (0..K-1)
 *   segments.png      the label map in viridis, min-max normalised over the labels
 *   overlay.png       the photo with superpixel boundaries, the anchor bright and outlined,
 *                     everything else dimmed
 *   overlay_full.png  the same drawn on the photo at its own resolution, when the image was
 *                     resized before explaining (info->photo); the label map is scaled to it
 *                     by nearest neighbour (pixel centres)
 *   examples/         covered_true_<prefix>_<i>.png and covered_false_<prefix>_<i>.png, each
 *                     scaled to 0..255 on its own as alibi's scale_image does
 *
 * The pictures are drawn by include/anchor/render.h; this module only writes them.
 *
 * The directory appears whole or not at all: it is built as OUTDIR.tmp.PID beside the
 * target and renamed at the end; on any failure the temporary directory is removed. An
 * existing OUTDIR is replaced only when it is empty or holds an explanation.json. */
#ifndef ANCHOR_OUTPUT_H
#define ANCHOR_OUTPUT_H

#include "anchor/explain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the library cannot know about the run, recorded in meta.params (all optional). */
typedef struct anchor_output_info {
    const char *image_file;           /* the explained file */
    const char *segmentation;         /* method name ("slic", ...) or "labels:<file>" */
    const char *segmentation_kwargs;  /* a JSON object as text, e.g. {"n_segments": 10}, or NULL */
    const char *predictor;            /* e.g. the --predict-cmd command */
    const char *const *backgrounds;   /* background files, n_background_files of them */
    int n_background_files;
    int64_t n_backgrounds;            /* images in the background batch (0 = none) */
    double seconds_run;               /* whole run incl. loading and segmentation; < 0 = unknown */
    const anchor_image *photo;        /* the image before resizing (N = 1), or NULL */
} anchor_output_info;
ANCHOR_API void anchor_output_info_default(anchor_output_info *info);

/* Check, before any work, that OUTDIR can be written: absent, or a directory holding only
 * what anchor_output_write makes; and its parent folder exists. */
ANCHOR_API anchor_status anchor_output_check_target(const char *outdir, anchor_error *err);

/* Write the directory for explanation `e` of `image` (the image as explained, N = 1). */
ANCHOR_API anchor_status anchor_output_write(const char *outdir, const anchor_explanation *e,
                                             const anchor_image *image, const anchor_explain_params *params,
                                             const anchor_output_info *info, anchor_error *err);
/* explanation.json's content as one line of text, for a server's answer (free() it): the
 * same layout, except that data.anchor (uint8 H x W x C) and data.segments (H x W) are
 * nested lists, as alibi's Explanation.to_json() prints its arrays, and raw.examples holds
 * empty lists (no pictures). `info` may be NULL. */
ANCHOR_API anchor_status anchor_explanation_to_json(const anchor_explanation *e, const anchor_image *image,
                                                    const anchor_explain_params *params,
                                                    const anchor_output_info *info, char **out, anchor_error *err);


#ifdef __cplusplus
}
#endif
#endif
