/* SPDX-License-Identifier: Apache-2.0 */
/* anchor explain's options, shared by the one-image command (cmd_explain.c) and the batch
 * mode (cmd_explain_batch.c), and the per-image steps both run, so that an image explained
 * in a batch goes through exactly the code of a single run. */
#ifndef ANCHOR_CLI_CMD_EXPLAIN_H
#define ANCHOR_CLI_CMD_EXPLAIN_H

#include <stdbool.h>

#include <anchor/anchor.h>

#define CLI_EXPLAIN_MAX_LIST 256

typedef struct cli_explain_options {
    const char *image, *outdir;
    const char *resize, *resize_filter;
    const char *segmentation, *segments;
    const char *seg_args[CLI_EXPLAIN_MAX_LIST];
    int n_seg_args;
    const char *backgrounds[CLI_EXPLAIN_MAX_LIST];
    int n_backgrounds;
    const char *predict_cmd, *model, *preprocess, *predictor_url, *predictor_protocol, *precision;
    bool softmax;
    bool resize_for_model; /* o->resize is the model's input size, not a --resize */
    bool progress;         /* --progress: the status line even when stderr is not a terminal */
    double timeout;
    int64_t max_batch;
    anchor_explain_params params;
    /* batch mode (cmd_explain_batch.c): several inputs, a folder, @list, or a batch flag */
    bool batch;
    const char **inputs; /* every IMAGE argument (malloc'd array of argv pointers) */
    int n_inputs;
    int64_t jobs;
    bool recursive, force, quiet;
    const char *shard, *class_names;
} cli_explain_options;

/* One image's steps, for o->image (cmd_explain.c). */
anchor_status cli_explain_load_model(const cli_explain_options *o, anchor_model **out, anchor_error *err);
/* *photo (when photo is not NULL) receives the image as loaded, before --resize. */
anchor_status cli_explain_load_image(const cli_explain_options *o, anchor_image **out, anchor_image **photo,
                                     anchor_error *err);
/* The label map, and for a segmenter the kwargs it ran with (*kwargs malloc'd JSON, NULL for
 * a label map file). */
anchor_status cli_explain_make_segments(const cli_explain_options *o, const anchor_image *img,
                                        anchor_image **labels, char **kwargs, anchor_error *err);
anchor_status cli_explain_load_backgrounds(const cli_explain_options *o, const anchor_image *img,
                                           anchor_image **out, int64_t *count, anchor_error *err);
/* What anchor_output_write records about the run (kwargs: from cli_explain_make_segments). */
void cli_explain_output_info(const cli_explain_options *o, int64_t n_bg, double seconds_run, char *segdesc,
                             size_t segdesc_size, const char *kwargs, anchor_output_info *info);

/* The batch mode: explain every input into its own folder under o->outdir. */
int cli_explain_batch(cli_explain_options *o);

#endif
