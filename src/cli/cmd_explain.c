/* SPDX-License-Identifier: Apache-2.0 */
/* anchor explain: find the anchor of an image classifier's prediction (alibi's AnchorImage).
 *
 * The command is a thin, careful layer: parse and check every flag (names and defaults
 * are alibi's explain() arguments), load the image (PNG/JPEG as Pillow reads it, or .npy
 * as stored), segment it (a segmenter or the user's label map), load the background
 * images, start the predictor (a program over a pipe, or the built-in ONNX engine), run
 * the explainer and write OUTDIR atomically. Every problem is found before the
 * classifier is started where possible, reported in one line, and leaves no OUTDIR. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <anchor/anchor.h>

#include "cli.h"
#include "cmd_explain.h"

#define CMD "explain"
#define MAX_LIST CLI_EXPLAIN_MAX_LIST

static void usage(FILE *out)
{
    fprintf(out,
            "usage: anchor explain IMAGE (--predict-cmd CMD | --model M.onnx) -o OUTDIR [options]\n"
            "       anchor explain IMAGE|FOLDER|@LIST... (--predict-cmd CMD | --model M.onnx) -o OUTDIR [batch options]\n"
            "\n"
            "Finds the anchor of the classifier's prediction on IMAGE: the superpixels that, kept while the\n"
            "rest of the image is perturbed, keep the prediction with high precision. Same search, same\n"
            "answers as alibi's AnchorImage.explain() given the same seed, label map and classifier.\n"
            "\n"
            "input\n"
            "  IMAGE                     PNG or JPEG (uint8; gray stays 1 channel), or .npy (uint8 or\n"
            "                            float32, HxWxC or HxW)\n"
            "  --resize WxH              resize IMAGE (and photo backgrounds) first, as Pillow does;\n"
            "                            with --model the default is the model's input size\n"
            "  --resize-filter F         nearest, bilinear, bicubic (default), lanczos\n"
            "  --segmentation M          slic (default), quickshift, felzenszwalb, grid\n"
            "  --seg-arg KEY=VALUE       a segmentation parameter, skimage's name (repeatable); as in alibi,\n"
            "                            any --seg-arg replaces alibi's slic defaults\n"
            "                            (n_segments=10 compactness=10 sigma=0.5 start_label=0)\n"
            "  --segments FILE           your own label map instead: .npy (integers) or gray PNG, HxW\n"
            "  --background FILE         background images (alibi's images_background): a photo, or a .npy\n"
            "                            of one HxWxC image or a BxHxWxC batch; repeatable, concatenated\n"
            "classifier\n"
            "  --predict-cmd CMD         a program speaking the .npy pipe protocol, started once by\n"
            "                            /bin/sh -c CMD\n"
            "  --predict-timeout S       seconds a request may take before the program is stopped (default\n"
            "                            300: a batch of 100 images through a big model on a CPU can take\n"
            "                            minutes; lower it to catch a hung program sooner)\n"
            "  --max-batch N             split requests larger than N images (default: never)\n"
            "  --model M.onnx            the built-in ONNX engine instead\n"
            "  --predictor-url URL       a model server instead (KServe v1 .../v1/models/NAME:predict or\n"
            "                            v2 .../v2/models/NAME/infer with binary tensors); --predict-timeout\n"
            "                            and --max-batch apply\n"
            "  --predictor-protocol P    v1 or v2 (default: v2 when the URL has /v2/, else v1)\n"
            "  --preprocess P            for --model: raw (default), raw-bgr, inception, caffe, torch\n"
            "  --softmax                 for --model: apply softmax to the model's output\n"
            "  --precision P             for --model: fp32 (default) or bf16 (Conv/Gemm/MatMul in\n"
            "                            bfloat16 where the CPU has it, else fp32 with a notice)\n"
            "search (alibi's explain() arguments and defaults)\n"
            "  --threshold X             desired precision, in (0, 1] (0.95)\n"
            "  --p-sample X              probability that a superpixel is perturbed, in [0, 1] (0.5)\n"
            "  --delta X                 confidence, in (0, 1) (0.1)\n"
            "  --tau X                   KL-LUCB tolerance, > 0 (0.15)\n"
            "  --batch-size N            (100)\n"
            "  --coverage-samples N      (10000)\n"
            "  --beam-size N             (1)\n"
            "  --stop-on-first           stop at the first valid anchor\n"
            "  --max-anchor-size N       (default: no limit)\n"
            "  --min-samples-start N     (100)\n"
            "  --n-covered-ex N          examples kept per prefix and kind (10)\n"
            "  --binary-cache-size N     (10000)\n"
            "  --cache-margin N          (1000)\n"
            "  --epsilon-stop X          (0.05)\n"
            "  --seed N                  alibi's AnchorImage(seed=N) (0)\n"
            "  --no-memo                 send repeated perturbations to the model again\n"
            "  --verbose                 print the search trace on stderr\n"
            "  --progress                a one-line status on stderr (model calls, images predicted, anchor\n"
            "                            size, time) even when stderr is not a terminal; on a terminal it\n"
            "                            is always shown\n"
            "output\n"
            "  -o, --output OUTDIR       explanation.json, anchor.png, segments.npy, segments.png,\n"
            "                            overlay.png, overlay_full.png (at the photo's own size, when resized),\n"
            "                            examples/ (written whole or not at all)\n"
            "batch (several IMAGEs, a FOLDER, an @LIST file of paths, or any flag below; docs/batch.md)\n"
            "  OUTDIR/NAME/              one folder per image as above, NAME from its path relative to the\n"
            "                            inputs' common folder ('/' as '__', no extension, -2.. on clashes);\n"
            "                            OUTDIR/results.jsonl, results.csv and report.html for all of them\n"
            "  --recursive               look into sub-folders of FOLDER\n"
            "  --jobs N                  explain N images at once, sharing the classifier (1)\n"
            "  --shard I/N | auto[/N]    take shard I (0-based) of N of the sorted images; auto reads\n"
            "                            JOB_COMPLETION_INDEX (Kubernetes, with auto/N) or\n"
            "                            SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; join with anchor report\n"
            "  --force                   redo images already explained (default: a rerun skips them)\n"
            "  --labels FILE             class names for the results: one per line, or imagenet_class_index.json\n"
            "  --quiet                   no progress (default: a bar on a terminal, else a line per image)\n"
            "\n"
            "limits\n"
            "  counts: --batch-size <= %d, --coverage-samples <= %d, --beam-size <= %d,\n"
            "  --min-samples-start <= %d, --n-covered-ex <= %d, --binary-cache-size <= %d.\n"
            "  memory: the sample cache (one bit per superpixel per sample) holds at most %lld MiB, else\n"
            "  the run stops with a message; the memo remembers at most %lld distinct samples, beyond\n"
            "  which repeats are sent to the model again (same answers, more calls).\n"
            "\n"
            "Exit status: 0 done (batch: every image explained), 1 failure (batch: no image explained),\n"
            "2 bad usage or bad input found before any work, 3 batch: some images failed (see results.jsonl).\n",
            ANCHOR_MAX_BATCH_SIZE, ANCHOR_MAX_COVERAGE_SAMPLES, ANCHOR_MAX_BEAM_SIZE, ANCHOR_MAX_MIN_SAMPLES_START,
            ANCHOR_MAX_N_COVERED_EX, ANCHOR_MAX_BINARY_CACHE_SIZE, (long long)(ANCHOR_SAMPLE_CACHE_MAX_BYTES >> 20),
            (long long)ANCHOR_MEMO_MAX);
}

typedef cli_explain_options options;

/* ---- flag values -------------------------------------------------------------------------- */

static int parse_double(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) {
        cli_error(CMD, "%s: '%s' is not a number", flag, s);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_int(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno) {
        cli_error(CMD, "%s: '%s' is not an integer", flag, s);
        return 0;
    }
    if (v < lo || v > hi) {
        cli_error(CMD, "%s: %lld is out of range [%lld, %lld]", flag, v, (long long)lo, (long long)hi);
        return 0;
    }
    *out = v;
    return 1;
}

/* Returns 0 ok, 1 --help shown, 2 usage error (message printed). */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    anchor_explain_params_default(&o->params);
    o->jobs = 1;
    /* IMAGE arguments are gathered at the front of argv, as getopt permutes it: slot k is
     * written only after argument k has been read */
    o->inputs = (const char **)argv + 1;
    anchor_pipe_options po;
    anchor_pipe_options_default(&po);
    o->timeout = po.timeout_seconds;
    o->max_batch = po.max_batch;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (!o->image)
                o->image = a;
            argv[1 + o->n_inputs++] = (char *)a;
            continue;
        }
        /* --flag=value or --flag value */
        char flag[64];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        if (eq && eq - a < (long)sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        /* switches */
        static const char *const switches[] = {"--stop-on-first", "--no-memo", "--verbose", "--softmax",
                                               "--recursive", "--force", "--quiet", "--progress"};
        int is_switch = 0;
        for (size_t k = 0; k < sizeof switches / sizeof switches[0]; k++)
            is_switch |= !strcmp(flag, switches[k]);
        if (is_switch) {
            if (val) {
                cli_error(CMD, "%s takes no value", flag);
                return 2;
            }
            if (!strcmp(flag, "--stop-on-first"))
                o->params.stop_on_first = true;
            else if (!strcmp(flag, "--no-memo"))
                o->params.memoize = false;
            else if (!strcmp(flag, "--verbose"))
                o->params.verbose = true;
            else if (!strcmp(flag, "--recursive"))
                o->batch = o->recursive = true;
            else if (!strcmp(flag, "--force"))
                o->batch = o->force = true;
            else if (!strcmp(flag, "--quiet"))
                o->batch = o->quiet = true;
            else if (!strcmp(flag, "--progress"))
                o->progress = true;
            else
                o->softmax = true;
            continue;
        }
        static const char *const valued[] = {
            "-o", "--output", "--resize", "--resize-filter", "--segmentation", "--segments", "--seg-arg",
            "--background", "--predict-cmd", "--predictor-url", "--predictor-protocol", "--model", "--preprocess", "--precision", "--predict-timeout", "--max-batch",
            "--threshold", "--p-sample", "--delta", "--tau", "--batch-size", "--coverage-samples", "--beam-size",
            "--max-anchor-size", "--min-samples-start", "--n-covered-ex", "--binary-cache-size", "--cache-margin",
            "--epsilon-stop", "--seed", "--jobs", "--shard", "--labels"};
        if (!cli_flag_value(CMD, flag, valued, sizeof valued / sizeof valued[0], argc, argv, &i, &val))
            return 2;
        int64_t iv = 0;
        int ok = 1;
        anchor_explain_params *p = &o->params;
        if (!strcmp(flag, "-o") || !strcmp(flag, "--output"))
            o->outdir = val;
        else if (!strcmp(flag, "--resize"))
            o->resize = val;
        else if (!strcmp(flag, "--resize-filter"))
            o->resize_filter = val;
        else if (!strcmp(flag, "--segmentation"))
            o->segmentation = val;
        else if (!strcmp(flag, "--segments"))
            o->segments = val;
        else if (!strcmp(flag, "--seg-arg") || !strcmp(flag, "--background")) {
            int is_seg = !strcmp(flag, "--seg-arg");
            int *n = is_seg ? &o->n_seg_args : &o->n_backgrounds;
            if (*n >= MAX_LIST) {
                cli_error(CMD, "too many %s options (at most %d)", flag, MAX_LIST);
                return 2;
            }
            (is_seg ? o->seg_args : o->backgrounds)[(*n)++] = val;
        } else if (!strcmp(flag, "--predict-cmd"))
            o->predict_cmd = val;
        else if (!strcmp(flag, "--predictor-url"))
            o->predictor_url = val;
        else if (!strcmp(flag, "--predictor-protocol"))
            o->predictor_protocol = val;
        else if (!strcmp(flag, "--model"))
            o->model = val;
        else if (!strcmp(flag, "--preprocess"))
            o->preprocess = val;
        else if (!strcmp(flag, "--precision")) {
            anchor_precision prec;
            anchor_error perr = {0};
            if (anchor_precision_parse(val, &prec, &perr)) {
                cli_error(CMD, "--precision: %s", perr.message);
                return 2;
            }
            o->precision = val;
        }
        else if (!strcmp(flag, "--predict-timeout")) {
            ok = parse_double(flag, val, &o->timeout);
            if (ok && !(o->timeout > 0)) {
                cli_error(CMD, "--predict-timeout must be > 0 seconds, not %s", val);
                return 2;
            }
        } else if (!strcmp(flag, "--max-batch"))
            ok = parse_int(flag, val, 0, ANCHOR_MAX_BATCH_SIZE, &o->max_batch);
        else if (!strcmp(flag, "--threshold"))
            ok = parse_double(flag, val, &p->threshold);
        else if (!strcmp(flag, "--p-sample"))
            ok = parse_double(flag, val, &p->p_sample);
        else if (!strcmp(flag, "--delta"))
            ok = parse_double(flag, val, &p->delta);
        else if (!strcmp(flag, "--tau"))
            ok = parse_double(flag, val, &p->tau);
        else if (!strcmp(flag, "--epsilon-stop"))
            ok = parse_double(flag, val, &p->epsilon_stop);
        else if (!strcmp(flag, "--batch-size"))
            ok = parse_int(flag, val, 1, ANCHOR_MAX_BATCH_SIZE, &p->batch_size);
        else if (!strcmp(flag, "--coverage-samples"))
            ok = parse_int(flag, val, 1, ANCHOR_MAX_COVERAGE_SAMPLES, &p->coverage_samples);
        else if (!strcmp(flag, "--beam-size"))
            ok = parse_int(flag, val, 1, ANCHOR_MAX_BEAM_SIZE, &p->beam_size);
        else if (!strcmp(flag, "--max-anchor-size")) {
            if (!strcmp(val, "none") || !strcmp(val, "None"))
                p->max_anchor_size = 0;
            else
                ok = parse_int(flag, val, 1, ANCHOR_MAX_SEGMENTS, &p->max_anchor_size);
        } else if (!strcmp(flag, "--min-samples-start"))
            ok = parse_int(flag, val, 1, ANCHOR_MAX_MIN_SAMPLES_START, &p->min_samples_start);
        else if (!strcmp(flag, "--n-covered-ex"))
            ok = parse_int(flag, val, 0, ANCHOR_MAX_N_COVERED_EX, &p->n_covered_ex);
        else if (!strcmp(flag, "--binary-cache-size"))
            ok = parse_int(flag, val, 1, ANCHOR_MAX_BINARY_CACHE_SIZE, &p->binary_cache_size);
        else if (!strcmp(flag, "--cache-margin"))
            ok = parse_int(flag, val, 0, ANCHOR_MAX_CACHE_MARGIN, &p->cache_margin);
        else if (!strcmp(flag, "--jobs"))
            ok = parse_int(flag, val, 1, 256, &o->jobs), o->batch = true;
        else if (!strcmp(flag, "--shard"))
            o->shard = val, o->batch = true;
        else if (!strcmp(flag, "--labels"))
            o->class_names = val, o->batch = true;
        else if (!strcmp(flag, "--seed")) {
            ok = parse_int(flag, val, 0, UINT32_MAX, &iv);
            p->seed = (uint32_t)iv;
        }
        if (!ok)
            return 2;
    }
    for (int k = 0; k < o->n_inputs && !o->batch; k++) {
        struct stat sb;
        o->batch = k > 0 || o->inputs[k][0] == '@' || (stat(o->inputs[k], &sb) == 0 && S_ISDIR(sb.st_mode));
    }
    if (!o->image) {
        cli_error(CMD, "no IMAGE given (see anchor explain --help)");
        return 2;
    }
    if (!o->outdir) {
        cli_error(CMD, "no output directory: give -o OUTDIR");
        return 2;
    }
    if (!o->predict_cmd && !o->model && !o->predictor_url) {
        cli_error(CMD, "no classifier: give --predict-cmd CMD, --model M.onnx or --predictor-url URL");
        return 2;
    }
    if (!!o->predict_cmd + !!o->model + !!o->predictor_url > 1) {
        cli_error(CMD, "--predict-cmd, --model and --predictor-url are exclusive: give one classifier");
        return 2;
    }
    if (o->predictor_protocol && !o->predictor_url) {
        cli_error(CMD, "--predictor-protocol applies to --predictor-url only");
        return 2;
    }
    if (o->segments && (o->segmentation || o->n_seg_args)) {
        cli_error(CMD, "--segments (your own label map) excludes --segmentation and --seg-arg");
        return 2;
    }
    if (!o->model && o->precision) {
        cli_error(CMD, "--precision applies to --model only");
        return 2;
    }
    if (!o->model && (o->preprocess || o->softmax)) {
        cli_error(CMD, "--preprocess and --softmax apply to --model only");
        return 2;
    }
    if (o->model && (o->max_batch || o->timeout != po.timeout_seconds)) {
        cli_error(CMD, "--max-batch and --predict-timeout apply to --predict-cmd only");
        return 2;
    }
    for (int k = 0; k < o->n_seg_args; k++)
        if (!strchr(o->seg_args[k], '=') || o->seg_args[k][0] == '=') {
            cli_error(CMD, "--seg-arg: expected KEY=VALUE, got '%s'", o->seg_args[k]);
            return 2;
        }
    return 0;
}

/* ---- inputs ------------------------------------------------------------------------------ */

static int failed(anchor_status st, const anchor_error *err)
{
    if (st)
        cli_error(CMD, "%s", err->message);
    return st != ANCHOR_OK;
}

static anchor_status resize_if_asked(const options *o, anchor_image **img, const char *what, anchor_error *err)
{
    if (!o->resize)
        return ANCHOR_OK;
    int64_t w, h;
    if (!cli_parse_size(o->resize, &w, &h))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--resize: expected WIDTHxHEIGHT, got '%s'",
                                o->resize);
    anchor_resize_filter f = ANCHOR_RESIZE_BICUBIC;
    if (o->resize_filter && anchor_resize_filter_parse(o->resize_filter, &f, err))
        return anchor_error_prefix(err, "--resize-filter");
    if (o->resize_for_model && anchor_image_dtype(*img) != ANCHOR_DTYPE_U8 &&
        (anchor_image_width(*img) != w || anchor_image_height(*img) != h))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s is a %lld x %lld %s array, but %s takes %lld x %lld (H x W) and only uint8 images "
                                "are resized: give a %s array of that size",
                                what, (long long)anchor_image_height(*img), (long long)anchor_image_width(*img),
                                anchor_dtype_name(anchor_image_dtype(*img)), o->model, (long long)h, (long long)w,
                                anchor_dtype_name(anchor_image_dtype(*img)));
    anchor_image *r;
    if (anchor_resize(*img, h, w, f, &r, err))
        return anchor_error_prefix(err, "%s: --resize %s", what, o->resize);
    anchor_image_destroy(*img);
    *img = r;
    return ANCHOR_OK;
}

/* Sniffed only when the path is a regular file (opened without blocking, so a FIFO given as
 * a background never blocks); anything else falls through to the photo loader, which
 * names the problem. */
static bool is_npy(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat sb;
    unsigned char m[6] = {0};
    bool npy = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && read(fd, m, 6) == 6 && !memcmp(m, "\x93NUMPY", 6);
    close(fd);
    return npy;
}

anchor_status cli_explain_load_image(const options *o, anchor_image **out, anchor_image **photo, anchor_error *err)
{
    if (photo)
        *photo = NULL;
    anchor_status st = anchor_image_load_any(o->image, ANCHOR_COLOR_ASIS, out, err);
    if (st)
        return st;
    anchor_image *img = *out;
    anchor_dtype dt = anchor_image_dtype(img);
    if (anchor_image_count(img) != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s holds %lld images; explain one (H x W x C)",
                                o->image, (long long)anchor_image_count(img));
    if (dt != ANCHOR_DTYPE_U8 && dt != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s is %s; the image must be uint8 or float32", o->image,
                                anchor_dtype_name(dt));
    if ((st = anchor_image_check_finite(img, o->image, err))) /* before any segmenter or model sees it */
        return st;
    if (photo && o->resize && (st = anchor_image_clone(img, photo, err)))
        return st;
    return resize_if_asked(o, out, o->image, err);
}

/* The label map, and for a segmenter the kwargs it ran with as alibi records them. */
anchor_status cli_explain_make_segments(const options *o, const anchor_image *img, anchor_image **labels, char **kwargs,
                                   anchor_error *err)
{
    anchor_status st;
    if (o->segments) {
        if ((st = anchor_labels_load(o->segments, labels, err)))
            return st;
        if (anchor_image_height(*labels) != anchor_image_height(img) ||
            anchor_image_width(*labels) != anchor_image_width(img))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "label map %s is %lld x %lld (H x W) but the image is %lld x %lld", o->segments,
                                    (long long)anchor_image_height(*labels), (long long)anchor_image_width(*labels),
                                    (long long)anchor_image_height(img), (long long)anchor_image_width(img));
        /* the explainer's own check, early and naming the file (too many labels, ...) */
        anchor_image *norm = NULL;
        int k = 0;
        st = anchor_labels_normalize(*labels, &k, NULL, &norm, err);
        anchor_image_destroy(norm);
        return st ? anchor_error_prefix(err, "%s", o->segments) : ANCHOR_OK;
    }
    anchor_segmenter *s;
    if ((st = anchor_segmenter_create(o->segmentation ? o->segmentation : "slic", &s, err)))
        return anchor_error_prefix(err, "--segmentation");
    for (int k = 0; k < o->n_seg_args && !st; k++) {
        char key[128];
        const char *eq = strchr(o->seg_args[k], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->seg_args[k]), o->seg_args[k]);
        st = anchor_segmenter_set(s, key, eq + 1, err); /* its message names --seg-arg KEY=VALUE */
    }
    if (!st && (st = anchor_segmenter_run(s, img, labels, err)))
        anchor_error_prefix(err, "segmenting %s", o->image);
    if (!st)
        st = anchor_segmenter_kwargs_json(s, kwargs, err);
    anchor_segmenter_destroy(s);
    return st;
}

/* All --background files as one B x H x W x C batch matching the image. */
anchor_status cli_explain_load_backgrounds(const options *o, const anchor_image *img, anchor_image **out,
                                      int64_t *count, anchor_error *err)
{
    *out = NULL;
    *count = 0;
    if (!o->n_backgrounds)
        return ANCHOR_OK;
    anchor_image *parts[MAX_LIST] = {0};
    anchor_status st = ANCHOR_OK;
    anchor_dtype dt = ANCHOR_DTYPE_U8;
    int64_t H = anchor_image_height(img), W = anchor_image_width(img), C = anchor_image_channels(img);
    for (int k = 0; k < o->n_backgrounds && !st; k++) {
        const char *f = o->backgrounds[k];
        if (is_npy(f)) {
            st = anchor_npy_load(f, &parts[k], err);
        } else {
            anchor_color_mode mode = C == 3 ? ANCHOR_COLOR_RGB : C == 1 ? ANCHOR_COLOR_GRAY : ANCHOR_COLOR_ASIS;
            st = anchor_image_load(f, mode, &parts[k], err);
            if (!st)
                st = resize_if_asked(o, &parts[k], f, err);
        }
        if (!st)
            st = anchor_image_check_finite(parts[k], f, err);
        if (st)
            break;
        anchor_image *b = parts[k];
        anchor_dtype bd = anchor_image_dtype(b);
        if (anchor_image_height(b) != H || anchor_image_width(b) != W || anchor_image_channels(b) != C) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %lld x %lld x %lld (H x W x C) but the image is %lld x %lld x %lld",
                                  f, (long long)anchor_image_height(b), (long long)anchor_image_width(b),
                                  (long long)anchor_image_channels(b), (long long)H, (long long)W, (long long)C);
        } else if (bd != ANCHOR_DTYPE_U8 && bd != anchor_image_dtype(img)) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %s; it must be uint8 or the image's dtype (%s)", f,
                                  anchor_dtype_name(bd), anchor_dtype_name(anchor_image_dtype(img)));
        } else if (k > 0 && bd != dt) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %s but %s is %s: all backgrounds need one dtype", f,
                                  anchor_dtype_name(bd), o->backgrounds[0], anchor_dtype_name(dt));
        }
        dt = bd;
    }
    if (!st && !(st = anchor_image_stack((const anchor_image *const *)parts, o->n_backgrounds, out, err)))
        *count = anchor_image_count(*out);
    for (int k = 0; k < o->n_backgrounds; k++)
        anchor_image_destroy(parts[k]);
    return st;
}

/* The built-in engine: loaded before the image, because with --model the image is
 * explained at the model's input size (resized like a photo unless --resize says
 * otherwise), so the superpixels are cut on what the model sees, as alibi users do. */
anchor_status cli_explain_load_model(const options *o, anchor_model **out, anchor_error *err)
{
    anchor_onnx_options mo;
    anchor_onnx_options_default(&mo);
    if (o->preprocess)
        mo.preprocess = o->preprocess;
    mo.softmax = o->softmax;
    if (o->precision)
        anchor_precision_parse(o->precision, &mo.precision, err); /* checked by parse_args */
    anchor_status st = anchor_model_load(o->model, &mo, out, err);
    if (!st)
        cli_model_notice(CMD, *out, mo.precision, o->params.verbose);
    return st;
}

/* Takes ownership of *model (set to NULL) when the predictor is the ONNX engine. */
static anchor_status make_predictor(const options *o, const anchor_image *img, anchor_model **model,
                                    anchor_predictor **out, anchor_error *err)
{
    if (o->predict_cmd) {
        anchor_pipe_options po;
        anchor_pipe_options_default(&po);
        po.timeout_seconds = o->timeout;
        po.max_batch = o->max_batch;
        return anchor_predictor_create_command(o->predict_cmd, &po, out, err);
    }
    if (o->predictor_url) {
        anchor_remote_options ro;
        anchor_remote_options_default(&ro);
        ro.url = o->predictor_url;
        ro.timeout_seconds = o->timeout;
        ro.max_batch = o->max_batch;
        anchor_status st;
        if (o->predictor_protocol && (st = anchor_remote_protocol_parse(o->predictor_protocol, &ro.protocol, err)))
            return anchor_error_prefix(err, "--predictor-protocol");
        return anchor_predictor_create_remote(&ro, out, err);
    }
    anchor_model *m = *model;
    int64_t mh = anchor_model_input_height(m), mw = anchor_model_input_width(m);
    if (mh > 0 && mw > 0 && (mh != anchor_image_height(img) || mw != anchor_image_width(img)))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s takes %lld x %lld images but the image is %lld x %lld (H x W): use --resize %lldx%lld",
                                o->model, (long long)mh, (long long)mw, (long long)anchor_image_height(img),
                                (long long)anchor_image_width(img), (long long)mw, (long long)mh);
    anchor_status st = anchor_predictor_create_model(m, out, err);
    if (st == ANCHOR_OK)
        *model = NULL;
    return st;
}

/* The status line: rewritten in place on a terminal; with --progress elsewhere, one line
 * per second at most (a log file gets no carriage returns). */
typedef struct status_line {
    int tty, shown;
    double last;
} status_line;

static void status_clear(status_line *s)
{
    if (s->tty && s->shown)
        fputs("\r\033[K", stderr);
    s->shown = 0;
}

static void show_progress(void *user, const anchor_explain_progress *p)
{
    status_line *s = user;
    if (!s->tty && p->seconds - s->last < 1.0 && s->last > 0)
        return;
    s->last = p->seconds;
    char size[32] = "first call";
    if (p->anchor_size > 0)
        snprintf(size, sizeof size, "anchor size %d of %d", p->anchor_size, p->n_segments);
    char now[64] = "";
    if (p->batch_images > 0)
        snprintf(now, sizeof now, " | waiting for the model (%lld images)", (long long)p->batch_images);
    fprintf(stderr, "%sexplain: %s | %lld model calls | %lld images predicted (%lld sampled) | %.1f s%s%s",
            s->tty ? "\r" : "", size, (long long)p->predictor_calls, (long long)p->images_predicted,
            (long long)p->images_sampled, p->seconds, now, s->tty ? "\033[K" : "\n");
    fflush(stderr);
    s->shown = 1;
}

static void log_line(void *user, const char *line)
{
    status_clear(user);
    fprintf(stderr, "%s\n", line);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* What anchor_output_write records about the run besides the explanation. */
void cli_explain_output_info(const options *o, int64_t n_bg, double seconds_run, char *segdesc, size_t segdesc_size,
                             const char *kwargs, anchor_output_info *info)
{
    anchor_output_info_default(info);
    info->image_file = o->image;
    if (o->segments)
        snprintf(segdesc, segdesc_size, "labels:%s", o->segments);
    else
        snprintf(segdesc, segdesc_size, "%s", o->segmentation ? o->segmentation : "slic");
    info->segmentation = segdesc;
    info->segmentation_kwargs = kwargs;
    info->predictor = o->predict_cmd ? o->predict_cmd : o->model ? o->model : o->predictor_url;
    info->backgrounds = o->backgrounds;
    info->n_background_files = o->n_backgrounds;
    info->n_backgrounds = n_bg;
    info->seconds_run = seconds_run;
}

/* ---- the command ------------------------------------------------------------------------- */

int cmd_explain(int argc, char **argv)
{
    double t0 = now_seconds();
    options o;
    int pr = parse_args(argc, argv, &o);
    if (pr == 1)
        return 0;
    if (pr)
        return 2;
    anchor_error err;
    anchor_error_clear(&err);
    status_line status = {isatty(STDERR_FILENO), 0, 0};
    o.params.log = log_line; /* warnings always; the trace with --verbose */
    o.params.log_user = &status;
    if (status.tty || o.progress) {
        o.params.progress = show_progress;
        o.params.progress_user = &status;
    }
    if (failed(anchor_explain_params_validate(&o.params, &err), &err))
        return 2;
    if (o.batch)
        return cli_explain_batch(&o);
    if (o.resize) {
        int64_t w, h;
        if (!cli_parse_size(o.resize, &w, &h)) {
            cli_error(CMD, "--resize: expected WIDTHxHEIGHT (e.g. 299x299), got '%s'", o.resize);
            return 2;
        }
    } else if (o.resize_filter && !o.model) {
        cli_error(CMD, "--resize-filter needs --resize (or --model, which resizes to its input size)");
        return 2;
    }
    /* fail before any work when OUTDIR can never be written */
    if (anchor_output_check_target(o.outdir, &err)) {
        cli_error(CMD, "-o %s", err.message);
        return 2;
    }

    int rc = 1;
    anchor_image *img = NULL, *labels = NULL, *bg = NULL, *photo = NULL;
    anchor_predictor *pred = NULL;
    anchor_model *model = NULL;
    anchor_explanation *e = NULL;
    char *kwargs = NULL;
    int64_t n_bg = 0;
    char model_size[64];
    anchor_status st = ANCHOR_OK;
    if (o.model) {
        st = cli_explain_load_model(&o, &model, &err);
        if (!st && !o.resize && anchor_model_input_height(model) > 0 && anchor_model_input_width(model) > 0) {
            snprintf(model_size, sizeof model_size, "%lldx%lld", (long long)anchor_model_input_width(model),
                     (long long)anchor_model_input_height(model));
            o.resize = model_size;
            o.resize_for_model = 1;
        }
    }
    if (!st)
        st = cli_explain_load_image(&o, &img, &photo, &err);
    if (!st)
        st = cli_explain_make_segments(&o, img, &labels, &kwargs, &err);
    if (!st)
        st = cli_explain_load_backgrounds(&o, img, &bg, &n_bg, &err);
    if (!st)
        st = make_predictor(&o, img, &model, &pred, &err);
    if (!st)
        st = anchor_explain(img, labels, bg, pred, &o.params, &e, &err);
    status_clear(&status);
    /* stop the classifier program before writing: its exit is part of a clean run */
    anchor_predictor_destroy(pred);
    pred = NULL;
    if (model) /* ONNX calls only with --model: a build without the engine never reaches them */
        anchor_model_destroy(model);
    model = NULL;
    if (!st) {
        anchor_output_info info;
        char segdesc[4200];
        cli_explain_output_info(&o, n_bg, now_seconds() - t0, segdesc, sizeof segdesc, kwargs, &info);
        info.photo = photo;
        st = anchor_output_write(o.outdir, e, img, &o.params, &info, &err);
    }
    if (st) {
        cli_error(CMD, "%s", err.message);
    } else {
        anchor_explain_stats s;
        anchor_explanation_stats(e, &s);
        int n = anchor_explanation_size(e);
        printf("anchor: [");
        for (int i = 0; i < n; i++)
            printf("%s%d", i ? ", " : "", anchor_explanation_feature(e, i));
        printf("] (%d of %d superpixels, in the order found)\n", n, anchor_explanation_n_segments(e));
        printf("precision: %.6g\ncoverage: %.6g\n", anchor_explanation_precision(e), anchor_explanation_coverage(e));
        printf("status: %s\n", anchor_result_status_name(anchor_explanation_status(e)));
        printf("seconds: %.3f (predictor %.3f)\n", s.seconds_total, s.seconds_predictor);
        printf("images sent to the model: %lld (%lld sampled in %lld calls)\n", (long long)s.images_predicted,
               (long long)s.images_sampled, (long long)s.predictor_calls);
        printf("written: %s\n", o.outdir);
        rc = 0;
    }
    free(kwargs);
    anchor_explanation_destroy(e);
    anchor_image_destroy(img);
    anchor_image_destroy(photo);
    anchor_image_destroy(labels);
    anchor_image_destroy(bg);
    return rc;
}
