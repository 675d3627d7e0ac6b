/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: explaining many images in one run.
 *
 * A batch is a sorted list of image files (from paths, folders and @list files), each
 * explained into its own folder under one output folder, with a results.jsonl line per
 * image, results.csv with the same columns and report.html, a static page to look at.
 * The run is resumable (an image whose folder and result line exist is skipped) and
 * shardable (shard i of n takes the images whose index in the sorted list is i mod n), so
 * a cluster's workers each need only their index; anchor_batch_merge joins their folders.
 *
 * The library does not know how one image is explained (segmenter, predictor, resizing):
 * the caller passes that as a callback, so the same runner serves the CLI, a server or a
 * binding. Several jobs call the callback from several threads at once; a predictor shared
 * between them must be made safe for that (anchor_predictor_create_serialized, predict.h). */
#ifndef ANCHOR_BATCH_H
#define ANCHOR_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "anchor/explain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Inputs -------------------------------------------------------------------------- */
typedef struct anchor_batch_inputs anchor_batch_inputs;

typedef struct anchor_batch_input_options {
    bool recursive; /* descend into sub-folders of folder arguments */
} anchor_batch_input_options;
ANCHOR_API void anchor_batch_input_options_default(anchor_batch_input_options *opt);

/* Each argument is an image file, a folder (its .png, .jpg, .jpeg and .npy files, by
 * name, case-insensitive) or @FILE (one path per line; blank lines and lines starting
 * with # are skipped; relative paths are taken from the current directory). The same
 * file given twice is listed once. Fails, naming the argument, on a missing or unreadable
 * path, a folder without images, an empty list, or a list line that is not a file.
 * The list is sorted by path relative to the inputs' common folder; each image gets an
 * output name from that relative path (extension dropped, '/' written "__", characters
 * other than letters, digits, '.', '-' and '_' written '_'), made unique (ignoring case)
 * by a "-2", "-3", ... suffix in list order, so names never depend on the shard. */
ANCHOR_API anchor_status anchor_batch_inputs_create(const char *const *args, int n_args, const anchor_batch_input_options *opt,
                                         anchor_batch_inputs **out, anchor_error *err);
ANCHOR_API void anchor_batch_inputs_destroy(anchor_batch_inputs *in);
ANCHOR_API int64_t anchor_batch_inputs_count(const anchor_batch_inputs *in);
ANCHOR_API const char *anchor_batch_inputs_file(const anchor_batch_inputs *in, int64_t i);     /* absolute path */
ANCHOR_API const char *anchor_batch_inputs_relative(const anchor_batch_inputs *in, int64_t i); /* to the common folder */
ANCHOR_API const char *anchor_batch_inputs_name(const anchor_batch_inputs *in, int64_t i);     /* output folder name */

/* Keep only shard `index` of `count` (0 <= index < count): the images at positions
 * index, index + count, ... of the sorted list. Names are kept as given by the full list. */
ANCHOR_API anchor_status anchor_batch_inputs_shard(anchor_batch_inputs *in, int64_t index, int64_t count, anchor_error *err);

/* "i/n" (0-based i), "auto" or "auto/n": auto reads JOB_COMPLETION_INDEX (a Kubernetes
 * Indexed Job; n from "auto/n") or SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN when
 * set) with SLURM_ARRAY_TASK_COUNT (or n from "auto/n"). */
ANCHOR_API anchor_status anchor_batch_shard_parse(const char *spec, int64_t *index, int64_t *count, anchor_error *err);

/* Refuse an output folder that is one of the input folders or inside one (a recursive
 * rerun would explain its own pictures), before any work. */
ANCHOR_API anchor_status anchor_batch_inputs_check_output(const anchor_batch_inputs *in, const char *outdir, anchor_error *err);

/* ---- Results --------------------------------------------------------------------------- */
/* One image's line in results.jsonl / results.csv. Strings and features are owned by
 * whoever filled the record (the runner frees what it made). */
typedef struct anchor_batch_result {
    const char *path;       /* relative to the inputs' common folder */
    const char *file;       /* the image file, absolute (for the report's photo) */
    const char *output;     /* the image's folder, relative to the results' folder */
    const char *status;     /* FOUND, BELOW_THRESHOLD, EMPTY_ANCHOR, or ERROR */
    const char *error;      /* the message for ERROR, else NULL */
    int64_t class_index;    /* the explained prediction; -1 when unknown */
    const char *class_name; /* from the class names given, or NULL */
    const int *features;    /* the anchor's superpixels in the order found */
    int n_features;
    int n_segments;
    double precision, coverage;
    double seconds;           /* wall time for this image (load, segment, explain, write) */
    int64_t images_predicted; /* images actually sent to the model */
} anchor_batch_result;

/* ---- The run --------------------------------------------------------------------------- */
/* Explain the image `file` into the folder `outdir` (which must appear whole or not at
 * all, as anchor_output_write makes it) and return the explanation for the results. */
typedef anchor_status (*anchor_batch_explain_fn)(void *user, const char *file, const char *outdir,
                                                 anchor_explanation **out, anchor_error *err);

typedef struct anchor_batch_progress {
    int64_t done, total;          /* images finished (incl. skipped and failed) of this run */
    int64_t ok, failed, skipped;  /* skipped: complete from an earlier run */
    double seconds;               /* since the run started */
    const char *path;             /* the image just finished */
    const anchor_batch_result *result; /* its record (NULL when skipped) */
} anchor_batch_progress;

typedef struct anchor_batch_params {
    int jobs;                      /* 1: images explained at once (threads calling explain_fn) */
    bool force;                    /* false: redo images whose complete output exists */
    const anchor_class_names *class_names; /* class names by index (may be NULL) */
    /* Called after each image, from the finishing thread but never concurrently. */
    void (*progress)(void *user, const anchor_batch_progress *p);
    void *progress_user;
    /* Called when an image starts (same guarantee), e.g. to show the current image. */
    void (*started)(void *user, const char *path);
} anchor_batch_params;
ANCHOR_API void anchor_batch_params_default(anchor_batch_params *p);

typedef struct anchor_batch_summary {
    int64_t total, ok, failed, skipped;
    double seconds;
} anchor_batch_summary;

/* Run the batch into `outdir` (created, with its parents, if absent). Results are
 * appended to results.jsonl (flushed to disk) as each image ends, so a killed run loses
 * only the images in flight; at the end results.jsonl is rewritten in list order, and
 * results.csv and report.html are written. A failing image is recorded as ERROR with its
 * message and the run goes on: only problems with `outdir` itself stop it. */
ANCHOR_API anchor_status anchor_batch_run(const anchor_batch_inputs *in, const char *outdir, const anchor_batch_params *params,
                               anchor_batch_explain_fn explain_fn, void *user, anchor_batch_summary *summary,
                               anchor_error *err);

/* Join the results of several batch folders (shards of one run) into `outdir`:
 * results.jsonl, results.csv and report.html, image folders referenced where they are.
 * An image in several folders keeps its successful record, else the last one. With one
 * folder and outdir equal to it, this rebuilds its report. */
ANCHOR_API anchor_status anchor_batch_merge(const char *const *dirs, int n_dirs, const char *outdir,
                                 anchor_batch_summary *summary, anchor_error *err);


#ifdef __cplusplus
}
#endif
#endif
